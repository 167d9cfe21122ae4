/**
 * The payout desk: the customer's choice on a pro-rata offer, staff's view of failed payouts
 * with the provider's reason (retry, or mark a bank transfer or manual payout paid with its
 * reference), and the ledger of an order.
 */
import type { Kysely, Transaction } from 'kysely';
import type { CaseState } from '../../domain/case-state.js';
import type { Result } from '../../engine/index.js';
import type { Database, PayoutStatus, PayoutTable } from '../../store/schema.js';
import type { DeskDeps, Origin } from '../context.js';
import type { CaseError } from '../cases/errors.js';
import { findOrder } from '../facts.js';
import { latestDecision } from '../requests/read.js';
import { checkCovers, lockOrder, readLedger, type OrderLedger } from './ledger.js';
import { movePayoutCase } from './move.js';
import { applyOutcome, findPayoutForUpdate, isFinalPayout } from './settle.js';

export type PayoutErrorCode =
  'not_found' | 'illegal_transition' | 'forbidden' | 'ledger_refused' | 'payout_state_conflict';

export interface PayoutError {
  readonly code: PayoutErrorCode;
  readonly detail: string;
  /** The case's state, for `illegal_transition`. */
  readonly state?: string;
}

function fromMove(error: CaseError): PayoutError {
  const code =
    error.code === 'not_found' || error.code === 'forbidden' ? error.code : 'illegal_transition';
  return {
    code,
    detail: error.detail,
    ...(error.state === undefined ? {} : { state: error.state }),
  };
}

const PAYOUT_NOT_FOUND: PayoutError = { code: 'not_found', detail: 'No payout with that id.' };

function payoutConflict(detail: string): { readonly ok: false; readonly error: PayoutError } {
  return { ok: false, error: { code: 'payout_state_conflict', detail } };
}

/** Runs a staff action on a payout locked for it, in one transaction; not_found without one. */
function withLockedPayout(
  deps: DeskDeps,
  payoutId: string,
  action: (
    trx: Transaction<Database>,
    payout: PayoutTable,
  ) => Promise<Result<PayoutView, PayoutError>>,
): Promise<Result<PayoutView, PayoutError>> {
  return deps.store.db.transaction().execute(async (trx) => {
    const payout = await findPayoutForUpdate(trx, deps, payoutId);
    return payout === undefined ? { ok: false, error: PAYOUT_NOT_FOUND } : action(trx, payout);
  });
}

export interface PayoutView {
  readonly id: string;
  readonly requestId: string;
  readonly orderId: string;
  readonly source: PayoutTable['source'];
  readonly method: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly status: PayoutStatus;
  readonly providerRefundId: string | null;
  readonly failureCode: string | null;
  readonly failureReason: string | null;
  readonly reference: string | null;
  readonly attempts: number;
  readonly createdAt: string;
  readonly settledAt: string | null;
  /** The payout batch (finance's file) a bank transfer or manual payout is in, if any. */
  readonly batchId: string | null;
}

export function payoutView(row: PayoutTable): PayoutView {
  return {
    id: row.id,
    requestId: row.requestId,
    orderId: row.orderId,
    source: row.source,
    method: row.method,
    amountMinor: row.amountMinor,
    currency: row.currency,
    status: row.status,
    providerRefundId: row.providerRefundId,
    failureCode: row.failureCode,
    failureReason: row.failureReason,
    reference: row.reference,
    attempts: row.attempts,
    createdAt: new Date(row.createdAtMs).toISOString(),
    settledAt: row.settledAtMs === null ? null : new Date(row.settledAtMs).toISOString(),
    batchId: row.batchId,
  };
}

export type ProrataChoice = 'refund' | 'extension';

export interface ChoiceOutcome {
  readonly requestId: string;
  readonly state: CaseState;
  readonly payout: PayoutView | null;
  readonly extension: { readonly id: string; readonly extensionDays: number } | null;
}

/**
 * The customer's choice on a pro-rata offer: the pro-rata refund of the latest decision, or the
 * service extension. The payout or the extension command is written with the move.
 */
export async function chooseOnProrataOffer(
  deps: DeskDeps,
  origin: Origin,
  customerId: string,
  requestId: string,
  choice: ProrataChoice,
): Promise<Result<ChoiceOutcome, PayoutError>> {
  return deps.store.db
    .transaction()
    .execute(async (trx): Promise<Result<ChoiceOutcome, PayoutError>> => {
      const moved = await movePayoutCase(trx, deps, {
        requestId,
        customerId,
        event: choice === 'refund' ? 'accept_prorata_refund' : 'choose_extension',
        origin,
        reason:
          choice === 'refund'
            ? 'The customer accepted the pro-rata refund.'
            : 'The customer chose the service extension.',
      });
      if (!moved.ok) return { ok: false, error: fromMove(moved.error) };
      const state = await trx
        .selectFrom('refundRequests')
        .select('state')
        .where('id', '=', requestId)
        .executeTakeFirstOrThrow();
      const payout =
        choice === 'refund'
          ? await trx
              .selectFrom('payouts')
              .selectAll()
              .where('requestId', '=', requestId)
              .orderBy('createdAtMs', 'desc')
              .orderBy('id', 'desc')
              .limit(1)
              .executeTakeFirst()
          : undefined;
      const extension =
        choice === 'extension'
          ? await trx
              .selectFrom('extensionCommands')
              .select(['id', 'extensionDays'])
              .where('requestId', '=', requestId)
              .orderBy('createdAtMs', 'desc')
              .orderBy('id', 'desc')
              .limit(1)
              .executeTakeFirst()
          : undefined;
      return {
        ok: true,
        value: {
          requestId,
          state: state.state as CaseState,
          payout: payout === undefined ? null : payoutView(payout),
          extension: extension ?? null,
        },
      };
    });
}

export const PAYOUT_LIST_LIMITS = { defaultLimit: 50, maxLimit: 100 } as const;

export interface PayoutListQuery {
  readonly status: PayoutStatus | undefined;
  readonly limit: number;
  /** Payouts created before this id (the page cursor; ids are time-ordered). */
  readonly before: string | undefined;
}

/** Payouts newest first, optionally of one status (staff; `declined` lists the failed ones). */
export async function listPayouts(
  db: Kysely<Database>,
  query: PayoutListQuery,
): Promise<{ items: PayoutView[]; next: string | null }> {
  const limit = Math.min(Math.max(1, query.limit), PAYOUT_LIST_LIMITS.maxLimit);
  let select = db
    .selectFrom('payouts')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(limit + 1);
  if (query.status !== undefined) select = select.where('status', '=', query.status);
  if (query.before !== undefined) select = select.where('id', '<', query.before);
  const rows = await select.execute();
  const page = rows.slice(0, limit);
  return {
    items: page.map(payoutView),
    next: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
  };
}

export async function getPayout(
  db: Kysely<Database>,
  payoutId: string,
): Promise<Result<PayoutView, PayoutError>> {
  const row = await db
    .selectFrom('payouts')
    .selectAll()
    .where('id', '=', payoutId)
    .executeTakeFirst();
  return row === undefined
    ? { ok: false, error: PAYOUT_NOT_FOUND }
    : { ok: true, value: payoutView(row) };
}

/**
 * Staff retry a declined payout once its cause is fixed: the ledger is checked again under the
 * order's lock (a refusal changes nothing), then the case moves back to payout_pending and a new
 * payout — a new id and key, since the declined one is final and paid nothing — is queued.
 */
export async function retryPayout(
  deps: DeskDeps,
  origin: Origin,
  payoutId: string,
  reason: string,
): Promise<Result<PayoutView, PayoutError>> {
  return withLockedPayout(deps, payoutId, async (trx, failed) => {
    if (failed.status !== 'declined') {
      return payoutConflict(
        `Payout ${failed.id} is ${failed.status}; only a declined payout can be retried.`,
      );
    }
    const order = await lockOrder(trx, deps.store.engine, failed.orderId);
    const decision = await latestDecision(trx, failed.requestId);
    if (order === undefined || decision === undefined) {
      throw new Error(`payout ${failed.id} has no order or decision`);
    }
    const refusal = checkCovers(
      await readLedger(trx, order),
      decision.refundMinor,
      decision.currency,
    );
    if (refusal !== null) {
      return { ok: false, error: { code: 'ledger_refused', detail: refusal.detail } };
    }
    const before = await trx
      .selectFrom('payouts')
      .select('id')
      .where('requestId', '=', failed.requestId)
      .execute();
    const moved = await movePayoutCase(trx, deps, {
      requestId: failed.requestId,
      event: 'retry_payout',
      origin,
      reason,
    });
    if (!moved.ok) return { ok: false, error: fromMove(moved.error) };
    // The payout the move's outbox just wrote: the request's one that did not exist before.
    const created = await trx
      .selectFrom('payouts')
      .selectAll()
      .where('requestId', '=', failed.requestId)
      .where(
        'id',
        'not in',
        before.map((row) => row.id),
      )
      .executeTakeFirstOrThrow();
    return { ok: true, value: payoutView(created) };
  });
}

/** Methods staff settle by hand: the finance team's bank transfer, the manual method. */
const MARKABLE_METHODS: ReadonlySet<string> = new Set(['bank_transfer', 'manual']);

/** Staff mark a bank transfer or manual payout paid, with the transfer's reference. */
export async function markPayoutPaid(
  deps: DeskDeps,
  origin: Origin,
  payoutId: string,
  reference: string,
): Promise<Result<PayoutView, PayoutError>> {
  return withLockedPayout(deps, payoutId, async (trx, payout) => {
    if (!MARKABLE_METHODS.has(payout.method) || isFinalPayout(payout.status)) {
      return payoutConflict(
        `Payout ${payout.id} (${payout.method}, ${payout.status}) cannot be marked paid: only an open bank transfer or manual payout can.`,
      );
    }
    await applyOutcome(
      trx,
      deps,
      payout,
      { kind: 'succeeded', providerRefundId: payout.providerRefundId ?? `ref:${reference}` },
      origin,
      reference,
    );
    const updated = await findPayoutForUpdate(trx, deps, payoutId);
    if (updated === undefined) throw new Error('payout vanished');
    return { ok: true, value: payoutView(updated) };
  });
}

export interface OrderLedgerView extends OrderLedger {
  readonly payouts: PayoutView[];
  readonly refunds: {
    readonly id: string;
    readonly amountMinor: number;
    readonly kind: string;
    readonly refundedAt: string;
  }[];
}

/** Bounds the admin ledger view: an order has at most a handful of payouts. */
const MAX_LEDGER_ROWS = 200;

export async function orderLedgerView(
  db: Kysely<Database>,
  orderId: string,
): Promise<Result<OrderLedgerView, PayoutError>> {
  const order = await findOrder(db, orderId);
  if (order === undefined) {
    return { ok: false, error: { code: 'not_found', detail: 'No order with that id.' } };
  }
  const ledger = await readLedger(db, order);
  const payouts = await db
    .selectFrom('payouts')
    .selectAll()
    .where('orderId', '=', orderId)
    .orderBy('id')
    .limit(MAX_LEDGER_ROWS)
    .execute();
  const refunds = await db
    .selectFrom('refunds')
    .selectAll()
    .where('orderId', '=', orderId)
    .orderBy('refundedAtMs')
    .orderBy('id')
    .limit(MAX_LEDGER_ROWS)
    .execute();
  return {
    ok: true,
    value: {
      ...ledger,
      payouts: payouts.map(payoutView),
      refunds: refunds.map((r) => ({
        id: r.id,
        amountMinor: r.amountMinor,
        kind: r.kind,
        refundedAt: new Date(r.refundedAtMs).toISOString(),
      })),
    },
  };
}
