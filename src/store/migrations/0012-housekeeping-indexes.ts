/**
 * Indexes for the worker's housekeeping (app/housekeeping.ts), which deletes, oldest first and
 * in bounded batches, sessions that expired or were revoked long ago and old sign-in links: an
 * index range instead of a scan of the whole table every minute in every worker.
 * `revoked_at_ms` is indexed only where set (few sessions are revoked).
 */
import { sql, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on today's types */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('sessions_expires').on('sessions').column('expires_at_ms').execute();
  await db.schema
    .createIndex('sessions_revoked')
    .on('sessions')
    .column('revoked_at_ms')
    .where(sql.ref('revoked_at_ms'), 'is not', null)
    .execute();
  await db.schema
    .createIndex('sign_in_links_created')
    .on('sign_in_links')
    .column('created_at_ms')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const index of ['sign_in_links_created', 'sessions_revoked', 'sessions_expires']) {
    await db.schema.dropIndex(index).execute();
  }
}
