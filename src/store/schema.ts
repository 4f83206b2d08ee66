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
  /** What the prompt policy said: null (allowed) or "blur" (outputs are blurred). */
  moderation: string | null;
  /** Dispatch order among queued jobs, lowest first: an account's jobs take consecutive turns (0006-fair-queue). */
  turn: Generated<number>;
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

export type Role = 'admin' | 'user';

export interface UsersTable {
  id: string;
  /** Lower-cased; retention: kept while the account exists. */
  email: string;
  /** argon2id; null for accounts that only sign in with OAuth. */
  password_hash: string | null;
  role: Role;
  created_at: number;
}

export interface SessionsTable {
  /** sha256 of the cookie's token: a stolen database holds no usable session. */
  token_hash: string;
  user_id: string;
  created_at: number;
  expires_at: number;
}

export interface ApiKeysTable {
  id: string;
  user_id: string;
  key_hash: string;
  /** The key's last characters, to tell keys apart in a list. */
  hint: string;
  created_at: number;
  revoked_at: number | null;
}

export interface OauthIdentitiesTable {
  provider: string;
  subject: string;
  user_id: string;
}

export type LedgerKind = 'grant' | 'hold' | 'charge' | 'release';

/** Append-only double entry: every transaction's rows sum to zero. */
export interface LedgerTable {
  id: Generated<number>;
  transaction_id: string;
  /** "user:<id>", "hold:<job id>", "system:grants" or "system:usage". */
  account: string;
  amount: number;
  kind: LedgerKind;
  job_id: string | null;
  created_at: number;
}

export interface IdempotencyKeysTable {
  owner: string;
  key: string;
  job_id: string;
  created_at: number;
}

/** Retention class "audit". */
export interface AuditLogTable {
  id: Generated<number>;
  actor: string;
  action: string;
  target: string | null;
  created_at: number;
}

/** One random salt per day for hashing anonymous callers' addresses; destroyed after 48 hours. */
export interface IpSaltsTable {
  day: string;
  salt: string;
  created_at: number;
}

/** Retention class "audit": what was decided about which content, by category and keyed hash only. */
export interface ModerationDecisionsTable {
  id: Generated<number>;
  owner: string;
  subject: 'prompt' | 'input' | 'output';
  categories: string;
  action: string;
  content_hash: string;
  created_at: number;
}

/** Each account with jobs queued: how many, and its last turn; kept by triggers on jobs (0006-fair-queue). */
export interface QueueDepthTable {
  owner: string;
  queued: number;
  last_turn: number;
}

export interface Database {
  moderation_decisions: ModerationDecisionsTable;
  users: UsersTable;
  sessions: SessionsTable;
  api_keys: ApiKeysTable;
  oauth_identities: OauthIdentitiesTable;
  ledger: LedgerTable;
  idempotency_keys: IdempotencyKeysTable;
  audit_log: AuditLogTable;
  ip_salts: IpSaltsTable;
  jobs: JobsTable;
  queue_depth: QueueDepthTable;
  images: ImagesTable;
  purge_runs: PurgeRunsTable;
  data_keys: DataKeysTable;
}
