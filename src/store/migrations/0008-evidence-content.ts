/**
 * Evidence bytes in the database: `evidence.content` (BLOB on SQLite, bytea on PostgreSQL),
 * written with the row in the transaction that records it. Null for rows written by earlier
 * versions, whose bytes stay files in the evidence folder under `stored_name`.
 */
import { PostgresAdapter, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on today's types */
export async function up(db: Kysely<any>): Promise<void> {
  // As store/prepared.ts tells the engines apart: by the dialect's adapter.
  const type = db.getExecutor().adapter instanceof PostgresAdapter ? 'bytea' : 'blob';
  await db.schema.alterTable('evidence').addColumn('content', type).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('evidence').dropColumn('content').execute();
}
