// Opens the database, SQLite in the data folder (WAL, secure_delete, foreign keys), and
// brings the schema up to date. SQL that only SQLite speaks stays in this file, so that
// PostgreSQL can follow behind the same Kysely schema.

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql, type Migration, type MigrationProvider, type SqliteDatabase } from 'kysely';
import * as jobsAndImages from './migrations/0001-jobs-and-images.js';
import * as purgeRuns from './migrations/0002-purge-runs.js';
import * as dataKeys from './migrations/0003-data-keys.js';
import * as accounts from './migrations/0004-accounts.js';
import * as moderation from './migrations/0005-moderation.js';
import * as fairQueue from './migrations/0006-fair-queue.js';
import type { Database } from './schema.js';

const MIGRATIONS: Record<string, Migration> = {
  '0001-jobs-and-images': jobsAndImages,
  '0002-purge-runs': purgeRuns,
  '0003-data-keys': dataKeys,
  '0004-accounts': accounts,
  '0005-moderation': moderation,
  '0006-fair-queue': fairQueue,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

export interface Store {
  db: Kysely<Database>;
  /** Truncates the write-ahead log so deleted rows leave no copy in it (SQLite only). */
  checkpoint(): Promise<void>;
  close(): Promise<void>;
}

export interface SqliteOptions {
  /**
   * Only for the test that proves the erasure checks can fail: leave deleted content in
   * free pages and never truncate the log.
   */
  unsafeKeepDeletedBytes?: boolean;
}

export async function openSqlite(path: string, options: SqliteOptions = {}): Promise<Store> {
  mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SQLite(path);
  sqlite.pragma('journal_mode = WAL');
  // Deleted content is overwritten with zeros, not left in free pages.
  sqlite.pragma(`secure_delete = ${options.unsafeKeepDeletedBytes ? 'OFF' : 'ON'}`);
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  await migrate(db);
  return {
    db,
    checkpoint: async () => {
      if (!options.unsafeKeepDeletedBytes) await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db);
    },
    close: () => db.destroy(),
  };
}

/** Statements kept compiled, by their SQL; beyond this many the oldest is dropped. */
const STATEMENT_CACHE = 256;

/**
 * Kysely prepares every query anew, and compiling the SQL was the largest single cost of
 * queuing a job: compiled statements are reused. One being iterated is busy, so a query
 * that arrives meanwhile gets its own.
 */
function withStatementCache(sqlite: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(text: string) {
      const cached = cache.get(text);
      if (cached && !cached.busy) return cached;
      const statement = sqlite.prepare(text);
      if (cached) return statement;
      if (cache.size >= STATEMENT_CACHE) cache.delete(cache.keys().next().value!);
      cache.set(text, statement);
      return statement;
    },
  };
}

export async function migrate(db: Kysely<Database>): Promise<void> {
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`Database migration ${failed} failed: ${(error as Error).message}`);
  }
}
