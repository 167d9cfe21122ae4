/**
 * Bounded deletes for purges (app/housekeeping.ts and the purges sign-in runs as it goes).
 */
import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { Engine } from './connect.js';
import type { Database } from './schema.js';

/**
 * Deletes the rows of `table` whose `key` is among those `picked` selects (a SELECT of that key,
 * ordered and limited by the caller), returning how many. On PostgreSQL the picked rows are
 * locked SKIP LOCKED, so concurrent purges take different rows instead of waiting (or
 * deadlocking) for each other; SQLite has one writer.
 */
export async function deletePicked<T extends keyof Database & string, K extends string>(
  db: Kysely<Database>,
  engine: Engine,
  table: T,
  key: K,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any selection of the key
  picked: SelectQueryBuilder<Database, T, any>,
): Promise<number> {
  const locked = engine === 'postgres' ? picked.forUpdate().skipLocked() : picked;
  // The table is a type parameter here: Kysely's column types cannot follow it.
  const loose = db as unknown as Kysely<Record<string, Record<string, unknown>>>;
  const result = await loose
    .deleteFrom(table as string)
    .where(key, 'in', locked as never)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Deletes up to `maxRows` rows of `table` whose `timeColumn` is at or before `atOrBeforeMs`, the
 * oldest first, through `deletePicked` (so concurrent purges skip each other on PostgreSQL).
 */
export function deleteOldest<T extends keyof Database & string>(
  db: Kysely<Database>,
  engine: Engine,
  target: {
    readonly table: T;
    readonly key: string;
    readonly timeColumn: string;
    readonly atOrBeforeMs: number;
    readonly maxRows: number;
  },
): Promise<number> {
  const { table, key, timeColumn, atOrBeforeMs, maxRows } = target;
  // The table is a type parameter here: Kysely's column types cannot follow it.
  const loose = db as unknown as Kysely<Record<string, Record<string, unknown>>>;
  const picked = loose
    .selectFrom(table as string)
    .select(key)
    .where(timeColumn, '<=', atOrBeforeMs)
    .orderBy(timeColumn)
    .limit(maxRows);
  return deletePicked(db, engine, table, key, picked as never);
}
