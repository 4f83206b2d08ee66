// The audit log: who did what to whom (ids only), for actions an administrator takes on
// other people's accounts and data.

import type { Kysely } from 'kysely';
import type { Clock } from '../domain/clock.js';
import type { Database } from '../store/schema.js';

export class AuditLog {
  constructor(private readonly deps: { db: Kysely<Database>; clock: Clock }) {}

  async record(actor: string, action: string, target: string | null): Promise<void> {
    await this.deps.db.insertInto('audit_log').values({ actor, action, target, created_at: this.deps.clock.now() }).execute();
  }

  list(limit = 200) {
    return this.deps.db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(limit).execute();
  }
}
