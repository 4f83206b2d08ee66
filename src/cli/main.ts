// The `darkroom` command. `run` takes its streams and environment as arguments and
// returns the exit code, so tests run it in-process; bin/darkroom.js wires it to the
// real process. Errors end as one line on stderr and a non-zero exit, never a stack.

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

export const EXIT_USAGE = 2;

/** Runs one command; `stopped` ends long-running commands (serve) when it resolves. */
export async function run(argv: string[], io: CliIo, stopped: Promise<void> = new Promise(() => {})): Promise<number> {
  let app: App | undefined;
  const getApp = () => (app ??= createApp(loadConfig(io.env, io.cwd)));
  const program = new Command('darkroom')
    .description('Darkroom: a private, self-hosted AI image studio')
    .version(VERSION, '-v, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: () => {},
    });
  program.addCommand(generateCommand(getApp, io));
  program.addCommand(editCommand(getApp, io));
  program.addCommand(blendCommand(getApp, io));
  program.addCommand(outpaintCommand(getApp, io));
  program.addCommand(upscaleCommand(getApp, io));
  program.addCommand(removeBackgroundCommand(getApp, io));
  program.addCommand(modelsCommand(getApp, io));
  program.addCommand(serveCommand(io, stopped));
  program.addCommand(purgeCommand(getApp, io));
  program.addCommand(userCommand(getApp, io));
  program.addCommand(creditsCommand(getApp, io));
  for (const command of program.commands) command.exitOverride().configureOutput({ outputError: () => {} });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0;
      io.stderr.write(`darkroom: ${error.message.replace(/^error: /, '')}\n`);
      return EXIT_USAGE;
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
