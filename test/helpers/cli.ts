// The darkroom command run in-process, with its own streams, environment and folder.

import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { run } from '../../src/cli/main.js';

export interface CliOptions {
  /** The working folder; the data folder is data/ inside it unless `env` says otherwise. */
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Whether stderr passes for a terminal (progress bars are drawn only then). */
  tty?: boolean;
  /** Stands in for Ctrl+C or SIGTERM: resolved, it is as if the signal came at once. */
  stopped?: Promise<NodeJS.Signals | void>;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(options: CliOptions, ...args: string[]): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY: options.tty ?? false, columns: 100 });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const env = { DARKROOM_DATA_DIR: join(options.cwd, 'data'), ...options.env };
  const code = await run(args, { stdout, stderr, env, cwd: options.cwd }, options.stopped);
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}
