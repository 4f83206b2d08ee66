// Erasure of everything a user has, at once: running jobs are stopped, their data key is
// destroyed (so any copy of their sealed data, in a backup too, stays unreadable), rows are
// deleted (secure_delete overwrites their pages), image files removed, and the write-ahead
// log truncated so no copy of the deleted rows stays in it.

import type { Kysely } from 'kysely';
import type { BlobStore } from '../store/blob-store.js';
import type { Database } from '../store/schema.js';

export interface EraseDeps {
  db: Kysely<Database>;
  blobs: BlobStore;
  checkpoint(): Promise<void>;
  /** Stops a job running in this process, resolving once it has stopped. */
  halt(jobId: string): Promise<void>;
  destroyKey(owner: string): Promise<void>;
  /** Tells whoever follows a deleted job that it ended. */
  ended(jobId: string): void;
}

export async function eraseOwner(deps: EraseDeps, owner: string): Promise<{ jobs: number; images: number }> {
  const running = await deps.db.selectFrom('jobs').select('id').where('owner', '=', owner).where('status', '=', 'running').execute();
  // Stopped before the key goes: a job still finishing would seal its images with a new key.
  await Promise.all(running.map((job) => deps.halt(job.id)));
  await deps.destroyKey(owner);
  const { keys, jobs, unfinished } = await deps.db.transaction().execute(async (tx) => {
    const images = await tx.selectFrom('images').select('blob_key').where('owner', '=', owner).execute();
    await tx.deleteFrom('images').where('owner', '=', owner).execute();
    const unfinished = await tx.selectFrom('jobs').select('id').where('owner', '=', owner).where('status', 'in', ['queued', 'running']).execute();
    const deleted = await tx.deleteFrom('jobs').where('owner', '=', owner).executeTakeFirst();
    // A remembered Idempotency-Key would otherwise answer for a job that is gone.
    await tx.deleteFrom('idempotency_keys').where('owner', '=', owner).execute();
    return { keys: images.map((i) => i.blob_key), jobs: Number(deleted.numDeletedRows), unfinished };
  });
  for (const job of unfinished) deps.ended(job.id);
  await Promise.all(keys.map((key) => deps.blobs.delete(key)));
  await deps.checkpoint();
  return { jobs, images: keys.length };
}
