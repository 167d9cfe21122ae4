/**
 * Staff password sign-in attempts not (yet) known to have succeeded, for the limits against
 * online guessing (app/auth/sign-in-throttle.ts): counted per email and per client address
 * within a window, and purged once older than it.
 */
import type { Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on today's types */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('staff_sign_in_failures')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('ip', 'text')
    .addColumn('at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('staff_sign_in_failures_email')
    .on('staff_sign_in_failures')
    .columns(['email', 'at_ms'])
    .execute();
  await db.schema
    .createIndex('staff_sign_in_failures_ip')
    .on('staff_sign_in_failures')
    .columns(['ip', 'at_ms'])
    .execute();
  await db.schema
    .createIndex('staff_sign_in_failures_at')
    .on('staff_sign_in_failures')
    .column('at_ms')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('staff_sign_in_failures').execute();
}
