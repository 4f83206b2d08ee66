// Moderation decisions (categories and a keyed hash of what was judged, never the text or
// the image), and the action a job's prompt got.

import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('moderation_decisions')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('owner', 'varchar(64)', (c) => c.notNull())
    .addColumn('subject', 'varchar(16)', (c) => c.notNull())
    .addColumn('categories', 'varchar(255)', (c) => c.notNull())
    .addColumn('action', 'varchar(16)', (c) => c.notNull())
    .addColumn('content_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.alterTable('jobs').addColumn('moderation', 'varchar(16)').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('jobs').dropColumn('moderation').execute();
  await db.schema.dropTable('moderation_decisions').execute();
}
