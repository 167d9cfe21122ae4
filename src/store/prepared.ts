/**
 * Queries of a fixed shape, built and compiled once per database and then run with fresh
 * parameters: the hot paths (intake, session lookup, audit append) skip Kysely's per-call
 * building, plugin transform and SQL compilation, which cost as much as running a small query
 * on SQLite. The query is still written with the Kysely builder, once, for both engines; the
 * SQL text is what Kysely compiles for the database it first runs on (SQLite or PostgreSQL),
 * and results pass through the database's plugins (CamelCasePlugin) as for any other query.
 *
 * A parameter is a property of the second argument of the builder callback (`p.orderId`): a
 * placeholder that the compiled query's parameter list holds where the value goes. Values that
 * are not placeholders (limits, constant lists) stay fixed in the compiled query. A parameter
 * missing (undefined) at run time is a bug and throws, as does a placeholder the query drops.
 *
 * Compiled queries are kept per database (per Kysely instance and its transactions, which share
 * the instance's adapter), so two stores on different engines never share SQL text.
 */
import {
  PostgresAdapter,
  type Compilable,
  type CompiledQuery,
  type DialectAdapter,
  type Kysely,
  type QueryResult,
  type Transaction,
} from 'kysely';
import type { Database } from './schema.js';
import type { Engine } from './connect.js';

type Db = Kysely<Database> | Transaction<Database>;

/** A placeholder for parameter `name` in a query being compiled. */
class Placeholder {
  constructor(readonly name: string) {}
}

/** A placeholder for the value of `column` in row `row` of a prepared multi-row insert. */
class Cell {
  constructor(
    readonly row: number,
    readonly column: string,
  ) {}
}

/** Where each compiled parameter comes from: a parameter's name, a row's cell, or a fixed value. */
type Slot =
  | { readonly name: string }
  | { readonly row: number; readonly column: string }
  | { readonly value: unknown };

interface Compiled {
  readonly query: CompiledQuery;
  readonly slots: readonly Slot[];
}

/** The builder callback's second argument: every property read is a placeholder. */
const placeholders: Record<string, unknown> = new Proxy(
  {},
  { get: (_target, name) => (typeof name === 'string' ? new Placeholder(name) : undefined) },
);

function engineOfAdapter(adapter: DialectAdapter): Engine {
  return adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/** The compiled query's parameters: fixed values as compiled, the others from `valueOf`. */
function bind(
  slots: readonly Slot[],
  valueOf: (slot: Exclude<Slot, { readonly value: unknown }>) => unknown,
): unknown[] {
  const parameters = new Array<unknown>(slots.length);
  for (let i = 0; i < slots.length; i += 1) {
    const slot = slots[i] as Slot;
    parameters[i] = 'value' in slot ? slot.value : valueOf(slot);
  }
  return parameters;
}

/** `build`'s query compiled once per database (per dialect adapter), with its slots. */
function compiledOnce(
  build: (db: Db, engine: Engine) => Compilable<unknown>,
): (db: Db) => Compiled {
  const compiledFor = new WeakMap<DialectAdapter, Compiled>();
  return (db) => {
    const adapter = db.getExecutor().adapter;
    const known = compiledFor.get(adapter);
    if (known !== undefined) return known;
    const query = build(db, engineOfAdapter(adapter)).compile();
    const slots = query.parameters.map((value): Slot => {
      if (value instanceof Placeholder) return { name: value.name };
      if (value instanceof Cell) return { row: value.row, column: value.column };
      return { value };
    });
    const compiled: Compiled = { query, slots };
    compiledFor.set(adapter, compiled);
    return compiled;
  };
}

export interface PreparedQuery<P, R> {
  /** All rows. */
  rows(db: Db, params: P): Promise<R[]>;
  /** The first row, or undefined. */
  first(db: Db, params: P): Promise<R | undefined>;
  /** The raw result (for writes: `numAffectedRows`). */
  run(db: Db, params: P): Promise<QueryResult<R>>;
}

/**
 * A query built by `build(db, p, engine)` once per database: `p` stands for the parameters,
 * `engine` lets a query differ where the engines must (`forUpdate()` on PostgreSQL only).
 */
export function prepareQuery<P extends object, R>(
  build: (db: Db, p: P, engine: Engine) => Compilable<R>,
): PreparedQuery<P, R> {
  const compile = compiledOnce((db, engine) => build(db, placeholders as P, engine));

  const run = (db: Db, params: P): Promise<QueryResult<R>> => {
    const { query, slots } = compile(db);
    const values = params as Record<string, unknown>;
    const parameters = bind(slots, (slot) => {
      if (!('name' in slot)) throw new Error('prepared query: a row cell outside an insert');
      const value = values[slot.name];
      if (value === undefined) throw new Error(`prepared query: parameter ${slot.name} is missing`);
      return value;
    });
    return db.executeQuery<R>({ ...query, parameters } as CompiledQuery<R>);
  };

  return {
    run,
    async rows(db, params) {
      return (await run(db, params)).rows;
    },
    async first(db, params) {
      return (await run(db, params)).rows[0];
    },
  };
}

/** Row shapes (columns and row count) kept per prepared insert; more are compiled each time. */
const MAX_INSERT_SHAPES = 64;

export interface PreparedInsert<Row> {
  /** Inserts `rows` (1..maxRows; none is a no-op) in one statement. */
  run(db: Db, rows: readonly Row[]): Promise<void>;
}

/**
 * A multi-row INSERT into `table`, prepared per shape: the columns (as Kysely's `values()`,
 * those whose value is not undefined, which every row must share) and the row count (at most
 * `maxRows`). Each parameter is a cell (row, column): the values are taken from the rows as they
 * are, with no intermediate object.
 */
export function prepareInsert<T extends keyof Database & string>(
  table: T,
  maxRows: number,
): PreparedInsert<Database[T]> {
  const byShape = new Map<string, (db: Db) => Compiled>();
  const insertOf = (columns: readonly string[], count: number) =>
    compiledOnce((db) =>
      // The table is a type parameter here: Kysely's row types cannot follow it.
      (db as unknown as Kysely<Record<string, Record<string, unknown>>>).insertInto(table).values(
        Array.from({ length: count }, (_, row) => {
          const values: Record<string, unknown> = {};
          for (const column of columns) values[column] = new Cell(row, column);
          return values;
        }),
      ),
    );
  const differ = () => new Error(`insert into ${table}: rows differ`);
  return {
    async run(db, rows) {
      const [first] = rows;
      if (first === undefined) return;
      if (rows.length > maxRows)
        throw new Error(`at most ${maxRows} rows per insert into ${table}`);
      const records = rows as unknown as readonly Record<string, unknown>[];
      const columns = Object.keys(first).filter((column) => records[0]?.[column] !== undefined);
      for (const values of records) {
        let defined = 0;
        for (const key in values) if (values[key] !== undefined) defined += 1;
        if (defined !== columns.length) throw differ();
      }
      const shape = `${rows.length}:${columns.join(',')}`;
      let compile = byShape.get(shape);
      if (compile === undefined) {
        compile = insertOf(columns, rows.length);
        if (byShape.size < MAX_INSERT_SHAPES) byShape.set(shape, compile);
      }
      const { query, slots } = compile(db);
      const parameters = bind(slots, (slot) => {
        if (!('row' in slot)) throw new Error(`insert into ${table}: a named parameter`);
        const value = records[slot.row]?.[slot.column];
        if (value === undefined) throw differ();
        return value;
      });
      await db.executeQuery({ ...query, parameters } as CompiledQuery);
    },
  };
}
