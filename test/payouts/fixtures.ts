/**
 * Payout fixtures, named by the state they build: an order paid in a currency, a case in a
 * given state with its decision and state log, and an approved case (approved by a reviewer
 * through moveCase, which runs the payout outbox: the case is then payout_pending with a queued
 * payout).
 */
import type { DeskDeps, Origin } from '../../src/app/context.js';
import { newId } from '../../src/app/ids.js';
import { moveCase } from '../../src/app/cases/move.js';
import type { CaseState } from '../../src/domain/case-state.js';
import type { PayoutTable } from '../../src/store/schema.js';
import { decideCase } from '../../src/app/decide.js';
import { eligibleCase } from '../support/cases.js';
import { seedCustomerWithOrder } from '../support/people.js';

/** A real decision of the shipped policy (notifications explain it), amounts set per case. */
function decisionJson(refundMinor: number, extensionDays: number, currency: string): string {
  const decided = decideCase(eligibleCase());
  if (!decided.ok) throw new Error('fixture: eligibleCase does not decide');
  return JSON.stringify({
    ...decided.value.decision,
    refundCents: refundMinor,
    extensionDays,
    currency,
  });
}

export const REVIEWER: Origin = {
  actor: { kind: 'staff', id: 'stf_reviewer', role: 'approver' },
  ip: null,
};

export interface PaidOrder {
  readonly orderId: string;
  readonly customerId: string;
  readonly chargeRef: string;
  readonly amountMinor: number;
  readonly currency: string;
}

export async function seedPaidOrder(
  deps: DeskDeps,
  options: {
    readonly amountMinor?: number;
    readonly currency?: string;
    readonly paymentMethod?: 'card' | 'paypal' | 'bank' | 'crypto';
    readonly chargeRef?: string;
  } = {},
): Promise<PaidOrder> {
  const paymentMethod = options.paymentMethod ?? 'card';
  const amountMinor = options.amountMinor ?? 5_000;
  const currency = options.currency ?? 'USD';
  const { orderId, customerId } = await seedCustomerWithOrder(deps, {
    paymentMethod,
    provider: { card: 'stripe', paypal: 'paypal', bank: 'bank', crypto: 'crypto' }[paymentMethod],
    ...(options.chargeRef === undefined ? {} : { chargeRef: options.chargeRef }),
    amountMinor,
    currency,
    purchasedAtMs: deps.clock.nowMs() - 86_400_000,
  });
  const chargeRef = options.chargeRef ?? `ch_${orderId}`;
  return { orderId, customerId, chargeRef, amountMinor, currency };
}

/** A case on `order` sitting in `state`, decided `outcome` for `refundMinor` (seq 1 of its log). */
export async function seedCaseIn(
  deps: DeskDeps,
  order: PaidOrder,
  state: CaseState,
  decision: {
    readonly refundMinor: number;
    readonly extensionDays?: number;
    readonly outcome?: string;
    readonly currency?: string;
  },
): Promise<string> {
  const nowMs = deps.clock.nowMs();
  const requestId = newId('rr', nowMs);
  const { db } = deps.store;
  await db
    .insertInto('refundRequests')
    .values({
      id: requestId,
      orderId: order.orderId,
      customerId: order.customerId,
      state,
      description: 'Every request times out',
      paymentMethod: 'card',
      networkContextJson: JSON.stringify({
        targetSites: ['example.com'],
        timestamps: ['2026-03-03T10:15:00Z'],
        egressCidrs: ['203.0.113.0/24'],
        clientConfig: 'proxy: gw.okkproxy.example:8000\n',
      }),
      contactEmail: null,
      contactIm: null,
      legallyRequired: 0,
      submittedAtMs: nowMs,
      policyId: 'okkproxy',
      policyVersion: 1,
      createdAtMs: nowMs,
      updatedAtMs: nowMs,
      rowVersion: 1,
      slaTargetAtMs: null,
      slaDeadlineAtMs: null,
    })
    .execute();
  await db
    .insertInto('decisions')
    .values({
      id: newId('dec', nowMs),
      requestId,
      seq: 1,
      decidedAtMs: nowMs,
      policyVersion: 'okkproxy@1',
      outcome: decision.outcome ?? 'full_refund',
      refundMinor: decision.refundMinor,
      extensionDays: decision.extensionDays ?? 0,
      currency: decision.currency ?? order.currency,
      decidableAtMs: null,
      decisionJson: decisionJson(
        decision.refundMinor,
        decision.extensionDays ?? 0,
        decision.currency ?? order.currency,
      ),
      factsJson: '{}',
      source: 'engine',
      actorId: null,
      note: null,
    })
    .execute();
  await db
    .insertInto('caseTransitions')
    .values({
      requestId,
      seq: 1,
      event: 'decide_manual_review',
      fromState: null,
      toState: state,
      actorKind: 'system',
      actorId: 'refund-desk',
      reason: 'fixture',
      atMs: nowMs,
    })
    .execute();
  return requestId;
}

/**
 * A case a reviewer approved for `refundMinor`: moved through moveCase, whose outbox wrote the
 * payout and moved the case on to payout_pending in the same transaction.
 */
export async function seedApprovedCase(
  deps: DeskDeps,
  order: PaidOrder,
  refundMinor: number,
): Promise<{ requestId: string; payout: PayoutTable }> {
  const requestId = await seedCaseIn(deps, order, 'in_review', { refundMinor });
  await deps.store.db.transaction().execute(async (trx) => {
    const moved = await moveCase(trx, deps, {
      requestId,
      event: 'approve',
      actor: REVIEWER.actor,
      reason: 'Reproduced the outage.',
    });
    if (!moved.ok) throw new Error(moved.error.detail);
  });
  const payout = await deps.store.db
    .selectFrom('payouts')
    .selectAll()
    .where('requestId', '=', requestId)
    .orderBy('id', 'desc')
    .executeTakeFirstOrThrow();
  return { requestId, payout };
}

export async function stateOf(deps: DeskDeps, requestId: string): Promise<string> {
  const row = await deps.store.db
    .selectFrom('refundRequests')
    .select('state')
    .where('id', '=', requestId)
    .executeTakeFirstOrThrow();
  return row.state;
}
