/**
 * Delivering and settling payouts, for the worker and reconciler (src/payouts/), provider
 * webhooks and staff. Every step commits before the next talks to the provider:
 *
 * 1. `claimPayouts` leases due payouts (SKIP LOCKED on PostgreSQL, so workers never wait on
 *    each other's rows);
 * 2. `beginAttempt` records the attempt before the call; a refund attempt moves the payout from
 *    `queued` to `unknown` — from then on, until an outcome is recorded, nobody knows whether the
 *    provider paid, and only the reconciler (asking the provider with `lookup`, and re-sending
 *    only under the same idempotency key when the provider has no such refund) touches it;
 * 3. `finishAttempt` records the outcome: succeeded → the `refunds` ledger row and the case to
 *    `paid`; declined → the case to `payout_failed` with the provider's reason; pending → waits
 *    for a webhook or the reconciler; unknown or not found → tried again after a back-off.
 *
 * Payout states only move forward (queued → unknown → pending → succeeded | declined): an
 * outcome that would move one back, or change a final one, is ignored.
 */
import type { Kysely, Transaction } from 'kysely';
import { claimLeases } from '../../store/leases.js';
import type { Database, PayoutStatus, PayoutTable } from '../../store/schema.js';
import { appendAudit } from '../audit.js';
import { SYSTEM_ORIGIN, type DeskDeps, type Origin } from '../context.js';
import { payoutAuditView } from './ledger.js';
import { movePayoutCase } from './move.js';
import type { LookupOutcome, ProviderOutcome, RefundInstruction } from './provider.js';

type Db = Kysely<Database> | Transaction<Database>;

const RANK: { readonly [S in PayoutStatus]: number } = {
  queued: 0,
  unknown: 1,
  pending: 2,
  succeeded: 3,
  declined: 3,
};

export function isFinalPayout(status: PayoutStatus): boolean {
  return RANK[status] === 3;
}

/** Whether a payout may move from `from` to `to`: forward only, finals never change. */
export function isForward(from: PayoutStatus, to: PayoutStatus): boolean {
  return RANK[to] > RANK[from];
}

/** Back-off after the n-th attempt without an outcome: 2^(n-1) × base, capped. */
export function backoffMs(attempts: number, baseMs = 1_000, capMs = 3_600_000): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30);
  return Math.min(capMs, baseMs * 2 ** exponent);
}

export function instructionOf(payout: PayoutTable): RefundInstruction {
  return {
    refundId: payout.id,
    idempotencyKey: payout.idempotencyKey,
    orderId: payout.orderId,
    chargeRef: payout.chargeRef,
    amountMinor: payout.amountMinor,
    currency: payout.currency,
    ...(payout.providerRefundId === null ? {} : { providerRefundId: payout.providerRefundId }),
  };
}

async function lockPayout(
  trx: Transaction<Database>,
  deps: DeskDeps,
  payoutId: string,
): Promise<PayoutTable | undefined> {
  let query = trx.selectFrom('payouts').selectAll().where('id', '=', payoutId);
  if (deps.store.engine === 'postgres') query = query.forUpdate();
  return query.executeTakeFirst();
}

export interface ClaimOptions {
  readonly workerId: string;
  readonly statuses: readonly PayoutStatus[];
  /** Payouts per claim; at most 100. */
  readonly limit: number;
  readonly leaseMs: number;
  /** Only these methods (the providers this worker has). */
  readonly methods?: readonly string[];
}

/** Leases up to `limit` due payouts in `statuses` whose lease is free or expired. */
export async function claimPayouts(deps: DeskDeps, options: ClaimOptions): Promise<PayoutTable[]> {
  const nowMs = deps.clock.nowMs();
  const { methods } = options;
  return claimLeases(deps.store, {
    table: 'payouts',
    lease: options,
    nowMs,
    maxBatch: 100,
    due: (query) => {
      const due = query
        .where('status', 'in', options.statuses)
        .where('nextAttemptAtMs', '<=', nowMs)
        .orderBy('nextAttemptAtMs')
        .orderBy('id');
      return methods === undefined ? due : due.where('method', 'in', methods);
    },
    load: (trx, ids) =>
      trx
        .selectFrom('payouts')
        .selectAll()
        .where('id', 'in', ids)
        .orderBy('nextAttemptAtMs')
        .orderBy('id')
        .execute(),
  });
}

export interface BegunAttempt {
  readonly payout: PayoutTable;
  readonly seq: number;
}

/**
 * Records an attempt before the provider is called (committed when this returns). Undefined when
 * the lease was lost or the payout moved on meanwhile: then nothing may be sent.
 */
export async function beginAttempt(
  deps: DeskDeps,
  input: {
    readonly payoutId: string;
    readonly workerId: string;
    readonly kind: 'refund' | 'lookup';
    readonly expect: readonly PayoutStatus[];
  },
): Promise<BegunAttempt | undefined> {
  return deps.store.db.transaction().execute(async (trx) => {
    const payout = await lockPayout(trx, deps, input.payoutId);
    const nowMs = deps.clock.nowMs();
    if (
      payout === undefined ||
      payout.leaseOwner !== input.workerId ||
      (payout.leaseUntilMs ?? 0) <= nowMs ||
      !input.expect.includes(payout.status)
    ) {
      return undefined;
    }
    const seq = payout.attempts + 1;
    await trx
      .insertInto('payoutAttempts')
      .values({
        payoutId: payout.id,
        seq,
        kind: input.kind,
        worker: input.workerId,
        startedAtMs: nowMs,
        finishedAtMs: null,
        outcome: null,
        detail: null,
      })
      .execute();
    const status: PayoutStatus =
      input.kind === 'refund' && payout.status === 'queued' ? 'unknown' : payout.status;
    const updated: PayoutTable = { ...payout, attempts: seq, status, updatedAtMs: nowMs };
    await trx
      .updateTable('payouts')
      .set({ attempts: seq, status, updatedAtMs: nowMs })
      .where('id', '=', payout.id)
      .execute();
    if (status !== payout.status) {
      await appendAudit(trx, deps.store.engine, SYSTEM_ORIGIN, nowMs, {
        action: 'payout.sending',
        entityKind: 'payout',
        entityId: payout.id,
        before: { status: payout.status },
        after: { status, attempt: seq, worker: input.workerId },
      });
    }
    return { payout: updated, seq };
  });
}

function describe(outcome: LookupOutcome): string {
  switch (outcome.kind) {
    case 'succeeded':
    case 'pending':
      return outcome.providerRefundId;
    case 'declined':
      return `${outcome.code}: ${outcome.reason}`;
    case 'unknown':
      return outcome.reason;
    case 'not_found':
      return 'the provider has no such refund';
  }
}

/**
 * Records the outcome of an attempt and releases the lease. Outcomes without an answer
 * (unknown, not found) schedule the next try after `backoffMs(attempts)`.
 */
export async function finishAttempt(
  deps: DeskDeps,
  input: {
    readonly payoutId: string;
    readonly seq: number;
    readonly outcome: LookupOutcome;
    readonly backoffBaseMs?: number;
  },
): Promise<PayoutStatus> {
  return deps.store.db.transaction().execute(async (trx) => {
    const payout = await lockPayout(trx, deps, input.payoutId);
    if (payout === undefined) throw new Error(`no payout ${input.payoutId}`);
    const nowMs = deps.clock.nowMs();
    await trx
      .updateTable('payoutAttempts')
      .set({
        finishedAtMs: nowMs,
        outcome: input.outcome.kind,
        detail: describe(input.outcome).slice(0, 500),
      })
      .where('payoutId', '=', payout.id)
      .where('seq', '=', input.seq)
      .execute();
    await trx
      .updateTable('payouts')
      .set({
        leaseOwner: null,
        leaseUntilMs: null,
        nextAttemptAtMs: nowMs + backoffMs(payout.attempts, input.backoffBaseMs),
      })
      .where('id', '=', payout.id)
      .execute();
    if (input.outcome.kind === 'unknown' || input.outcome.kind === 'not_found') {
      return payout.status;
    }
    return applyOutcome(trx, deps, payout, input.outcome, SYSTEM_ORIGIN);
  });
}

/** Closes a lookup that found nothing, keeping the lease for a re-send under the same key. */
export async function closeLookupAttempt(
  deps: DeskDeps,
  payoutId: string,
  seq: number,
): Promise<void> {
  await deps.store.db
    .updateTable('payoutAttempts')
    .set({
      finishedAtMs: deps.clock.nowMs(),
      outcome: 'not_found',
      detail: 'the provider has no such refund',
    })
    .where('payoutId', '=', payoutId)
    .where('seq', '=', seq)
    .execute();
}

/**
 * Applies a provider's statement about a payout (from a call, a lookup, a webhook, or staff
 * marking a bank transfer paid), forward only, in the caller's transaction with the payout
 * locked. Returns the payout's status afterwards.
 */
export async function applyOutcome(
  trx: Transaction<Database>,
  deps: DeskDeps,
  payout: PayoutTable,
  outcome: ProviderOutcome,
  origin: Origin,
  reference?: string,
): Promise<PayoutStatus> {
  if (outcome.kind === 'unknown') return payout.status;
  const target: PayoutStatus = outcome.kind;
  if (!isForward(payout.status, target)) return payout.status;
  const nowMs = deps.clock.nowMs();
  const final = isFinalPayout(target);
  const updated: PayoutTable = {
    ...payout,
    status: target,
    providerRefundId:
      outcome.kind === 'declined' ? payout.providerRefundId : outcome.providerRefundId,
    failureCode: outcome.kind === 'declined' ? outcome.code : payout.failureCode,
    failureReason: outcome.kind === 'declined' ? outcome.reason : payout.failureReason,
    reference: reference ?? payout.reference,
    updatedAtMs: nowMs,
    settledAtMs: final ? nowMs : null,
    ...(final ? { leaseOwner: null, leaseUntilMs: null } : {}),
  };
  await trx
    .updateTable('payouts')
    .set({
      status: updated.status,
      providerRefundId: updated.providerRefundId,
      failureCode: updated.failureCode,
      failureReason: updated.failureReason,
      reference: updated.reference,
      updatedAtMs: nowMs,
      settledAtMs: updated.settledAtMs,
      ...(final ? { leaseOwner: null, leaseUntilMs: null } : {}),
    })
    .where('id', '=', payout.id)
    .execute();
  await appendAudit(trx, deps.store.engine, origin, nowMs, {
    action: `payout.${target}`,
    entityKind: 'payout',
    entityId: payout.id,
    before: { status: payout.status },
    after: payoutAuditView(updated),
  });
  if (target === 'succeeded') {
    await trx
      .insertInto('refunds')
      .values({
        id: payout.id,
        orderId: payout.orderId,
        amountMinor: payout.amountMinor,
        kind: payout.source === 'prorata' ? 'compensation' : 'requested',
        refundedAtMs: nowMs,
        incidentId: null,
        createdAtMs: nowMs,
      })
      .execute();
    await moveIfPending(
      trx,
      deps,
      payout.requestId,
      'payout_confirmed',
      origin,
      'provider confirmed the refund',
    );
  } else if (target === 'declined') {
    await moveIfPending(
      trx,
      deps,
      payout.requestId,
      'payout_declined',
      origin,
      `${updated.failureCode ?? 'declined'}: ${updated.failureReason ?? ''}`.trim(),
    );
  }
  return target;
}

async function moveIfPending(
  trx: Transaction<Database>,
  deps: DeskDeps,
  requestId: string,
  event: 'payout_confirmed' | 'payout_declined',
  origin: Origin,
  reason: string,
): Promise<void> {
  const request = await trx
    .selectFrom('refundRequests')
    .select('state')
    .where('id', '=', requestId)
    .executeTakeFirst();
  if (request?.state !== 'payout_pending') return;
  // The provider's statement moves the case as the desk itself (payout_declined is system-only).
  const moveOrigin = event === 'payout_declined' ? SYSTEM_ORIGIN : origin;
  const moved = await movePayoutCase(trx, deps, { requestId, event, origin: moveOrigin, reason });
  if (!moved.ok) throw new Error(`payout settle: ${event} on ${requestId}: ${moved.error.detail}`);
}

/** Locks and returns a payout (for staff and webhooks, in their transaction). */
export async function findPayoutForUpdate(
  trx: Transaction<Database>,
  deps: DeskDeps,
  payoutId: string,
): Promise<PayoutTable | undefined> {
  return lockPayout(trx, deps, payoutId);
}

export async function readPayout(db: Db, payoutId: string): Promise<PayoutTable | undefined> {
  return db.selectFrom('payouts').selectAll().where('id', '=', payoutId).executeTakeFirst();
}
