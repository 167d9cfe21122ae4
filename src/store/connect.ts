/**
 * Opening the database: SQLite (better-sqlite3) is the embedded default, PostgreSQL the
 * production engine. The same Kysely code runs on both.
 */
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { CamelCasePlugin, Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';
import { BACKSTOP_PAGES, startBackgroundCheckpoints } from './sqlite-checkpoints.js';
import { GroupCommitSqliteDialect } from './sqlite-group-commit.js';
import { SqliteLiteralLimitsPlugin } from './sqlite-literal-limits.js';
import { cachingStatements } from './sqlite-statements.js';

export type Engine = 'sqlite' | 'postgres';

export interface Store {
  readonly db: Kysely<Database>;
  readonly engine: Engine;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** `postgres://…`, `sqlite:PATH`, a file path, or `:memory:`. */
  readonly url: string;
  /** PostgreSQL schema to use (tests give each run its own). */
  readonly schema?: string;
  /** PostgreSQL connections per instance; default `defaultPoolSize()`. */
  readonly poolSize?: number;
  /**
   * SQLite files: `inline` (default) checkpoints the WAL inside the commit that fills it, as
   * SQLite does; `background` checkpoints on a worker thread (store/sqlite-checkpoints.ts), so
   * no request waits for one. The server uses `background`.
   */
  readonly sqliteCheckpoints?: 'inline' | 'background';
}

/**
 * Connections per instance on PostgreSQL: twice the cores, at least 4, at most 16. A request
 * holds at most one connection at a time (a transaction runs on one), and past a couple per core
 * more connections only add contention: on a 2-core machine, intake ran fastest with 2 to 4,
 * slower from 6 on (bench/intake.js). Several instances share the database's connection limit.
 */
export function defaultPoolSize(cores: number = availableParallelism()): number {
  return Math.min(16, Math.max(4, 2 * cores));
}

/** PostgreSQL returns int8 as text; we keep every integer within 2^53 and read it as a number. */
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`int8 value ${text} is beyond 2^53`);
  return value;
}
pg.types.setTypeParser(pg.types.builtins.INT8, parseInt8);

export function engineOf(url: string): Engine {
  return /^postgres(ql)?:\/\//.test(url) ? 'postgres' : 'sqlite';
}

export function openStore(options: OpenOptions): Store {
  const plugins = [new CamelCasePlugin()];
  if (engineOf(options.url) === 'postgres') {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? defaultPoolSize(),
      ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins });
    return { db, engine: 'postgres', close: () => db.destroy() };
  }
  const path = options.url.replace(/^sqlite:/, '');
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SqliteDatabase(path);
  // WAL: readers never block the writer. synchronous=NORMAL syncs the WAL at checkpoints, not at
  // every commit: a committed transaction survives an application crash; a power loss or an OS
  // crash may lose the commits made since the last checkpoint (it never corrupts the database).
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // Temporary files in memory. Every transaction runs in a savepoint (store/sqlite-group-commit.ts),
  // and SQLite keeps the original of each page a savepoint changes in a sub-journal that spills to
  // a temporary file past 64 KiB: intake crossed that on every request, and creating, writing and
  // deleting that file cost more than all its statements together (0.2–0.3 ms of kernel time on
  // this machine's ext4). Transactions here are small, so memory bounds are not a concern.
  sqlite.pragma('temp_store = MEMORY');
  const background = options.sqliteCheckpoints === 'background' && path !== ':memory:';
  if (background) sqlite.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  const checkpoints = background ? startBackgroundCheckpoints(path) : undefined;
  // A second, read-only connection serves SELECTs outside transactions (WAL: it never waits for
  // the writer); an in-memory database has no second connection (store/sqlite-group-commit.ts).
  const reader =
    path === ':memory:'
      ? undefined
      : new SqliteDatabase(path, { readonly: true, fileMustExist: true });
  reader?.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({
    dialect: new GroupCommitSqliteDialect({
      writer: cachingStatements(sqlite),
      ...(reader === undefined ? {} : { reader: cachingStatements(reader) }),
    }),
    plugins: [...plugins, new SqliteLiteralLimitsPlugin()],
  });
  return {
    db,
    engine: 'sqlite',
    async close() {
      await checkpoints?.stop();
      await db.destroy();
    },
  };
}
