/**
 * The ledger of an order: what was paid, what has been refunded, what is on its way.
 *
 * - paid: `orders.amount_minor`;
 * - refunded: the `refunds` rows (money returned by any path: billing's facts and our succeeded
 *   payouts — a payout that succeeds writes its `refunds` row, under the payout's id, in the same
 *   transaction, so nothing is counted twice);
 * - in flight: payouts not final (queued, unknown, pending).
 *
 * A payout row is created only under a lock on its order, after checking that
 * paid − refunded − in flight covers it and that no chargeback (dispute) is open. The lock is a
 * row lock (`SELECT … FOR UPDATE`) on PostgreSQL. On SQLite the one connection of the pool runs
 * one transaction at a time (Kysely's SQLite driver holds a mutex from BEGIN to COMMIT), so the
 * check and the insert cannot interleave with another process's; across processes the first
 * statement of the lock is a write (`UPDATE orders SET id = id`), which takes SQLite's write lock
 * before anything is read, like BEGIN IMMEDIATE — a deferred transaction that read first could
 * otherwise act on a snapshot another writer has since changed.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { assertSafeInteger } from '../../domain/money.js';
import type { Result } from '../../engine/index.js';
import type { Engine } from '../../store/connect.js';
import type { Database, OrderTable, PayoutStatus, PayoutTable } from '../../store/schema.js';
import { appendAudit } from '../audit.js';
import { findOrder } from '../facts.js';
import type { Origin } from '../context.js';
import { newId } from '../ids.js';
import type { PayoutMethod } from './provider.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Payouts that still hold money: neither succeeded nor declined. */
export const IN_FLIGHT_STATUSES: readonly PayoutStatus[] = ['queued', 'unknown', 'pending'];

export interface OrderLedger {
  readonly orderId: string;
  readonly currency: string;
  readonly paidMinor: number;
  readonly refundedMinor: number;
  readonly inFlightMinor: number;
  /** paid − refunded − in flight; what a new payout may still take. */
  readonly availableMinor: number;
  readonly openChargebacks: number;
}

/** The order's payment method as a payout method: the money goes back the way it came. */
export function payoutMethodOf(paymentMethod: string): PayoutMethod {
  switch (paymentMethod) {
    case 'card':
      return 'card';
    case 'paypal':
      return 'paypal';
    case 'bank':
      return 'bank_transfer';
    case 'crypto':
      return 'manual';
    default:
      throw new Error(`no payout method for payment method ${paymentMethod}`);
  }
}

/** The payout's idempotency key: derived from its id, so every retry sends the same key. */
export function idempotencyKeyOf(payoutId: string): string {
  return `refund-desk:payout:${payoutId}`;
}

/** Reads the ledger of an order (inside the caller's transaction when it holds the lock). */
export async function readLedger(db: Db, order: OrderTable): Promise<OrderLedger> {
  // One round trip: the three figures as scalar subqueries.
  const row = await db
    .selectNoFrom((eb) => [
      eb
        .selectFrom('refunds')
        .select((sub) => sub.fn.coalesce(sub.fn.sum<number>('amountMinor'), sql<number>`0`).as('s'))
        .where('orderId', '=', order.id)
        .as('refunded'),
      eb
        .selectFrom('payouts')
        .select((sub) => sub.fn.coalesce(sub.fn.sum<number>('amountMinor'), sql<number>`0`).as('s'))
        .where('orderId', '=', order.id)
        .where('status', 'in', IN_FLIGHT_STATUSES)
        .as('inFlight'),
      eb
        .selectFrom('chargebacks')
        .select((sub) => sub.fn.countAll<number>().as('c'))
        .where('orderId', '=', order.id)
        .where('status', '=', 'open')
        .as('chargebacks'),
    ])
    .executeTakeFirstOrThrow();
  const refunded = { sum: row.refunded };
  const inFlight = { sum: row.inFlight };
  const chargebacks = { count: row.chargebacks };
  // PostgreSQL returns sum(bigint) as numeric (text) and count as int8.
  const refundedMinor = Number(refunded.sum);
  const inFlightMinor = Number(inFlight.sum);
  assertSafeInteger(refundedMinor, 'refundedMinor');
  assertSafeInteger(inFlightMinor, 'inFlightMinor');
  return {
    orderId: order.id,
    currency: order.currency,
    paidMinor: order.amountMinor,
    refundedMinor,
    inFlightMinor,
    availableMinor: order.amountMinor - refundedMinor - inFlightMinor,
    openChargebacks: Number(chargebacks.count),
  };
}

/**
 * Locks the order for the rest of the transaction and returns it (undefined: no such order).
 * PostgreSQL: a row lock. SQLite: a write first, which takes the database's write lock.
 */
export async function lockOrder(
  trx: Transaction<Database>,
  engine: Engine,
  orderId: string,
): Promise<OrderTable | undefined> {
  if (engine === 'postgres') {
    return trx
      .selectFrom('orders')
      .selectAll()
      .where('id', '=', orderId)
      .forUpdate()
      .executeTakeFirst();
  }
  await trx
    .updateTable('orders')
    .set((eb) => ({ id: eb.ref('id') }))
    .where('id', '=', orderId)
    .execute();
  return findOrder(trx, orderId);
}

export type LedgerRefusal =
  | {
      readonly code: 'exceeds_refundable';
      readonly detail: string;
      readonly ledger: OrderLedger;
    }
  | { readonly code: 'open_chargeback'; readonly detail: string; readonly ledger: OrderLedger }
  | { readonly code: 'currency_mismatch'; readonly detail: string; readonly ledger: OrderLedger };

/** Whether the ledger covers a payout of `amountMinor` in `currency`. Pure. */
export function checkCovers(
  ledger: OrderLedger,
  amountMinor: number,
  currency: string,
): LedgerRefusal | null {
  if (ledger.openChargebacks > 0) {
    return {
      code: 'open_chargeback',
      detail: `Order ${ledger.orderId} has an open chargeback or dispute; nothing is refunded while it is open.`,
      ledger,
    };
  }
  if (currency !== ledger.currency) {
    return {
      code: 'currency_mismatch',
      detail: `Order ${ledger.orderId} was paid in ${ledger.currency}, not ${currency}.`,
      ledger,
    };
  }
  if (amountMinor > ledger.availableMinor) {
    return {
      code: 'exceeds_refundable',
      detail: `Order ${ledger.orderId}: ${amountMinor} exceeds what is left to refund (${ledger.availableMinor} of ${ledger.paidMinor} paid; ${ledger.refundedMinor} refunded, ${ledger.inFlightMinor} in flight).`,
      ledger,
    };
  }
  return null;
}

export interface NewPayout {
  readonly requestId: string;
  readonly orderId: string;
  readonly decisionId: string | null;
  readonly source: PayoutTable['source'];
  readonly amountMinor: number;
  readonly currency: string;
}

export interface PayoutCreation {
  readonly engine: Engine;
  readonly origin: Origin;
  readonly nowMs: number;
}

/**
 * Creates a queued payout under the order's lock, in the caller's transaction, after the ledger
 * check; appends its audit entry. A refusal writes nothing. The amount must be a positive safe
 * integer (a bug otherwise).
 */
export async function createPayout(
  trx: Transaction<Database>,
  context: PayoutCreation,
  input: NewPayout,
): Promise<Result<PayoutTable, LedgerRefusal | { readonly code: 'not_found'; detail: string }>> {
  assertSafeInteger(input.amountMinor, 'amountMinor');
  if (input.amountMinor <= 0) throw new Error('a payout amount must be positive');
  const order = await lockOrder(trx, context.engine, input.orderId);
  if (order === undefined) {
    return { ok: false, error: { code: 'not_found', detail: `No order ${input.orderId}.` } };
  }
  const ledger = await readLedger(trx, order);
  const refusal = checkCovers(ledger, input.amountMinor, input.currency);
  if (refusal !== null) return { ok: false, error: refusal };
  const id = newId('po', context.nowMs);
  const row: PayoutTable = {
    id,
    requestId: input.requestId,
    orderId: order.id,
    decisionId: input.decisionId,
    source: input.source,
    method: payoutMethodOf(order.paymentMethod),
    provider: order.provider,
    chargeRef: order.chargeRef,
    amountMinor: input.amountMinor,
    currency: input.currency,
    idempotencyKey: idempotencyKeyOf(id),
    status: 'queued',
    providerRefundId: null,
    failureCode: null,
    failureReason: null,
    reference: null,
    attempts: 0,
    nextAttemptAtMs: context.nowMs,
    leaseOwner: null,
    leaseUntilMs: null,
    createdAtMs: context.nowMs,
    updatedAtMs: context.nowMs,
    settledAtMs: null,
    batchId: null,
  };
  await trx.insertInto('payouts').values(row).execute();
  await appendAudit(trx, context.engine, context.origin, context.nowMs, {
    action: 'payout.created',
    entityKind: 'payout',
    entityId: id,
    after: payoutAuditView(row),
  });
  return { ok: true, value: row };
}

/** What the audit log keeps of a payout. */
export function payoutAuditView(row: PayoutTable): Record<string, unknown> {
  return {
    requestId: row.requestId,
    orderId: row.orderId,
    source: row.source,
    method: row.method,
    amountMinor: row.amountMinor,
    currency: row.currency,
    idempotencyKey: row.idempotencyKey,
    status: row.status,
    providerRefundId: row.providerRefundId,
    failureCode: row.failureCode,
    failureReason: row.failureReason,
    reference: row.reference,
  };
}
