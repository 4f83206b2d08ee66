// What a CLI command may touch of the outside world, passed in so tests run commands
// in-process with their own streams, environment and working directory.

import type { Writable } from 'node:stream';

export interface CliIo {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
  cwd: string;
}
