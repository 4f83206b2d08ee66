// The queue shared fairly. Each queued job gets a turn when it is queued: an account's jobs
// take consecutive turns, and an account with nothing queued starts at the lowest turn
// queued (the one being served). Workers take the lowest turn first, so accounts with
// queued jobs alternate. queue_depth holds, per account with jobs queued, how many and its
// last turn; triggers on jobs keep it, whatever moved a job in or out of the queue (a
// claim, a cancel, an erasure, a crash recovery), so the limits are checked without
// counting the queue. The triggers are in SQLite's syntax; PostgreSQL will want its own.

import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('jobs').addColumn('turn', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.createIndex('jobs_status_turn').on('jobs').columns(['status', 'turn', 'created_at']).execute();
  // Every query by status is served by jobs_status_turn; one index fewer to write per change.
  await db.schema.dropIndex('jobs_status_created').execute();
  await db.schema
    .createTable('queue_depth')
    .addColumn('owner', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('queued', 'integer', (c) => c.notNull())
    .addColumn('last_turn', 'integer', (c) => c.notNull())
    .execute();
  await sql`INSERT INTO queue_depth (owner, queued, last_turn) SELECT owner, COUNT(*), MAX(turn) FROM jobs WHERE status = 'queued' GROUP BY owner`.execute(db);
  const enter = sql.raw(
    `INSERT INTO queue_depth (owner, queued, last_turn) VALUES (NEW.owner, 1, NEW.turn) ON CONFLICT (owner) DO UPDATE SET queued = queued + 1, last_turn = MAX(last_turn, excluded.last_turn);`,
  );
  // An account with nothing queued has no row: its next job starts at the turn being served.
  const leave = sql.raw(`UPDATE queue_depth SET queued = queued - 1 WHERE owner = OLD.owner; DELETE FROM queue_depth WHERE owner = OLD.owner AND queued <= 0;`);
  await sql`CREATE TRIGGER jobs_queued_insert AFTER INSERT ON jobs WHEN NEW.status = 'queued' BEGIN ${enter} END`.execute(db);
  await sql`CREATE TRIGGER jobs_queued_delete AFTER DELETE ON jobs WHEN OLD.status = 'queued' BEGIN ${leave} END`.execute(db);
  await sql`CREATE TRIGGER jobs_queued_enter AFTER UPDATE OF status ON jobs WHEN NEW.status = 'queued' AND OLD.status <> 'queued' BEGIN ${enter} END`.execute(db);
  await sql`CREATE TRIGGER jobs_queued_leave AFTER UPDATE OF status ON jobs WHEN OLD.status = 'queued' AND NEW.status <> 'queued' BEGIN ${leave} END`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const trigger of ['jobs_queued_leave', 'jobs_queued_enter', 'jobs_queued_delete', 'jobs_queued_insert']) await sql`DROP TRIGGER ${sql.raw(trigger)}`.execute(db);
  await db.schema.dropTable('queue_depth').execute();
  await db.schema.createIndex('jobs_status_created').on('jobs').columns(['status', 'created_at']).execute();
  await db.schema.dropIndex('jobs_status_turn').execute();
  await db.schema.alterTable('jobs').dropColumn('turn').execute();
}
