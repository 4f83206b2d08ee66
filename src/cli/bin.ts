// The process entry point: real streams, environment and signals.

import { run } from './main.js';

// The first SIGINT or SIGTERM asks the running command to stop; both handlers then go, so
// a second one ends the process the default way even if the command is slow to notice.
const stopped = new Promise<NodeJS.Signals>((resolve) => {
  const stop = (signal: NodeJS.Signals) => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    resolve(signal);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
});
process.exitCode = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() }, stopped);
