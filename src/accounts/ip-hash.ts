// Anonymous callers are told apart by a keyed hash of their address, never the address:
// HMAC-SHA256 with a random salt made each day (UTC) and destroyed 48 hours after it was
// made, so yesterday's hashes cannot be linked to today's once the salt is gone.

import { createHmac, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../domain/clock.js';
import type { Database } from '../store/schema.js';

const KEEP_MS = 48 * 3_600_000;

export class IpHasher {
  private today: { day: string; salt: Promise<string> } | undefined;

  constructor(private readonly deps: { db: Kysely<Database>; clock: Clock }) {}

  private salt(day: string): Promise<string> {
    if (this.today?.day === day) return this.today.salt;
    const salt = this.loadOrCreate(day);
    this.today = { day, salt };
    salt.catch(() => (this.today = undefined));
    return salt;
  }

  private async loadOrCreate(day: string): Promise<string> {
    const now = this.deps.clock.now();
    await this.deps.db.insertInto('ip_salts').values({ day, salt: randomBytes(32).toString('hex'), created_at: now }).onConflict((oc) => oc.column('day').doNothing()).execute();
    await this.destroyOld();
    return (await this.deps.db.selectFrom('ip_salts').select('salt').where('day', '=', day).executeTakeFirstOrThrow()).salt;
  }

  async destroyOld(): Promise<number> {
    const result = await this.deps.db.deleteFrom('ip_salts').where('created_at', '<', this.deps.clock.now() - KEEP_MS).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async hash(address: string): Promise<string> {
    const day = new Date(this.deps.clock.now()).toISOString().slice(0, 10);
    return createHmac('sha256', await this.salt(day)).update(address).digest('hex').slice(0, 32);
  }
}
