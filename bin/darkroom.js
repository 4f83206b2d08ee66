#!/usr/bin/env node
// Runs the compiled CLI (npm run build writes dist/).
import { run } from '../dist/src/cli/main.js';

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
process.exitCode = code;
