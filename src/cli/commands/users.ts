// `darkroom user add | rm | export | key` and `darkroom credits grant`: account
// administration from the machine the server runs on.

import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Command } from 'commander';
import type { App } from '../../app.js';
import { randomToken } from '../../accounts/tokens.js';
import type { CliIo } from '../io.js';
import { number } from '../parse.js';

export function userCommand(app: () => App, io: CliIo): Command {
  const user = new Command('user').description('account administration (for DARKROOM_AUTH=on)');
  user
    .command('add')
    .description('create an account; prints a generated password unless --password is given')
    .argument('<email>')
    .option('--admin', 'make it an administrator')
    .option('--password <password>', 'the password (at least 10 characters); by default one is generated')
    .action(async (email: string, options: { admin?: boolean; password?: string }) => {
      const services = await app().services();
      const password = options.password ?? randomToken(12);
      const created = await services.accounts.create({ email, password, role: options.admin ? 'admin' : 'user' });
      io.stdout.write(`${created.email}\t${created.role}\t${created.id}\n`);
      if (!options.password) io.stdout.write(`password: ${password}\n`);
    });
  user
    .command('rm')
    .description('erase an account and everything in it, now')
    .argument('<email>')
    .action(async (email: string) => {
      const services = await app().services();
      const found = await services.http.accounts.users.require(email);
      await services.accounts.remove(found.id);
      io.stdout.write(`erased ${found.email}\n`);
    });
  user
    .command('export')
    .description('write everything an account has to a zip file')
    .argument('<email>')
    .requiredOption('-o, --output <file>', 'the zip file to write')
    .action(async (email: string, options: { output: string }) => {
      const services = await app().services();
      const found = await services.http.accounts.users.require(email);
      const target = resolve(io.cwd, options.output);
      await pipeline(await services.http.privacy.export(found.id), createWriteStream(target));
      io.stdout.write(`${target}\n`);
    });
  user
    .command('key')
    .description('print a new API key for the account (shown once; store it now)')
    .argument('<email>')
    .action(async (email: string) => {
      const services = await app().services();
      const found = await services.http.accounts.users.require(email);
      const { key } = await services.http.accounts.apiKeys.create(found.id);
      io.stdout.write(`${key}\n`);
    });
  return user;
}

export function creditsCommand(app: () => App, io: CliIo): Command {
  const credits = new Command('credits').description('credits administration');
  credits
    .command('grant')
    .description('add credits to an account (a negative amount takes them away)')
    .argument('<email>')
    .argument('<amount>', 'whole number of credits', number('<amount>'))
    .action(async (email: string, amount: number) => {
      const services = await app().services();
      const found = await services.http.accounts.users.require(email);
      const balance = await services.ledger.grant(found.id, amount);
      io.stdout.write(`${found.email}\t${balance}\n`);
    });
  return credits;
}
