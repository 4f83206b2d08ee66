// Darkroom as a real child process (`darkroom serve` from the sources), for tests that
// kill it.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { packageRoot } from '../../src/config.js';

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function spawnServer(dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  const root = packageRoot();
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src', 'cli', 'bin.ts'), 'serve', '--port', '0', '--data-dir', dataDir], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /running on (http:\/\/\S+)/.exec(stderr);
      if (match) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`darkroom serve exited with ${code}: ${stderr}`)));
  });
  return {
    url,
    child,
    output: () => stdout + stderr,
    kill: (signal = 'SIGKILL') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}

/** Servers a test file starts, and their data folders: all killed and removed after its tests. */
export function serverFleet(prefix: string) {
  const dataDirs: string[] = [];
  const servers: ServerProcess[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.kill()));
    await Promise.all(dataDirs.map((d) => rm(d, { recursive: true, force: true })));
  });
  return {
    async dataDir(): Promise<string> {
      const dir = await mkdtemp(join(tmpdir(), prefix));
      dataDirs.push(dir);
      return dir;
    },
    async start(dataDir: string): Promise<ServerProcess> {
      const server = await spawnServer(dataDir);
      servers.push(server);
      return server;
    },
  };
}
