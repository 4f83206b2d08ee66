// A record of every retention purge, so /healthz can show the last one.

import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('purge_runs')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint', (c) => c.notNull())
    .addColumn('images_deleted', 'integer', (c) => c.notNull())
    .addColumn('prompts_cleared', 'integer', (c) => c.notNull())
    .addColumn('jobs_deleted', 'integer', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('purge_runs').execute();
}
