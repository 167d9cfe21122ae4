/**
 * Leasing due rows to one worker, for every table with a lease (`leaseOwner`, `leaseUntilMs`):
 * timers, case mail, webhook deliveries, payouts, extension commands. The caller names which rows
 * are due and in what order; `claimLeases` takes up to `limit` of them whose lease is free or
 * expired (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so concurrent workers take disjoint rows and
 * never wait on each other; SQLite has one writer), leases them to the worker and loads them with
 * the caller's `load`, all in one transaction. A crashed worker's lease runs out and another
 * worker takes its rows over.
 */
import type { SelectQueryBuilder, Transaction } from 'kysely';
import type { Store } from './connect.js';
import type { Database } from './schema.js';

/** The columns a leased table has. */
interface LeaseColumns {
  id: string;
  attempts: number;
  leaseOwner: string | null;
  leaseUntilMs: number | null;
  updatedAtMs: number;
}

/** The tables whose rows are leased to workers. */
export type LeasedTable = {
  [T in keyof Database]: Database[T] extends LeaseColumns ? T : never;
}[keyof Database];

/** The ids of a table's due rows, before the lease test, limit and lock are added. */
export type DueIds<T extends LeasedTable> = SelectQueryBuilder<Database, T, { id: string }>;

/** What a worker asks for. */
export interface LeaseRequest {
  readonly workerId: string;
  /** Rows per claim, held to 1..maxBatch. */
  readonly limit: number;
  /** How long the lease holds; after it a crashed worker's rows are taken over. */
  readonly leaseMs: number;
}

export interface LeaseClaim<T extends LeasedTable, R> {
  readonly table: T;
  readonly lease: LeaseRequest;
  readonly nowMs: number;
  readonly maxBatch: number;
  /** Which rows are due (status, due instant, …) and in what order they are taken. */
  readonly due: (query: DueIds<T>) => DueIds<T>;
  /** Counts the claim as an attempt (`attempts + 1`). */
  readonly countAttempt?: boolean;
  /** Sets `updatedAtMs` to now. */
  readonly touch?: boolean;
  /** Loads the leased rows (ids in the `due` order), in the claim's transaction. */
  readonly load: (trx: Transaction<Database>, ids: string[]) => Promise<R[]>;
}

/** Every leased table seen through its lease columns alone. */
type LeaseDatabase = Record<LeasedTable, LeaseColumns>;

/** Leases up to `limit` due rows whose lease is free or expired and returns them as loaded. */
export async function claimLeases<T extends LeasedTable, R>(
  store: Store,
  claim: LeaseClaim<T, R>,
): Promise<R[]> {
  const limit = Math.min(Math.max(1, claim.lease.limit), claim.maxBatch);
  const table: LeasedTable = claim.table;
  return store.db.transaction().execute(async (trx) => {
    const leases = trx as unknown as Transaction<LeaseDatabase>;
    const free = leases
      .selectFrom(table)
      .select('id')
      .where((eb) =>
        eb.or([eb('leaseUntilMs', 'is', null), eb('leaseUntilMs', '<=', claim.nowMs)]),
      );
    let query = claim.due(free as unknown as DueIds<T>).limit(limit);
    if (store.engine === 'postgres') query = query.forUpdate().skipLocked();
    const ids = (await query.execute()).map((row) => row.id);
    if (ids.length === 0) return [];
    await leases
      .updateTable(table)
      .set((eb) => ({
        leaseOwner: claim.lease.workerId,
        leaseUntilMs: claim.nowMs + claim.lease.leaseMs,
        ...(claim.countAttempt === true ? { attempts: eb('attempts', '+', 1) } : {}),
        ...(claim.touch === true ? { updatedAtMs: claim.nowMs } : {}),
      }))
      .where('id', 'in', ids)
      .execute();
    return claim.load(trx, ids);
  });
}
