/**
 * The payout side of the transactional outbox: what a case's move writes for the payout and
 * extension workers, inside the transaction of the move (called from `onCaseTransition`).
 *
 * - entering `approved` (engine, reviewer or second approver): a payout of the latest
 *   decision's amount is created under the order's lock, and the case moves on to
 *   `payout_pending` (start_payout) in the same transaction;
 * - `accept_prorata_refund`, `retry_payout`: a payout of the latest decision's amount;
 * - `choose_extension`, `retry_extension`: a command to the seller's provisioning system.
 *
 * When the ledger refuses (the order no longer covers the amount, an open chargeback), the
 * payout is still written, already declined with the ledger's reason and never sent, and the case
 * moves to `payout_failed`: it goes back to staff with the reason, like a provider's decline.
 * Nothing here talks to the network; the workers deliver after the commit.
 */
import type { Transaction } from 'kysely';
import type { CaseEvent } from '../../domain/case-state.js';
import type { Database, DecisionTable, PayoutTable } from '../../store/schema.js';
import { appendAudit } from '../audit.js';
import { SYSTEM_ORIGIN, type DeskDeps } from '../context.js';
import { newId } from '../ids.js';
import { latestDecision } from '../requests/read.js';
import { applyCaseMove, type CaseEffects, type CaseTransitionRecord } from './case-move.js';
import { createPayout, idempotencyKeyOf, payoutAuditView, payoutMethodOf } from './ledger.js';

/** The events after which a payout instruction is written. */
const PAYOUT_EVENTS: ReadonlySet<CaseEvent> = new Set(['accept_prorata_refund', 'retry_payout']);
const EXTENSION_EVENTS: ReadonlySet<CaseEvent> = new Set(['choose_extension', 'retry_extension']);

/** The request's order and its latest decision (there is always one: intake writes it). */
async function requestAndDecision(
  trx: Transaction<Database>,
  requestId: string,
): Promise<{ request: { id: string; orderId: string }; decision: DecisionTable }> {
  const request = await trx
    .selectFrom('refundRequests')
    .select(['id', 'orderId'])
    .where('id', '=', requestId)
    .executeTakeFirstOrThrow();
  const decision = await latestDecision(trx, requestId);
  if (decision === undefined) throw new Error(`request ${requestId} has no decision`);
  return { request, decision };
}

/**
 * The payout effects of one case move. `effects` is the whole `onCaseTransition` hook: the move
 * this makes itself (start_payout, payout_declined) is followed by every side's effects.
 */
export async function payoutEffects(
  trx: Transaction<Database>,
  deps: DeskDeps,
  record: CaseTransitionRecord,
  effects: CaseEffects,
): Promise<void> {
  if (record.toState === 'approved') {
    const created = await writePayout(trx, deps, record.requestId, 'approved');
    await follow(trx, deps, effects, record.requestId, 'start_payout', 'approved refund');
    if (created.status === 'declined') {
      await follow(trx, deps, effects, record.requestId, 'payout_declined', declineReason(created));
    }
    return;
  }
  if (PAYOUT_EVENTS.has(record.event)) {
    const source =
      record.event === 'accept_prorata_refund'
        ? 'prorata'
        : await lastSource(trx, record.requestId);
    const created = await writePayout(trx, deps, record.requestId, source);
    if (created.status === 'declined') {
      await follow(trx, deps, effects, record.requestId, 'payout_declined', declineReason(created));
    }
    return;
  }
  if (EXTENSION_EVENTS.has(record.event)) {
    await writeExtensionCommand(trx, deps, record.requestId);
  }
}

function declineReason(payout: PayoutTable): string {
  return `${payout.failureCode ?? 'declined'}: ${payout.failureReason ?? ''}`.trim();
}

async function follow(
  trx: Transaction<Database>,
  deps: DeskDeps,
  effects: CaseEffects,
  requestId: string,
  event: CaseEvent,
  reason: string,
): Promise<void> {
  const moved = await applyCaseMove(trx, deps, { requestId, event, reason });
  if (!moved.ok) throw new Error(`payout outbox: ${event} on ${requestId}: ${moved.error.detail}`);
  await effects(trx, deps, moved.value);
}

async function lastSource(
  trx: Transaction<Database>,
  requestId: string,
): Promise<PayoutTable['source']> {
  const last = await trx
    .selectFrom('payouts')
    .select('source')
    .where('requestId', '=', requestId)
    .orderBy('createdAtMs', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return last?.source ?? 'approved';
}

/**
 * The payout of the request's latest decision: queued when the ledger covers it, otherwise
 * written declined with the ledger's reason (never sent).
 */
async function writePayout(
  trx: Transaction<Database>,
  deps: DeskDeps,
  requestId: string,
  source: PayoutTable['source'],
): Promise<PayoutTable> {
  const { request, decision } = await requestAndDecision(trx, requestId);
  const nowMs = deps.clock.nowMs();
  const context = { engine: deps.store.engine, origin: SYSTEM_ORIGIN, nowMs };
  if (decision.refundMinor > 0) {
    const created = await createPayout(trx, context, {
      requestId,
      orderId: request.orderId,
      decisionId: decision.id,
      source,
      amountMinor: decision.refundMinor,
      currency: decision.currency,
    });
    if (created.ok) return created.value;
    if (created.error.code === 'not_found') throw new Error(created.error.detail);
    return writeRefusedPayout(trx, deps, requestId, decision, source, created.error);
  }
  return writeRefusedPayout(trx, deps, requestId, decision, source, {
    code: 'nothing_to_refund',
    detail: `The latest decision refunds ${decision.refundMinor}; there is nothing to pay.`,
  });
}

async function writeRefusedPayout(
  trx: Transaction<Database>,
  deps: DeskDeps,
  requestId: string,
  decision: DecisionTable,
  source: PayoutTable['source'],
  refusal: { readonly code: string; readonly detail: string },
): Promise<PayoutTable> {
  const request = await trx
    .selectFrom('refundRequests')
    .innerJoin('orders', 'orders.id', 'refundRequests.orderId')
    .select(['orders.id', 'orders.paymentMethod', 'orders.provider', 'orders.chargeRef'])
    .where('refundRequests.id', '=', requestId)
    .executeTakeFirstOrThrow();
  const nowMs = deps.clock.nowMs();
  const id = newId('po', nowMs);
  const row: PayoutTable = {
    id,
    requestId,
    orderId: request.id,
    decisionId: decision.id,
    source,
    method: payoutMethodOf(request.paymentMethod),
    provider: request.provider,
    chargeRef: request.chargeRef,
    amountMinor: Math.max(0, decision.refundMinor),
    currency: decision.currency,
    idempotencyKey: idempotencyKeyOf(id),
    status: 'declined',
    providerRefundId: null,
    failureCode: `ledger_${refusal.code}`,
    failureReason: refusal.detail,
    reference: null,
    attempts: 0,
    nextAttemptAtMs: nowMs,
    leaseOwner: null,
    leaseUntilMs: null,
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
    settledAtMs: nowMs,
    batchId: null,
  };
  await trx.insertInto('payouts').values(row).execute();
  await appendAudit(trx, deps.store.engine, SYSTEM_ORIGIN, nowMs, {
    action: 'payout.refused',
    entityKind: 'payout',
    entityId: id,
    after: payoutAuditView(row),
  });
  return row;
}

async function writeExtensionCommand(
  trx: Transaction<Database>,
  deps: DeskDeps,
  requestId: string,
): Promise<void> {
  const { request, decision } = await requestAndDecision(trx, requestId);
  const nowMs = deps.clock.nowMs();
  const id = newId('ext', nowMs);
  await trx
    .insertInto('extensionCommands')
    .values({
      id,
      requestId,
      orderId: request.orderId,
      decisionId: decision.id,
      extensionDays: decision.extensionDays,
      status: 'queued',
      attempts: 0,
      nextAttemptAtMs: nowMs,
      leaseOwner: null,
      leaseUntilMs: null,
      lastError: null,
      acknowledgement: null,
      createdAtMs: nowMs,
      updatedAtMs: nowMs,
      settledAtMs: null,
    })
    .execute();
  await appendAudit(trx, deps.store.engine, SYSTEM_ORIGIN, nowMs, {
    action: 'extension.queued',
    entityKind: 'extension_command',
    entityId: id,
    after: { requestId, orderId: request.orderId, extensionDays: decision.extensionDays },
  });
}
