/**
 * Refund-request intake: idempotency keys remember the response headers worth replaying
 * (content type, location), and indexes for purging old keys and for listing requests newest
 * first across all customers (staff).
 */
import type { Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on today's types */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('idempotency_keys')
    .addColumn('response_headers_json', 'text')
    .execute();
  await db.schema
    .createIndex('idempotency_keys_created')
    .on('idempotency_keys')
    .column('created_at_ms')
    .execute();
  await db.schema
    .createIndex('refund_requests_created')
    .on('refund_requests')
    .columns(['created_at_ms', 'id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('refund_requests_created').ifExists().execute();
  await db.schema.dropIndex('idempotency_keys_created').ifExists().execute();
  await db.schema.alterTable('idempotency_keys').dropColumn('response_headers_json').execute();
}
