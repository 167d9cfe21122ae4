/**
 * Payout batches: the files the finance team pays bank transfers (and staff pay manual refunds)
 * from. A batch row records who made it, how many lines, the totals per currency and the SHA-256
 * of its CSV; each payout in it points at it (`payouts.batch_id`, set once, never changed), so a
 * payout is in at most one batch and the file can be rendered again, byte for byte.
 */
import type { Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on today's types */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('payout_batches')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('line_count', 'integer', (c) => c.notNull())
    .addColumn('totals_json', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('payout_batches_created')
    .on('payout_batches')
    .columns(['created_at_ms', 'id'])
    .execute();
  await db.schema
    .alterTable('payouts')
    .addColumn('batch_id', 'text', (c) => c.references('payout_batches.id'))
    .execute();
  await db.schema.createIndex('payouts_batch').on('payouts').column('batch_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('payouts_batch').ifExists().execute();
  await db.schema.alterTable('payouts').dropColumn('batch_id').execute();
  await db.schema.dropTable('payout_batches').ifExists().execute();
}
