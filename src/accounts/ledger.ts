// Credits as an append-only double-entry ledger. Every transaction is two rows that sum to
// zero; a balance is the sum of an account's rows. A job's cost is held when it is queued
// (refused if the balance would go below zero), then charged when it succeeds or released
// when it fails or is cancelled; settling is idempotent, so a crash between finishing a job
// and settling it is repaired at the next start.

import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../domain/clock.js';
import { DarkroomError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import type { Database, LedgerKind } from '../store/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

const user = (id: string) => `user:${id}`;
const hold = (jobId: string) => `hold:${jobId}`;

export class Ledger {
  constructor(private readonly deps: { db: Kysely<Database>; clock: Clock }) {}

  private async post(db: Db, kind: LedgerKind, from: string, to: string, amount: number, jobId: string | null): Promise<void> {
    const transaction = newId('tx');
    const created = this.deps.clock.now();
    await db
      .insertInto('ledger')
      .values([
        { transaction_id: transaction, account: from, amount: -amount, kind, job_id: jobId, created_at: created },
        { transaction_id: transaction, account: to, amount, kind, job_id: jobId, created_at: created },
      ])
      .execute();
  }

  private async sum(db: Db, account: string): Promise<number> {
    const row = await db.selectFrom('ledger').select((eb) => eb.fn.sum<number>('amount').as('total')).where('account', '=', account).executeTakeFirst();
    return Number(row?.total ?? 0);
  }

  balance(userId: string): Promise<number> {
    return this.sum(this.deps.db, user(userId));
  }

  async grant(userId: string, amount: number): Promise<number> {
    if (!Number.isInteger(amount) || amount === 0) throw new DarkroomError('invalid_parameter', `Expected a whole, non-zero number of credits, got ${amount}`);
    return this.deps.db.transaction().execute(async (tx) => {
      if (amount < 0 && (await this.sum(tx, user(userId))) + amount < 0) {
        throw new DarkroomError('insufficient_credits', `Cannot take ${-amount} credits: the balance would go below zero`);
      }
      await this.post(tx, 'grant', 'system:grants', user(userId), amount, null);
      return this.sum(tx, user(userId));
    });
  }

  /** Holds the job's cost, inside the caller's transaction; refuses when the balance is short. */
  async hold(tx: Db, userId: string, jobId: string, amount: number): Promise<void> {
    if (amount <= 0) return;
    const balance = await this.sum(tx, user(userId));
    if (balance < amount) {
      throw new DarkroomError('insufficient_credits', `This job costs ${amount} credit${amount === 1 ? '' : 's'} and the balance is ${balance}`);
    }
    await this.post(tx, 'hold', user(userId), hold(jobId), amount, jobId);
  }

  /** Charges or releases whatever is still held for the job (nothing if it was settled already). */
  async settle(jobId: string, outcome: 'charge' | 'release'): Promise<void> {
    await this.deps.db.transaction().execute(async (tx) => {
      const held = await this.sum(tx, hold(jobId));
      if (held <= 0) return;
      const owner = await tx.selectFrom('ledger').select('account').where('job_id', '=', jobId).where('kind', '=', 'hold').where('amount', '<', 0).executeTakeFirstOrThrow();
      await this.post(tx, outcome, hold(jobId), outcome === 'charge' ? 'system:usage' : owner.account, held, jobId);
    });
  }

  /** Settles holds of jobs that finished while the server was not there to do it. */
  async settleFinished(): Promise<number> {
    const open = await this.deps.db
      .selectFrom('ledger')
      .innerJoin('jobs', 'jobs.id', 'ledger.job_id')
      .select(['ledger.job_id', 'jobs.status'])
      .where('ledger.account', 'like', 'hold:%')
      .where('jobs.status', 'in', ['done', 'failed', 'cancelled'])
      .groupBy(['ledger.job_id', 'jobs.status'])
      .having((eb) => eb.fn.sum('ledger.amount'), '>', 0)
      .execute();
    for (const row of open) await this.settle(row.job_id!, row.status === 'done' ? 'charge' : 'release');
    return open.length;
  }
}
