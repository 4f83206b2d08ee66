// `darkroom purge`: run the retention purge now and print what it erased.

import { Command } from 'commander';
import type { App } from '../../app.js';
import type { CliIo } from '../io.js';

export function purgeCommand(app: () => App, io: CliIo): Command {
  return new Command('purge').description('run the retention purge now (it also runs on a schedule while the server runs)').action(async () => {
    const report = await (await app().services()).purge();
    io.stdout.write(`${JSON.stringify(report)}\n`);
  });
}
