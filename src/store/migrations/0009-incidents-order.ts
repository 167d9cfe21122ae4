/**
 * Incidents in the order intake reads them (`starts_at_ms`, then `id`): the index gives that
 * order, so the query needs no sort of its own (it sorted every incident it read, on every
 * intake, in a temporary B-tree on SQLite).
 */
import type { Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on today's types */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('incidents_starts_id')
    .on('incidents')
    .columns(['starts_at_ms', 'id'])
    .execute();
  await db.schema.dropIndex('incidents_starts').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('incidents_starts').on('incidents').column('starts_at_ms').execute();
  await db.schema.dropIndex('incidents_starts_id').execute();
}
