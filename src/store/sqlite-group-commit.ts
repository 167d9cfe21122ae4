/**
 * SQLite for Kysely with group commit and a reader connection.
 *
 * SQLite has one writer. Kysely's own SqliteDriver runs every query and transaction on one
 * connection, one after another, and every transaction ends in its own COMMIT. A COMMIT in WAL
 * mode appends every page the transaction changed to the WAL: intake changes about 28 pages (the
 * tail pages of each table and of its time-ordered indexes, plus one random leaf per random-key
 * index), and the COMMIT was 16% of intake's time on this machine.
 *
 * This driver keeps the one-writer rule but lets transactions that queue up behind each other
 * share one COMMIT:
 *
 * - A transaction waits for the writer (first come, first served). The first of a group opens
 *   the SQL transaction (`begin immediate`); each transaction, the first included, then runs
 *   inside a savepoint of its own, so a transaction that fails or throws rolls back to its
 *   savepoint and takes nothing else with it.
 * - When a transaction ends and another one is already waiting, the writer passes to it inside
 *   the same SQL transaction. When none waits, the COMMIT waits for the event loop's next check
 *   phase (`setImmediate`): the requests whose bytes arrived in the same poll phase start their
 *   transactions first and join. (Better-sqlite3 is synchronous, so a whole transaction runs in
 *   one macrotask: without this wait, requests would never overlap and every one would commit
 *   alone.) A group of `maxTransactionsPerCommit` commits at once. Each transaction's `commit`
 *   resolves only once the group's COMMIT has succeeded; a failed COMMIT fails every transaction
 *   of the group. So a caller sees exactly what it would see with a COMMIT of its own; only its
 *   wait changes: by one turn of the event loop when alone, by the group's work under load.
 * - Statements outside a transaction never run inside a group: a SELECT runs on the reader
 *   connection (a second connection to the same file; in WAL mode it reads the last committed
 *   state without waiting for the writer); anything else (and every statement of an in-memory
 *   database, which has no second connection) waits for the writer, commits the open group
 *   first and then runs in autocommit.
 *
 * Should SQLite itself abort the SQL transaction (an I/O error, a full disk), every transaction
 * of the group fails; such errors fail a lone transaction too.
 *
 * One rule for callers, as with any lock: a transaction must not wait, inside its callback, for
 * another transaction of the same store to finish (a deadlock with one connection too).
 */
import type { CompiledQuery } from 'kysely';
import {
  SelectQueryNode,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  type SqliteStatement,
} from 'kysely';

/** Connections as this driver needs them (store/sqlite-statements.ts `cachingStatements`). */
export interface SqliteConnectionLike {
  prepare(sql: string): SqliteStatement;
  /** Whether an SQL transaction is open on this connection (better-sqlite3 `inTransaction`). */
  readonly inTransaction: boolean;
  close(): void;
}

export interface GroupCommitOptions {
  readonly writer: SqliteConnectionLike;
  /** A second connection for SELECTs outside transactions; none for an in-memory database. */
  readonly reader?: SqliteConnectionLike;
  /** At most this many transactions share one COMMIT. */
  readonly maxTransactionsPerCommit?: number;
}

/**
 * The real `setImmediate`, taken when this module loads: tests that fake timers afterwards must
 * not stop commits.
 */
const nextCheckPhase = globalThis.setImmediate;

/** Enough to share the tail pages of a burst of requests; bounds how long the first one waits. */
export const DEFAULT_MAX_TRANSACTIONS_PER_COMMIT = 16;

/**
 * The savepoint of each transaction in a group. One name for all: they follow one another, never
 * nest (one ends before the next begins), and one SQL text keeps one prepared statement.
 */
const MEMBER_SAVEPOINT = 'group_member';

/** The writer, handed to one holder at a time, first come, first served. */
class WriterLock {
  #held = false;
  readonly #waiters: (() => void)[] = [];

  get waiting(): number {
    return this.#waiters.length;
  }

  get held(): boolean {
    return this.#held;
  }

  acquire(): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Hands the writer to the next waiter (it stays held) or frees it. */
  release(): void {
    if (!this.#held) throw new Error('the SQLite writer was released but not held');
    const next = this.#waiters.shift();
    if (next === undefined) this.#held = false;
    else next();
  }
}

interface Waiting {
  resolve(): void;
  reject(error: unknown): void;
}

/** The open SQL transaction and the transactions in it that wait for its COMMIT. */
interface Group {
  transactions: number;
  readonly committing: Waiting[];
}

/** One acquisition by Kysely: a query outside a transaction, or one transaction. */
class GroupConnection implements DatabaseConnection {
  /** The savepoint of the transaction this connection runs, while it holds the writer. */
  savepoint: string | undefined;

  constructor(private readonly driver: GroupCommitDriver) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.driver.execute<R>(this, query);
  }

  streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    return this.driver.stream<R>(this, query);
  }
}

function run<R>(connection: SqliteConnectionLike, query: CompiledQuery): QueryResult<R> {
  const statement = connection.prepare(query.sql);
  if (statement.reader) return { rows: statement.all(query.parameters) as R[] };
  const { changes, lastInsertRowid } = statement.run(query.parameters);
  return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
}

function exec(connection: SqliteConnectionLike, text: string): void {
  connection.prepare(text).run([]);
}

function quoted(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export class GroupCommitDriver implements Driver {
  readonly #writer: SqliteConnectionLike;
  readonly #reader: SqliteConnectionLike | undefined;
  readonly #maxTransactions: number;
  readonly #lock = new WriterLock();
  #group: Group | undefined;
  #commitScheduled = false;

  constructor(options: GroupCommitOptions) {
    const max = options.maxTransactionsPerCommit ?? DEFAULT_MAX_TRANSACTIONS_PER_COMMIT;
    if (!Number.isInteger(max) || max < 1) {
      throw new Error(`maxTransactionsPerCommit must be a positive integer, got ${max}`);
    }
    this.#writer = options.writer;
    this.#reader = options.reader;
    this.#maxTransactions = max;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new GroupConnection(this);
  }

  async releaseConnection(): Promise<void> {}

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const own = connection as GroupConnection;
    if (own.savepoint !== undefined) throw new Error('a transaction is already open here');
    await this.#lock.acquire();
    try {
      if (this.#group === undefined) {
        exec(this.#writer, 'begin immediate');
        this.#group = { transactions: 0, committing: [] };
      }
      const name = MEMBER_SAVEPOINT;
      exec(this.#writer, `savepoint ${name}`);
      this.#group.transactions += 1;
      own.savepoint = name;
    } catch (error) {
      this.#failGroup(error);
      this.#lock.release();
      throw error;
    }
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    const own = connection as GroupConnection;
    const name = this.#holding(own);
    const group = this.#group;
    if (group === undefined) throw new Error('a transaction ended outside its group');
    try {
      exec(this.#writer, `release ${name}`);
    } catch (error) {
      // The savepoint stays for rollbackTransaction, which Kysely calls next.
      return Promise.reject(error as Error);
    }
    own.savepoint = undefined;
    const committed = new Promise<void>((resolve, reject) => {
      group.committing.push({ resolve, reject });
    });
    this.#passWriter();
    return committed;
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const own = connection as GroupConnection;
    // Released already: its group's COMMIT failed, and with it this transaction.
    if (own.savepoint === undefined) return;
    const name = own.savepoint;
    own.savepoint = undefined;
    try {
      if (!this.#writer.inTransaction) {
        throw new Error('SQLite rolled back the whole transaction');
      }
      exec(this.#writer, `rollback to ${name}`);
      exec(this.#writer, `release ${name}`);
    } catch (error) {
      this.#failGroup(error);
    }
    this.#passWriter();
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    this.#holding(connection as GroupConnection);
    exec(this.#writer, `savepoint ${quoted(name)}`);
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    this.#holding(connection as GroupConnection);
    exec(this.#writer, `rollback to ${quoted(name)}`);
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    this.#holding(connection as GroupConnection);
    exec(this.#writer, `release ${quoted(name)}`);
  }

  async destroy(): Promise<void> {
    // Nothing holds the writer (Kysely destroys after its callers are done): commit what waits.
    if (this.#group !== undefined && !this.#lock.held) this.#commitGroup();
    this.#reader?.close();
    this.#writer.close();
  }

  async execute<R>(connection: GroupConnection, query: CompiledQuery): Promise<QueryResult<R>> {
    if (connection.savepoint !== undefined) return run<R>(this.#writer, query);
    if (this.#reader !== undefined && SelectQueryNode.is(query.query)) {
      return run<R>(this.#reader, query);
    }
    await this.#lock.acquire();
    try {
      if (this.#group !== undefined) this.#commitGroup();
      return run<R>(this.#writer, query);
    } finally {
      this.#lock.release();
    }
  }

  async *stream<R>(
    connection: GroupConnection,
    query: CompiledQuery,
  ): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(query.query)) {
      throw new Error('the SQLite driver streams SELECT queries only');
    }
    if (connection.savepoint !== undefined) {
      yield* rowsOf<R>(this.#writer, query);
      return;
    }
    if (this.#reader !== undefined) {
      yield* rowsOf<R>(this.#reader, query);
      return;
    }
    await this.#lock.acquire();
    try {
      if (this.#group !== undefined) this.#commitGroup();
      yield* rowsOf<R>(this.#writer, query);
    } finally {
      this.#lock.release();
    }
  }

  /** The savepoint of the transaction `connection` runs; throws when it holds no writer. */
  #holding(connection: GroupConnection): string {
    if (connection.savepoint === undefined) throw new Error('no transaction is open here');
    return connection.savepoint;
  }

  /**
   * The transaction holding the writer has ended: a full group commits now; otherwise the next
   * waiter joins it, or, when none waits, the COMMIT waits for the next check phase.
   */
  #passWriter(): void {
    const group = this.#group;
    if (group !== undefined) {
      if (group.transactions >= this.#maxTransactions) this.#commitGroup();
      else if (this.#lock.waiting === 0) this.#scheduleCommit();
    }
    this.#lock.release();
  }

  #scheduleCommit(): void {
    if (this.#commitScheduled) return;
    this.#commitScheduled = true;
    nextCheckPhase(() => {
      this.#commitScheduled = false;
      // Committed already, or a transaction of the group is running: it decides when it ends.
      if (this.#group === undefined || this.#lock.held) return;
      this.#commitGroup();
    });
  }

  #commitGroup(): void {
    const group = this.#group;
    if (group === undefined) return;
    this.#group = undefined;
    try {
      exec(this.#writer, 'commit');
    } catch (error) {
      this.#rollbackQuietly();
      for (const waiting of group.committing) waiting.reject(error);
      return;
    }
    for (const waiting of group.committing) waiting.resolve();
  }

  /** The SQL transaction is lost (or must be): every transaction waiting for it fails. */
  #failGroup(error: unknown): void {
    const group = this.#group;
    if (group === undefined) return;
    this.#group = undefined;
    this.#rollbackQuietly();
    const failed = new Error('the transaction was rolled back with its commit group', {
      cause: error,
    });
    for (const waiting of group.committing) waiting.reject(failed);
  }

  #rollbackQuietly(): void {
    if (!this.#writer.inTransaction) return;
    try {
      exec(this.#writer, 'rollback');
    } catch {
      // Nothing more to undo: SQLite has ended the transaction itself.
    }
  }
}

function* rowsOf<R>(
  connection: SqliteConnectionLike,
  query: CompiledQuery,
): IterableIterator<QueryResult<R>> {
  const statement = connection.prepare(query.sql);
  for (const row of statement.iterate(query.parameters)) yield { rows: [row as R] };
}

/** Kysely's SQLite dialect, with `GroupCommitDriver` as its driver. */
export class GroupCommitSqliteDialect implements Dialect {
  constructor(private readonly options: GroupCommitOptions) {}

  createDriver(): Driver {
    return new GroupCommitDriver(this.options);
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  createAdapter(): SqliteAdapter {
    return new SqliteAdapter();
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's own signature
  createIntrospector(db: Kysely<any>): SqliteIntrospector {
    return new SqliteIntrospector(db);
  }
}
