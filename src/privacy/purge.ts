// The retention purge: erases what the policy says has expired (images past their window,
// prompts past theirs, job records past the usage window, audit records past theirs),
// records the run, and truncates
// the write-ahead log so no copy of the erased rows stays in it. Expired data was already
// invisible; this makes it gone.

import type { Kysely } from 'kysely';
import { iso, type Clock } from '../domain/clock.js';
import type { BlobStore } from '../store/blob-store.js';
import type { Database } from '../store/schema.js';
import type { RetentionPolicy } from './retention.js';

export interface PurgeDeps {
  db: Kysely<Database>;
  blobs: BlobStore;
  clock: Clock;
  retention: RetentionPolicy;
  checkpoint(): Promise<void>;
  /** Other expired records to delete before the checkpoint: ended sessions, old IP salts. */
  sweeps?: (() => Promise<unknown>)[];
}

export interface PurgeReport {
  started_at: string;
  finished_at: string;
  images_deleted: number;
  prompts_cleared: number;
  jobs_deleted: number;
}

export async function purgeExpired(deps: PurgeDeps): Promise<PurgeReport> {
  const started = deps.clock.now();
  const { db, retention } = deps;
  const expiredImages = await db.selectFrom('images').select(['id', 'blob_key']).where('expires_at', 'is not', null).where('expires_at', '<=', started).execute();
  const usageCutoff = retention.usage === null ? undefined : started - retention.usage;
  const counts = await db.transaction().execute(async (tx) => {
    if (expiredImages.length > 0) await tx.deleteFrom('images').where('id', 'in', expiredImages.map((i) => i.id)).execute();
    const cleared = await tx
      .updateTable('jobs')
      .set({ prompt: null, negative_prompt: null })
      .where('prompt_expires_at', 'is not', null)
      .where('prompt_expires_at', '<=', started)
      .where((eb) => eb.or([eb('prompt', 'is not', null), eb('negative_prompt', 'is not', null)]))
      .executeTakeFirst();
    let jobsDeleted = 0;
    if (usageCutoff !== undefined) {
      // Finished jobs older than the usage window; their images went (or go) by their own windows.
      const old = await tx
        .deleteFrom('jobs')
        .where('created_at', '<=', usageCutoff)
        .where('status', 'in', ['done', 'failed', 'cancelled'])
        .where((eb) => eb.not(eb.exists(eb.selectFrom('images').select('images.id').whereRef('images.job_id', '=', 'jobs.id'))))
        .executeTakeFirst();
      jobsDeleted = Number(old.numDeletedRows);
    }
    if (retention.usage !== null) {
      await tx.deleteFrom('purge_runs').where('started_at', '<=', started - retention.usage).execute();
      await tx.deleteFrom('idempotency_keys').where('created_at', '<=', started - retention.usage).execute();
    }
    if (retention.audit !== null) {
      await tx.deleteFrom('audit_log').where('created_at', '<=', started - retention.audit).execute();
      await tx.deleteFrom('moderation_decisions').where('created_at', '<=', started - retention.audit).execute();
    }
    return { prompts: Number(cleared.numUpdatedRows), jobs: jobsDeleted };
  });
  await Promise.all(expiredImages.map((image) => deps.blobs.delete(image.blob_key)));
  for (const sweep of deps.sweeps ?? []) await sweep();
  await deps.checkpoint();
  const finished = deps.clock.now();
  await db
    .insertInto('purge_runs')
    .values({ started_at: started, finished_at: finished, images_deleted: expiredImages.length, prompts_cleared: counts.prompts, jobs_deleted: counts.jobs })
    .execute();
  return {
    started_at: new Date(started).toISOString(),
    finished_at: new Date(finished).toISOString(),
    images_deleted: expiredImages.length,
    prompts_cleared: counts.prompts,
    jobs_deleted: counts.jobs,
  };
}

export async function lastPurge(db: Kysely<Database>): Promise<PurgeReport | null> {
  const row = await db.selectFrom('purge_runs').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirst();
  if (!row) return null;
  return {
    started_at: iso(row.started_at),
    finished_at: iso(row.finished_at),
    images_deleted: row.images_deleted,
    prompts_cleared: row.prompts_cleared,
    jobs_deleted: row.jobs_deleted,
  };
}

/** Runs the purge now and then every interval, one run at a time; stop() waits for a run in progress. */
export function schedulePurge(run: () => Promise<unknown>, intervalMs: number, onError: (error: unknown) => void) {
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const tick = () => {
    current = run()
      .catch(onError)
      .finally(() => {
        if (!stopped) {
          timer = setTimeout(tick, intervalMs);
          timer.unref();
        }
      });
  };
  tick();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await current;
    },
  };
}
