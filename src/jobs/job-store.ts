// Jobs and their images in the database: the durable queue. Every state change is one
// guarded UPDATE (status and attempt in the WHERE clause), so a job can be claimed by one
// worker only, and finished only by the attempt that is running it. A job is queued by one
// INSERT that also checks the queue's limits, so concurrent submissions cannot overfill it;
// workers take jobs in turns, so accounts with queued jobs alternate (0006-fair-queue).

import { CompiledQuery, type Kysely, type Selectable, type Transaction } from 'kysely';
import { isDiffusion, type JobSpec } from '../domain/job.js';
import type { Keyring } from '../store/keyring.js';
import type { Database, JobsTable, JobStatus } from '../store/schema.js';

export type JobRow = Selectable<JobsTable>;
/** A job as the service makes it: its turn is given when it is queued. */
export type NewJobRow = Omit<JobRow, 'turn'>;

export interface QueueLimits {
  /** Queued jobs in all. */
  total: number;
  /** Queued jobs of one owner. */
  perOwner: number;
}

/** Where a queued job stands: its turn, and how many queued jobs come before it (an estimate: see enqueueSql). */
export interface Place {
  turn: number;
  ahead: number;
}

/**
 * The queuing statement, by hand: built with the query builder it cost more than the
 * insert itself (profiled, `npm run bench -- server`). Parameters: the columns' values,
 * then owner, total limit, owner, per-owner limit.
 */
function enqueueSql(columns: readonly string[]): string {
  return [
    `INSERT INTO jobs (${columns.map((c) => `"${c}"`).join(', ')}, turn)`,
    `SELECT ${columns.map(() => '?').join(', ')},`,
    `  COALESCE((SELECT last_turn + 1 FROM queue_depth WHERE owner = ?), (SELECT MIN(turn) FROM jobs WHERE status = 'queued'), 0)`,
    `WHERE COALESCE((SELECT SUM(queued) FROM queue_depth), 0) < ? AND COALESCE((SELECT queued FROM queue_depth WHERE owner = ?), 0) < ?`,
    // Ahead: each account's queued jobs with an earlier turn (the same turn, for another
    // account's: it was queued first), from queue_depth, taking an account's queued turns to
    // run without gaps up to its last (a cancel leaves one): an estimate, but nothing is
    // counted. It holds whether or not queue_depth already counts this job.
    `RETURNING turn, (SELECT COALESCE(SUM(CASE WHEN x <= 0 THEN 0 WHEN x >= queued THEN queued ELSE x END), 0) FROM (`,
    `  SELECT queued, jobs.turn - last_turn + queued - CASE WHEN owner = jobs.owner THEN 1 ELSE 0 END AS x FROM queue_depth)) AS ahead`,
  ].join('\n');
}

/** The spec a job was created with, prompts put back (empty once they expired). */
export function specOf(job: JobRow): JobSpec {
  const spec = JSON.parse(job.spec) as JobSpec;
  return isDiffusion(spec) ? { ...spec, prompt: job.prompt ?? '', negative_prompt: job.negative_prompt ?? '' } : spec;
}
import type { ImageRow } from '../gallery/image-service.js';

export class JobStore {
  /** enqueue()'s SQL by the columns it inserts (one set in practice). */
  private readonly enqueueSql = new Map<string, string>();
  /** Jobs waiting for queue() to write them. */
  private pending: { sealed: NewJobRow; limits: QueueLimits; settle: (outcome: PromiseSettledResult<Place | undefined>) => void }[] = [];

  constructor(
    private readonly db: Kysely<Database>,
    private readonly keyring: Keyring,
  ) {}

  /** Rows leave the store with their prompts unsealed. */
  private async reveal(row: JobRow): Promise<JobRow> {
    return {
      ...row,
      prompt: await this.keyring.openText(row.owner, row.prompt, 'prompt'),
      negative_prompt: await this.keyring.openText(row.owner, row.negative_prompt, 'prompt'),
    };
  }

  /** The row as stored: prompts sealed. Done before a transaction opens (it may touch the key table). */
  async seal(row: NewJobRow): Promise<NewJobRow> {
    return {
      ...row,
      prompt: await this.keyring.sealText(row.owner, row.prompt, 'prompt'),
      negative_prompt: await this.keyring.sealText(row.owner, row.negative_prompt, 'prompt'),
    };
  }

  /**
   * Queues a row made by seal() if the queue and the owner's share of it have room: where
   * it stands (its turn, and about how many queued jobs come before it), or undefined when
   * there was no room. One statement: the check and
   * the insert cannot be interleaved with another submission's. The depths come from
   * queue_depth (no counting of the queue). The turn follows the owner's last one, or, with
   * none queued, is the lowest queued turn (the one being served).
   */
  async enqueue(db: Kysely<Database> | Transaction<Database>, sealed: NewJobRow, limits: QueueLimits): Promise<Place | undefined> {
    const columns = Object.keys(sealed) as (keyof NewJobRow)[];
    const key = columns.join(',');
    let text = this.enqueueSql.get(key);
    if (!text) this.enqueueSql.set(key, (text = enqueueSql(columns)));
    const parameters = [...columns.map((column) => sealed[column]), sealed.owner, limits.total, sealed.owner, limits.perOwner];
    const { rows } = await db.executeQuery<Place>(CompiledQuery.raw(text, parameters));
    return rows[0];
  }

  /**
   * enqueue() in a transaction shared with the other jobs queued in the same turn of the
   * event loop: one commit, one write of the pages they share, for all of them (the
   * commit was most of a submission's cost). Each resolves once it is committed.
   */
  queue(sealed: NewJobRow, limits: QueueLimits): Promise<Place | undefined> {
    return new Promise((resolve, reject) => {
      const settle = (outcome: PromiseSettledResult<Place | undefined>) => (outcome.status === 'fulfilled' ? resolve(outcome.value) : reject(outcome.reason));
      if (this.pending.push({ sealed, limits, settle }) === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      // A statement that fails is undone alone (SQLite keeps the transaction): only its caller hears of it.
      const outcomes = await this.db.transaction().execute(async (tx) => {
        const settled: PromiseSettledResult<Place | undefined>[] = [];
        for (const { sealed, limits } of batch) {
          settled.push(await this.enqueue(tx, sealed, limits).then((value) => ({ status: 'fulfilled', value }) as const, (reason: unknown) => ({ status: 'rejected', reason }) as const));
        }
        return settled;
      });
      outcomes.forEach((outcome, i) => batch[i]!.settle(outcome));
    } catch (error) {
      for (const { settle } of batch) settle({ status: 'rejected', reason: error });
    }
  }

  async get(id: string): Promise<JobRow | undefined> {
    const row = await this.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
    return row && this.reveal(row);
  }

  /** The owner's jobs, newest first (all of them when no limit is given). */
  async list(owner: string, limit?: number): Promise<JobRow[]> {
    let query = this.db.selectFrom('jobs').selectAll().where('owner', '=', owner).orderBy('created_at', 'desc');
    if (limit !== undefined) query = query.limit(limit);
    return Promise.all((await query.execute()).map((row) => this.reveal(row)));
  }

  /** Jobs in that status; with an owner, only theirs. */
  async count(status: JobStatus, owner?: string): Promise<number> {
    let query = this.db.selectFrom('jobs').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', status);
    if (owner !== undefined) query = query.where('owner', '=', owner);
    const row = await query.executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Takes the queued job with the lowest turn (the oldest among equals), or nothing. */
  async claim(now: number): Promise<JobRow | undefined> {
    // One statement: choosing the job and taking it cannot be split by another worker's claim.
    const row = await this.db
      .updateTable('jobs')
      .set((eb) => ({ status: 'running', started_at: now, attempts: eb('attempts', '+', 1), progress_step: 0 }))
      .where('id', '=', (eb) => eb.selectFrom('jobs').select('id').where('status', '=', 'queued').orderBy('turn').orderBy('created_at').limit(1))
      .where('status', '=', 'queued')
      .returningAll()
      .executeTakeFirst();
    return row && this.reveal(row);
  }

  async progress(id: string, step: number, total: number): Promise<void> {
    await this.db.updateTable('jobs').set({ progress_step: step, progress_total: total }).where('id', '=', id).where('status', '=', 'running').execute();
  }

  /** Records the images and marks the job done, once; false if this attempt no longer owns the job. */
  async complete(id: string, attempt: number, images: ImageRow[], now: number): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const result = await tx
        .updateTable('jobs')
        .set({ status: 'done', finished_at: now })
        .where('id', '=', id)
        .where('status', '=', 'running')
        .where('attempts', '=', attempt)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return false;
      if (images.length > 0) await tx.insertInto('images').values(images).execute();
      return true;
    });
  }

  async finish(id: string, attempt: number, status: 'failed' | 'cancelled', error: { code: string; message: string } | null, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('jobs')
      .set({ status, finished_at: now, error_code: error?.code ?? null, error_message: error?.message ?? null })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .where('attempts', '=', attempt)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async cancelQueued(id: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('jobs')
      .set({ status: 'cancelled', finished_at: now, error_code: 'cancelled', error_message: 'Cancelled before it started.' })
      .where('id', '=', id)
      .where('status', '=', 'queued')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * A shutdown stopped this attempt: the job goes back to the queue as it was, the attempt
   * not counted (attempts count crashes, which a clean stop is not).
   */
  async requeue(id: string, attempt: number): Promise<boolean> {
    const result = await this.db
      .updateTable('jobs')
      .set({ status: 'queued', attempts: attempt - 1, progress_step: 0, started_at: null })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .where('attempts', '=', attempt)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * After a crash: jobs left "running" ran in a process that is gone. They go back to the
   * queue once; a job that was interrupted again fails with the reason.
   */
  async recover(now: number, maxAttempts: number): Promise<{ requeued: string[]; failed: string[] }> {
    return this.db.transaction().execute(async (tx) => {
      const running = await tx.selectFrom('jobs').select(['id', 'attempts']).where('status', '=', 'running').execute();
      const requeued = running.filter((j) => j.attempts < maxAttempts).map((j) => j.id);
      const failed = running.filter((j) => j.attempts >= maxAttempts).map((j) => j.id);
      if (requeued.length > 0) {
        await tx.updateTable('jobs').set({ status: 'queued', progress_step: 0 }).where('id', 'in', requeued).execute();
      }
      if (failed.length > 0) {
        await tx
          .updateTable('jobs')
          .set({
            status: 'failed',
            finished_at: now,
            error_code: 'interrupted',
            error_message: `The server stopped while this job ran, ${maxAttempts} times; it was not retried again.`,
          })
          .where('id', 'in', failed)
          .execute();
      }
      return { requeued, failed };
    });
  }

  async imagesOfJob(jobId: string): Promise<ImageRow[]> {
    return this.db.selectFrom('images').selectAll().where('job_id', '=', jobId).orderBy('seed').execute();
  }
}
