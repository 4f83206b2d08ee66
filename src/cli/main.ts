// The `darkroom` command. `run` takes its streams and environment as arguments and
// returns the exit code, so tests run it in-process; bin/darkroom.js wires it to the
// real process. Errors end as one line on stderr and a non-zero exit, never a stack.
// A stop (Ctrl+C, SIGTERM) aborts the long work of a command and exits 128 + the signal's
// number, the shell's convention for a process a signal ended.

import { constants } from 'node:os';
import { Command, CommanderError } from 'commander';
import { createApp, VERSION, type App } from '../app.js';
import { loadConfig } from '../config.js';
import { DarkroomError } from '../domain/errors.js';
import { blendCommand, editCommand, generateCommand, outpaintCommand } from './commands/generation.js';
import { modelsCommand } from './commands/models.js';
import { purgeCommand } from './commands/purge.js';
import { serveCommand } from './commands/serve.js';
import { removeBackgroundCommand, upscaleCommand } from './commands/tools.js';
import { creditsCommand, userCommand } from './commands/users.js';
import type { CliIo } from './io.js';
import { number } from './parse.js';

export const EXIT_USAGE = 2;

/**
 * Runs one command. When `stopped` resolves, `serve` shuts down and the commands that work
 * for long (generation, the image tools, `models pull`) are cancelled; the short database
 * commands finish what they started.
 */
export async function run(argv: string[], io: CliIo, stopped: Promise<NodeJS.Signals | void> = new Promise(() => {})): Promise<number> {
  let app: App | undefined;
  const stop = new AbortController();
  // A stop that names no signal (tests, embedders) counts as Ctrl+C.
  void stopped.then((signal) => stop.abort(signal ?? 'SIGINT'));
  // --device and --threads, before or after the command's name, stand for their settings.
  const env = { ...io.env };
  const cli: CliIo = { ...io, env };
  const getApp = () => (app ??= createApp(loadConfig(env, io.cwd)));
  const program = new Command('darkroom')
    .description('Darkroom: a private, self-hosted AI image studio')
    .version(VERSION, '-v, --version')
    .option('--device <device>', 'what onnxruntime runs on: cpu, cuda or auto (DARKROOM_DEVICE, default cpu)')
    .option('--threads <n>', "onnxruntime threads per operator (DARKROOM_THREADS, default onnxruntime's own)", number('--threads'))
    .hook('preAction', () => {
      const { device, threads } = program.opts<{ device?: string; threads?: number }>();
      if (device !== undefined) env.DARKROOM_DEVICE = device;
      if (threads !== undefined) env.DARKROOM_THREADS = String(threads);
    })
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: () => {},
    });
  program.addCommand(generateCommand(getApp, cli, stop.signal));
  program.addCommand(editCommand(getApp, cli, stop.signal));
  program.addCommand(blendCommand(getApp, cli, stop.signal));
  program.addCommand(outpaintCommand(getApp, cli, stop.signal));
  program.addCommand(upscaleCommand(getApp, cli, stop.signal));
  program.addCommand(removeBackgroundCommand(getApp, cli, stop.signal));
  program.addCommand(modelsCommand(getApp, cli, stop.signal));
  program.addCommand(serveCommand(cli, stopped));
  program.addCommand(purgeCommand(getApp, cli));
  program.addCommand(userCommand(getApp, cli));
  program.addCommand(creditsCommand(getApp, cli));
  for (const command of program.commands) command.exitOverride().configureOutput({ outputError: () => {} }).configureHelp({ showGlobalOptions: true });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0;
      io.stderr.write(`darkroom: ${error.message.replace(/^error: /, '')}\n`);
      return EXIT_USAGE;
    }
    // An engine's `cancelled` or a stream's AbortError after a stop: the user only needs to
    // know it stopped because they asked. Other errors are reported as they are.
    if (stop.signal.aborted && ((DarkroomError.isInstance(error) && error.code === 'cancelled') || (error as Error | undefined)?.name === 'AbortError')) {
      io.stderr.write('darkroom: cancelled\n');
      return 128 + constants.signals[stop.signal.reason as NodeJS.Signals];
    }
    if (DarkroomError.isInstance(error)) {
      io.stderr.write(`darkroom: ${error.message}\n`);
      return 1;
    }
    io.stderr.write(`darkroom: unexpected error: ${(error as Error).message ?? String(error)}\n`);
    return 1;
  } finally {
    await app?.close();
  }
}
