/**
 * How applying a fact reads and writes rows, inside the caller's transaction. Two ways:
 *
 * - `directRows`: one query per read, each write at once (a single fact from the API).
 * - `BatchRows` (the import): the rows a batch of facts will touch are read up front in a few
 *   queries, reads are served from memory (and see the batch's own earlier writes), and writes
 *   are held and flushed in multi-row statements, parents before children, before any read
 *   that goes to the database and at the end of the batch.
 *
 * On PostgreSQL every row read by id is locked (`FOR UPDATE`) until the transaction ends, so
 * the checks made on it hold when the transaction commits.
 */
import type { Transaction } from 'kysely';
import type { Engine } from '../../store/connect.js';
import type {
  ChargebackTable,
  CustomerTable,
  Database,
  IncidentTable,
  OrderTable,
  PlanTable,
  RefundTable,
  ReportTable,
  UsageReadingTable,
} from '../../store/schema.js';
import type { Fact } from './parse.js';

export interface KeyedRows {
  customers: CustomerTable;
  plans: PlanTable;
  incidents: IncidentTable;
  orders: OrderTable;
  reports: ReportTable;
  chargebacks: ChargebackTable;
  refunds: RefundTable;
}
export type KeyedTable = keyof KeyedRows;

/** Parents before children: the order writes are flushed in. */
const TABLE_ORDER: readonly KeyedTable[] = [
  'customers',
  'plans',
  'incidents',
  'orders',
  'reports',
  'chargebacks',
  'refunds',
];

export interface FactRows {
  /** The row with that id (locked on PostgreSQL), or undefined. */
  get<T extends KeyedTable>(table: T, id: string): Promise<KeyedRows[T] | undefined>;
  usage(orderId: string, asOfMs: number): Promise<UsageReadingTable | undefined>;
  /** Every refund stored on the order. */
  refundsOf(orderId: string): Promise<readonly RefundTable[]>;
  /** Inserts (`existed` false) or replaces the row with that id. */
  put<T extends KeyedTable>(table: T, row: KeyedRows[T], existed: boolean): Promise<void>;
  putUsage(row: UsageReadingTable, existed: boolean): Promise<void>;
  /** The transaction, for any other query, with every held write applied first. */
  query(): Promise<Transaction<Database>>;
}

/* Kysely cannot follow a table chosen at run time through its generics; these helpers state
   what holds (each KeyedRows[T] is exactly table T's row). */
type AnyTable = 'customers';
type AnyRow = CustomerTable;

function selectRows<T extends KeyedTable>(
  trx: Transaction<Database>,
  engine: Engine,
  table: T,
  ids: readonly string[],
): Promise<Array<KeyedRows[T]>> {
  const query = trx
    .selectFrom(table as AnyTable)
    .selectAll()
    .where('id', 'in', [...ids])
    .orderBy('id');
  return (engine === 'postgres' ? query.forUpdate() : query).execute() as Promise<
    Array<KeyedRows[T]>
  >;
}

async function insertRows<T extends KeyedTable>(
  trx: Transaction<Database>,
  table: T,
  rows: ReadonlyArray<KeyedRows[T]>,
): Promise<void> {
  await trx
    .insertInto(table as AnyTable)
    .values(rows as unknown as AnyRow[])
    .execute();
}

async function updateRow<T extends KeyedTable>(
  trx: Transaction<Database>,
  table: T,
  row: KeyedRows[T],
): Promise<void> {
  await trx
    .updateTable(table as AnyTable)
    .set(row as unknown as AnyRow)
    .where('id', '=', row.id)
    .execute();
}

async function updateUsage(trx: Transaction<Database>, row: UsageReadingTable): Promise<void> {
  await trx
    .updateTable('usageReadings')
    .set({ trafficBytes: row.trafficBytes, requests: row.requests })
    .where('orderId', '=', row.orderId)
    .where('asOfMs', '=', row.asOfMs)
    .execute();
}

/** One query per read, one statement per write. */
export function directRows(trx: Transaction<Database>, engine: Engine): FactRows {
  return {
    async get(table, id) {
      const [row] = await selectRows(trx, engine, table, [id]);
      return row;
    },
    usage(orderId, asOfMs) {
      return trx
        .selectFrom('usageReadings')
        .selectAll()
        .where('orderId', '=', orderId)
        .where('asOfMs', '=', asOfMs)
        .executeTakeFirst();
    },
    refundsOf(orderId) {
      return trx.selectFrom('refunds').selectAll().where('orderId', '=', orderId).execute();
    },
    async put(table, row, existed) {
      await (existed ? updateRow(trx, table, row) : insertRows(trx, table, [row]));
    },
    async putUsage(row, existed) {
      await (existed
        ? updateUsage(trx, row)
        : trx.insertInto('usageReadings').values(row).execute());
    },
    query: () => Promise.resolve(trx),
  };
}

/** Statements per multi-row INSERT; 15 columns at most, under every bound-parameter limit. */
const ROWS_PER_INSERT = 200;
/** Ids per prefetch query. */
const IDS_PER_SELECT = 500;

const usageKey = (orderId: string, asOfMs: number) => `${orderId}\u0000${asOfMs}`;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Reads up front, serves reads from memory, holds writes until a flush. */
export class BatchRows implements FactRows {
  /** Per table: every id read so far, with its row (undefined: not stored). */
  private readonly known = new Map<KeyedTable, Map<string, KeyedRows[KeyedTable] | undefined>>(
    TABLE_ORDER.map((t) => [t, new Map()]),
  );
  private readonly knownUsage = new Map<string, UsageReadingTable | undefined>();
  /** Per order whose refunds were read: its refunds by id. */
  private readonly refundsByOrder = new Map<string, Map<string, RefundTable>>();
  private readonly inserts = new Map<KeyedTable, Map<string, KeyedRows[KeyedTable]>>(
    TABLE_ORDER.map((t) => [t, new Map()]),
  );
  private readonly updates = new Map<KeyedTable, Map<string, KeyedRows[KeyedTable]>>(
    TABLE_ORDER.map((t) => [t, new Map()]),
  );
  private readonly usageInserts = new Map<string, UsageReadingTable>();
  private readonly usageUpdates = new Map<string, UsageReadingTable>();

  constructor(
    private readonly trx: Transaction<Database>,
    private readonly engine: Engine,
  ) {}

  private table<T extends KeyedTable>(
    map: Map<KeyedTable, Map<string, KeyedRows[KeyedTable] | undefined>>,
    table: T,
  ): Map<string, KeyedRows[T] | undefined> {
    return map.get(table) as Map<string, KeyedRows[T] | undefined>;
  }

  /** Reads every row the facts name, in one query per table (and per 500 ids). */
  async prefetch(facts: readonly Fact[]): Promise<void> {
    const ids = new Map<KeyedTable, Set<string>>(TABLE_ORDER.map((t) => [t, new Set()]));
    const want = (table: KeyedTable, id: string | null) => {
      if (id !== null) ids.get(table)?.add(id);
    };
    const usage: Array<readonly [string, number]> = [];
    const refundOrders = new Set<string>();
    for (const f of facts) {
      switch (f.type) {
        case 'customer':
          want('customers', f.id);
          break;
        case 'flags':
          want('customers', f.customerId);
          break;
        case 'plan':
          want('plans', f.id);
          break;
        case 'incident':
          want('incidents', f.id);
          break;
        case 'order':
          want('orders', f.id);
          want('customers', f.customerId);
          want('plans', f.planId);
          refundOrders.add(f.id);
          break;
        case 'usage':
          want('orders', f.orderId);
          usage.push([f.orderId, f.asOfMs]);
          break;
        case 'report':
          want('orders', f.orderId);
          want('reports', f.id);
          break;
        case 'chargeback':
          want('orders', f.orderId);
          want('chargebacks', f.id);
          break;
        case 'refund':
          want('orders', f.orderId);
          want('refunds', f.id);
          want('incidents', f.incidentId);
          refundOrders.add(f.orderId);
          break;
      }
    }
    for (const table of TABLE_ORDER) {
      const wanted = [...(ids.get(table) ?? [])].filter((id) => !this.known.get(table)?.has(id));
      for (const part of chunks(wanted, IDS_PER_SELECT)) {
        const rows = await selectRows(this.trx, this.engine, table, part);
        const known = this.table(this.known, table);
        for (const id of part) known.set(id, undefined);
        for (const row of rows) known.set(row.id, row);
      }
    }
    for (const part of chunks(usage, IDS_PER_SELECT)) {
      const rows = await this.trx
        .selectFrom('usageReadings')
        .selectAll()
        .where(({ eb, refTuple, tuple }) =>
          eb(
            refTuple('orderId', 'asOfMs'),
            'in',
            part.map(([orderId, asOfMs]) => tuple(orderId, asOfMs)),
          ),
        )
        .execute();
      for (const [orderId, asOfMs] of part)
        this.knownUsage.set(usageKey(orderId, asOfMs), undefined);
      for (const row of rows) this.knownUsage.set(usageKey(row.orderId, row.asOfMs), row);
    }
    const orders = [...refundOrders].filter((id) => !this.refundsByOrder.has(id));
    for (const part of chunks(orders, IDS_PER_SELECT)) {
      const rows = await this.trx
        .selectFrom('refunds')
        .selectAll()
        .where('orderId', 'in', part)
        .execute();
      for (const id of part) this.refundsByOrder.set(id, new Map());
      for (const row of rows) this.refundsByOrder.get(row.orderId)?.set(row.id, row);
    }
  }

  async get<T extends KeyedTable>(table: T, id: string): Promise<KeyedRows[T] | undefined> {
    const known = this.table(this.known, table);
    if (known.has(id)) return known.get(id);
    // Not prefetched: no held write can concern it (a write marks its id known).
    const [row] = await selectRows(this.trx, this.engine, table, [id]);
    known.set(id, row);
    return row;
  }

  async usage(orderId: string, asOfMs: number): Promise<UsageReadingTable | undefined> {
    const key = usageKey(orderId, asOfMs);
    if (this.knownUsage.has(key)) return this.knownUsage.get(key);
    const row = await directRows(this.trx, this.engine).usage(orderId, asOfMs);
    this.knownUsage.set(key, row);
    return row;
  }

  async refundsOf(orderId: string): Promise<readonly RefundTable[]> {
    let refunds = this.refundsByOrder.get(orderId);
    if (refunds === undefined) {
      const rows = await (
        await this.query()
      )
        .selectFrom('refunds')
        .selectAll()
        .where('orderId', '=', orderId)
        .execute();
      refunds = new Map(rows.map((r) => [r.id, r]));
      this.refundsByOrder.set(orderId, refunds);
    }
    return [...refunds.values()];
  }

  put<T extends KeyedTable>(table: T, row: KeyedRows[T], existed: boolean): Promise<void> {
    const known = this.table(this.known, table);
    const before = known.get(row.id);
    known.set(row.id, row);
    const inserts = this.inserts.get(table) as Map<string, KeyedRows[T]>;
    if (inserts.has(row.id) || !existed) inserts.set(row.id, row);
    else (this.updates.get(table) as Map<string, KeyedRows[T]>).set(row.id, row);
    if (table === 'refunds') {
      const refund = row as RefundTable;
      const previous = before as RefundTable | undefined;
      if (previous !== undefined) this.refundsByOrder.get(previous.orderId)?.delete(refund.id);
      this.refundsByOrder.get(refund.orderId)?.set(refund.id, refund);
    }
    return Promise.resolve();
  }

  putUsage(row: UsageReadingTable, existed: boolean): Promise<void> {
    const key = usageKey(row.orderId, row.asOfMs);
    this.knownUsage.set(key, row);
    if (this.usageInserts.has(key) || !existed) this.usageInserts.set(key, row);
    else this.usageUpdates.set(key, row);
    return Promise.resolve();
  }

  async query(): Promise<Transaction<Database>> {
    await this.flush();
    return this.trx;
  }

  /** Applies every held write: parents before children, inserts before updates. */
  async flush(): Promise<void> {
    for (const table of TABLE_ORDER) {
      const inserts = this.inserts.get(table) as Map<string, KeyedRows[KeyedTable]>;
      for (const part of chunks([...inserts.values()], ROWS_PER_INSERT)) {
        await insertRows(this.trx, table, part);
      }
      inserts.clear();
      const updates = this.updates.get(table) as Map<string, KeyedRows[KeyedTable]>;
      for (const row of updates.values()) await updateRow(this.trx, table, row);
      updates.clear();
      if (table === 'orders') {
        // Usage readings hang off orders.
        for (const part of chunks([...this.usageInserts.values()], ROWS_PER_INSERT)) {
          await this.trx.insertInto('usageReadings').values(part).execute();
        }
        this.usageInserts.clear();
        for (const row of this.usageUpdates.values()) await updateUsage(this.trx, row);
        this.usageUpdates.clear();
      }
    }
  }
}
