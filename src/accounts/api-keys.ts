// API keys: "dk_" and 43 random characters, shown once when made; stored as a sha256 hash
// with the last four characters as a hint; revocable.

import type { Kysely } from 'kysely';
import { iso, type Clock } from '../domain/clock.js';
import { DarkroomError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import type { Database } from '../store/schema.js';
import { randomToken, sha256 } from './tokens.js';
import type { UserRow } from './users.js';

export const KEY_PREFIX = 'dk_';

export interface ApiKeyView {
  id: string;
  hint: string;
  created_at: string;
  revoked_at: string | null;
}

export class ApiKeyService {
  constructor(private readonly deps: { db: Kysely<Database>; clock: Clock }) {}

  /** Makes a key; the returned secret is the only copy anywhere. */
  async create(userId: string): Promise<{ id: string; key: string }> {
    const key = `${KEY_PREFIX}${randomToken()}`;
    const id = newId('key');
    await this.deps.db
      .insertInto('api_keys')
      .values({ id, user_id: userId, key_hash: sha256(key), hint: key.slice(-4), created_at: this.deps.clock.now(), revoked_at: null })
      .execute();
    return { id, key };
  }

  async resolve(key: string): Promise<UserRow | undefined> {
    if (!key.startsWith(KEY_PREFIX)) return undefined;
    return this.deps.db
      .selectFrom('api_keys')
      .innerJoin('users', 'users.id', 'api_keys.user_id')
      .selectAll('users')
      .where('api_keys.key_hash', '=', sha256(key))
      .where('api_keys.revoked_at', 'is', null)
      .executeTakeFirst();
  }

  async list(userId: string): Promise<ApiKeyView[]> {
    const rows = await this.deps.db.selectFrom('api_keys').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();
    return rows.map((r) => ({ id: r.id, hint: `…${r.hint}`, created_at: iso(r.created_at)!, revoked_at: iso(r.revoked_at) }));
  }

  async revoke(userId: string, id: string): Promise<void> {
    const result = await this.deps.db
      .updateTable('api_keys')
      .set({ revoked_at: this.deps.clock.now() })
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) throw new DarkroomError('not_found', `No active key ${id}`);
  }
}
