/**
 * People and sign-in: look orders up by email case-insensitively (sign-in links), count links
 * per email in a window (rate limit), and find a person's sessions (revoked when disabled).
 */
import { sql, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on today's types */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('orders_email_lower')
    .on('orders')
    .expression(sql`lower(email)`)
    .execute();
  await db.schema
    .createIndex('sign_in_links_email')
    .on('sign_in_links')
    .columns(['email', 'created_at_ms'])
    .execute();
  await db.schema
    .createIndex('sessions_subject')
    .on('sessions')
    .columns(['subject_kind', 'subject_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const index of ['sessions_subject', 'sign_in_links_email', 'orders_email_lower']) {
    await db.schema.dropIndex(index).execute();
  }
}
