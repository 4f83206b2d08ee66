// Jobs and their images in the database: the durable queue. Every state change is one
// guarded UPDATE (status and attempt in the WHERE clause), so a job can be claimed by one
// worker only, and finished only by the attempt that is running it.

import type { Kysely, Selectable, Transaction } from 'kysely';
import { isDiffusion, type JobSpec } from '../domain/job.js';
import type { Keyring } from '../store/keyring.js';
import type { Database, JobsTable, JobStatus } from '../store/schema.js';

export type JobRow = Selectable<JobsTable>;

/** The spec a job was created with, prompts put back (empty once they expired). */
export function specOf(job: JobRow): JobSpec {
  const spec = JSON.parse(job.spec) as JobSpec;
  return isDiffusion(spec) ? { ...spec, prompt: job.prompt ?? '', negative_prompt: job.negative_prompt ?? '' } : spec;
}
import type { ImageRow } from '../gallery/image-service.js';

export class JobStore {
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
  async seal(row: JobRow): Promise<JobRow> {
    return {
      ...row,
      prompt: await this.keyring.sealText(row.owner, row.prompt, 'prompt'),
      negative_prompt: await this.keyring.sealText(row.owner, row.negative_prompt, 'prompt'),
    };
  }

  /** Inserts a row made by seal(), in the caller's transaction. */
  async insertSealed(db: Kysely<Database> | Transaction<Database>, sealed: JobRow): Promise<void> {
    await db.insertInto('jobs').values(sealed).execute();
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

  async count(status: JobStatus): Promise<number> {
    const row = await this.db.selectFrom('jobs').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', status).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Takes the oldest queued job, or nothing. */
  async claim(now: number): Promise<JobRow | undefined> {
    for (;;) {
      const next = await this.db.selectFrom('jobs').select(['id', 'attempts']).where('status', '=', 'queued').orderBy('created_at').limit(1).executeTakeFirst();
      if (!next) return undefined;
      const result = await this.db
        .updateTable('jobs')
        .set({ status: 'running', started_at: now, attempts: next.attempts + 1, progress_step: 0 })
        .where('id', '=', next.id)
        .where('status', '=', 'queued')
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 1) return this.get(next.id);
    }
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
