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

/**
 * Kysely opens every transaction with `begin` (deferred: the write lock is taken at the first
 * write). With more than one connection to the file (a second server process, the CLI importing
 * while the server runs), a deferred transaction that has read and then writes after another
 * connection committed fails at once with SQLITE_BUSY (its snapshot is stale; no busy timeout
 * helps). `begin immediate` takes the write lock first, waiting up to busy_timeout for it, so
 * every transaction sees the latest data and cannot fail that way. One connection alone sees no
 * difference.
 */
const BEGIN_IMMEDIATE = 'begin immediate';

/** Distinct SQL texts kept; the desk issues a few hundred. */
export const DEFAULT_MAX_STATEMENTS = 1_000;

export interface StatementCache extends KyselySqliteDatabase {
  /** Statements currently cached. */
  readonly size: number;
  /** Whether an SQL transaction is open on the connection. */
  readonly inTransaction: boolean;
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
    get inTransaction() {
      return database.inTransaction;
    },
    close() {
      cache.clear();
      database.close();
    },
    prepare(text: string): SqliteStatement {
      const sql = text === 'begin' ? BEGIN_IMMEDIATE : text;
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
