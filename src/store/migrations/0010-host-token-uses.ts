/**
 * Host-platform sign-in tokens are single-use: `host_token_uses` records each token's `jti` on
 * its first use (the primary key refuses a second, even a concurrent one) until the token has
 * expired; the index finds the expired rows that sign-ins delete as they go.
 */
import type { Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on today's types */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('host_token_uses')
    .addColumn('jti', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('used_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('host_token_uses_expires')
    .on('host_token_uses')
    .column('expires_at_ms')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('host_token_uses').execute();
}
