/**
 * Prepared statements kept between queries on SQLite. Kysely's SqliteDriver calls
 * `database.prepare(sql)` for every query it runs; compiling the SQL again each time costs about
 * as much as running it. This wraps a better-sqlite3 database so that `prepare` returns the
 * statement already compiled for the same SQL text, from a bounded least-recently-used cache.
 * Kysely passes values as bound parameters, never in the SQL text, so the texts repeat.
 *
 * A statement still being iterated (a streamed query) is busy and cannot run again until it is
 * done: such a text gets a fresh statement, outside the cache.
 */
import type SqliteDatabase from 'better-sqlite3';
import type { SqliteDatabase as KyselySqliteDatabase, SqliteStatement } from 'kysely';

/** Distinct SQL texts kept; the desk issues a few hundred. */
export const DEFAULT_MAX_STATEMENTS = 1_000;

export interface StatementCache extends KyselySqliteDatabase {
  /** Statements currently cached. */
  readonly size: number;
}

export function cachingStatements(
  database: SqliteDatabase.Database,
  maxStatements: number = DEFAULT_MAX_STATEMENTS,
): StatementCache {
  if (!Number.isInteger(maxStatements) || maxStatements < 1) {
    throw new Error(`maxStatements must be a positive integer, got ${maxStatements}`);
  }
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    get size() {
      return cache.size;
    },
    close() {
      cache.clear();
      database.close();
    },
    prepare(sql: string): SqliteStatement {
      const cached = cache.get(sql);
      if (cached !== undefined) {
        if (cached.busy) return database.prepare(sql);
        // Most recently used last: re-inserting moves it to the end of the Map's order.
        cache.delete(sql);
        cache.set(sql, cached);
        return cached;
      }
      const statement = database.prepare(sql);
      cache.set(sql, statement);
      if (cache.size > maxStatements) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      return statement;
    },
  };
}
