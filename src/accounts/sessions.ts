// Browser sessions: a random token in an httpOnly, SameSite=Lax cookie; the database keeps
// only its hash and an expiry.

import type { Kysely } from 'kysely';
import type { Clock } from '../domain/clock.js';
import type { Database } from '../store/schema.js';
import { randomToken, sha256 } from './tokens.js';
import type { UserRow } from './users.js';

export const SESSION_COOKIE = 'darkroom_session';
export const SESSION_DAYS = 30;

/** Attributes of Darkroom's cookies: not readable by scripts, not sent with cross-site requests. */
export function cookieOptions(secure: boolean) {
  return { path: '/', httpOnly: true, sameSite: 'lax' as const, secure };
}

export class SessionService {
  constructor(private readonly deps: { db: Kysely<Database>; clock: Clock }) {}

  async create(userId: string): Promise<{ token: string; expiresAt: number }> {
    const token = randomToken();
    const now = this.deps.clock.now();
    const expiresAt = now + SESSION_DAYS * 86_400_000;
    await this.deps.db.insertInto('sessions').values({ token_hash: sha256(token), user_id: userId, created_at: now, expires_at: expiresAt }).execute();
    return { token, expiresAt };
  }

  async resolve(token: string): Promise<UserRow | undefined> {
    return this.deps.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .selectAll('users')
      .where('sessions.token_hash', '=', sha256(token))
      .where('sessions.expires_at', '>', this.deps.clock.now())
      .executeTakeFirst();
  }

  async revoke(token: string): Promise<void> {
    await this.deps.db.deleteFrom('sessions').where('token_hash', '=', sha256(token)).execute();
  }

  async purgeExpired(): Promise<void> {
    await this.deps.db.deleteFrom('sessions').where('expires_at', '<=', this.deps.clock.now()).execute();
  }
}
