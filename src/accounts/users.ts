// Accounts: create, find, list, verify passwords, remove. Emails are compared lower-cased.

import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import { iso, type Clock } from '../domain/clock.js';
import { DarkroomError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import type { Database, Role, UsersTable } from '../store/schema.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { randomToken } from './tokens.js';

export type UserRow = Selectable<UsersTable>;

export interface UserView {
  id: string;
  email: string;
  role: Role;
  created_at: string;
}

export function userView(row: UserRow): UserView {
  return { id: row.id, email: row.email, role: row.role, created_at: iso(row.created_at) };
}

const Email = z.email().max(320);

export function normalizeEmail(email: string): string {
  const parsed = Email.safeParse(email.trim().toLowerCase());
  if (!parsed.success) throw new DarkroomError('invalid_parameter', `Expected an email address, got "${email}"`);
  return parsed.data;
}

export class UserService {
  constructor(private readonly deps: { db: Kysely<Database>; clock: Clock }) {}

  async create(input: { email: string; password?: string; role?: Role }): Promise<UserRow> {
    const email = normalizeEmail(input.email);
    if (await this.byEmail(email)) throw new DarkroomError('conflict', `An account for ${email} exists already`);
    const row: UserRow = {
      id: newId('usr'),
      email,
      password_hash: input.password === undefined ? null : await hashPassword(input.password),
      role: input.role ?? 'user',
      created_at: this.deps.clock.now(),
    };
    await this.deps.db.insertInto('users').values(row).execute();
    return row;
  }

  byEmail(email: string): Promise<UserRow | undefined> {
    return this.deps.db.selectFrom('users').selectAll().where('email', '=', email.trim().toLowerCase()).executeTakeFirst();
  }

  byId(id: string): Promise<UserRow | undefined> {
    return this.deps.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async require(email: string): Promise<UserRow> {
    const user = await this.byEmail(email);
    if (!user) throw new DarkroomError('not_found', `No account for ${email}`);
    return user;
  }

  list(): Promise<UserRow[]> {
    return this.deps.db.selectFrom('users').selectAll().orderBy('created_at').execute();
  }

  /** The account for these credentials; the same error whether the email or the password is wrong. */
  async verify(email: string, password: string): Promise<UserRow> {
    const user = await this.byEmail(email);
    // Hash anyway when there is no such account, so timing does not reveal which emails exist.
    const ok = await verifyPassword(user?.password_hash ?? (await dummyHash()), password);
    if (!user || !ok) throw new DarkroomError('unauthorized', 'Wrong email or password');
    return user;
  }

  /** Deletes the account row (sessions, keys and identities go with it). Its data is erased by the caller. */
  async remove(id: string): Promise<void> {
    await this.deps.db.deleteFrom('users').where('id', '=', id).execute();
  }
}

let dummy: Promise<string> | undefined;
function dummyHash(): Promise<string> {
  return (dummy ??= hashPassword(randomToken()));
}
