/**
 * Payouts: the money going back to the original payment method, exactly once.
 *
 * - `payouts`: one row per refund instruction (the outbox row, committed with the case's move),
 *   its idempotency key (derived from the id, unique), its delivery state and lease;
 * - `payout_attempts`: every call to a provider, recorded before the call is made;
 * - `provider_events`: provider webhooks, keyed by the provider's event id (de-duplication);
 * - `extension_commands`: service extensions sent to the seller's provisioning system.
 */
import type { Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on today's types */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('payouts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
    .addColumn('decision_id', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('charge_ref', 'text', (c) => c.notNull())
    .addColumn('amount_minor', 'bigint', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('provider_refund_id', 'text')
    .addColumn('failure_code', 'text')
    .addColumn('failure_reason', 'text')
    .addColumn('reference', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until_ms', 'bigint')
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('settled_at_ms', 'bigint')
    .execute();
  await db.schema.createIndex('payouts_order').on('payouts').column('order_id').execute();
  await db.schema.createIndex('payouts_request').on('payouts').column('request_id').execute();
  await db.schema
    .createIndex('payouts_due')
    .on('payouts')
    .columns(['status', 'next_attempt_at_ms'])
    .execute();

  await db.schema
    .createTable('payout_attempts')
    .addColumn('payout_id', 'text', (c) => c.notNull().references('payouts.id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('worker', 'text', (c) => c.notNull())
    .addColumn('started_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('finished_at_ms', 'bigint')
    .addColumn('outcome', 'text')
    .addColumn('detail', 'text')
    .addPrimaryKeyConstraint('payout_attempts_pk', ['payout_id', 'seq'])
    .execute();

  await db.schema
    .createTable('provider_events')
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('payout_id', 'text')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('payload_json', 'text', (c) => c.notNull())
    .addColumn('received_at_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('provider_events_pk', ['provider', 'event_id'])
    .execute();

  await db.schema
    .createTable('extension_commands')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
    .addColumn('decision_id', 'text')
    .addColumn('extension_days', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until_ms', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('acknowledgement', 'text')
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('settled_at_ms', 'bigint')
    .execute();
  await db.schema
    .createIndex('extension_commands_due')
    .on('extension_commands')
    .columns(['status', 'next_attempt_at_ms'])
    .execute();
  await db.schema
    .createIndex('extension_commands_request')
    .on('extension_commands')
    .column('request_id')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('extension_commands').ifExists().execute();
  await db.schema.dropTable('provider_events').ifExists().execute();
  await db.schema.dropTable('payout_attempts').ifExists().execute();
  await db.schema.dropTable('payouts').ifExists().execute();
}
