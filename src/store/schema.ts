// The database's tables as Kysely sees them. Times are milliseconds since the epoch, held
// as numbers so SQLite and PostgreSQL read the same values. Every row that holds user data
// names its retention: prompts, uploads and unsaved outputs carry an expires_at.

import type { Generated } from 'kysely';

export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface JobsTable {
  id: string;
  owner: string;
  operation: string;
  status: JobStatus;
  /** The job spec as JSON, without the prompts (those live in their own columns). */
  spec: string;
  /** Retention class "prompts": cleared when prompt_expires_at passes. Sealed with the owner's key. */
  prompt: string | null;
  negative_prompt: string | null;
  prompt_expires_at: number | null;
  progress_step: number;
  progress_total: number;
  error_code: string | null;
  error_message: string | null;
  /** How many times a worker has started this job (a crash mid-run re-queues it once). */
  attempts: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

export type ImageKind = 'output' | 'upload';

export interface ImagesTable {
  id: string;
  owner: string;
  kind: ImageKind;
  job_id: string | null;
  blob_key: string;
  mime: string;
  width: number;
  height: number;
  bytes: number;
  seed: number | null;
  /** Saved outputs are kept until deleted; others expire. */
  saved: Generated<number>;
  created_at: number;
  /** null: kept until the owner deletes it. */
  expires_at: number | null;
}

/** Retention purges, kept as usage-class records. */
export interface PurgeRunsTable {
  id: Generated<number>;
  started_at: number;
  finished_at: number;
  images_deleted: number;
  prompts_cleared: number;
  jobs_deleted: number;
}

/** Each owner's data key, wrapped by the master key. */
export interface DataKeysTable {
  owner: string;
  wrapped_key: string;
  created_at: number;
}

export interface Database {
  jobs: JobsTable;
  images: ImagesTable;
  purge_runs: PurgeRunsTable;
  data_keys: DataKeysTable;
}
