/**
 * The payout path end to end on both engines: approval writes the payout with the move, the
 * worker records each attempt before calling the provider, lost answers are settled by the
 * reconciler under the same key, declines go back to staff with the provider's reason, webhooks
 * are applied once and only forward.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { VerifiedProviderEvent } from '../../src/app/payouts/provider.js';
import { retryPayout, markPayoutPaid } from '../../src/app/payouts/desk.js';
import { applyProviderEvent } from '../../src/app/payouts/webhooks.js';
import { readLedger } from '../../src/app/payouts/ledger.js';
import { deliverPayouts } from '../../src/payouts/worker.js';
import { reconcilePayouts } from '../../src/payouts/reconciler.js';
import { PayoutDouble } from '../support/payout-double.js';
import { deskOver, type TestDesk } from '../support/people.js';
import { describeEachEngine } from '../support/stores.js';
import { REVIEWER, seedApprovedCase, seedPaidOrder, stateOf } from './fixtures.js';

const LEASE_MS = 30_000;

describeEachEngine('payout delivery', (store) => {
  let desk: TestDesk;
  beforeAll(() => {
    desk = deskOver(store());
  });
  afterAll(() => desk.dispose());

  const worker = (provider: PayoutDouble) =>
    deliverPayouts(desk.deps, { workerId: 'w1', providers: { card: provider }, leaseMs: LEASE_MS });
  const reconcile = (provider: PayoutDouble) =>
    reconcilePayouts(desk.deps, {
      workerId: 'r1',
      providers: { card: provider },
      leaseMs: LEASE_MS,
    });

  async function payoutRow(id: string) {
    return desk.deps.store.db
      .selectFrom('payouts')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  }

  it('approving writes a queued payout and moves the case to payout_pending in one go', async () => {
    const order = await seedPaidOrder(desk.deps, { amountMinor: 5_000 });
    const { requestId, payout } = await seedApprovedCase(desk.deps, order, 3_000);
    expect(payout).toMatchObject({ status: 'queued', amountMinor: 3_000, method: 'card' });
    expect(payout.idempotencyKey).toBe(`refund-desk:payout:${payout.id}`);
    expect(await stateOf(desk.deps, requestId)).toBe('payout_pending');
    const log = await desk.deps.store.db
      .selectFrom('caseTransitions')
      .select(['seq', 'event', 'toState'])
      .where('requestId', '=', requestId)
      .orderBy('seq')
      .execute();
    expect(log.map((r) => r.event)).toEqual(['decide_manual_review', 'approve', 'start_payout']);
  });

  it('pays once: succeeded → refunds row and paid', async () => {
    const provider = new PayoutDouble();
    const order = await seedPaidOrder(desk.deps, { amountMinor: 5_000 });
    const { requestId, payout } = await seedApprovedCase(desk.deps, order, 3_000);
    expect(await worker(provider)).toBeGreaterThanOrEqual(1);
    expect((await payoutRow(payout.id)).status).toBe('succeeded');
    expect(await stateOf(desk.deps, requestId)).toBe('paid');
    const ledgerOrder = await desk.deps.store.db
      .selectFrom('orders')
      .selectAll()
      .where('id', '=', order.orderId)
      .executeTakeFirstOrThrow();
    expect(await readLedger(desk.deps.store.db, ledgerOrder)).toMatchObject({
      paidMinor: 5_000,
      refundedMinor: 3_000,
      inFlightMinor: 0,
      availableMinor: 2_000,
    });
    expect(provider.refundsByRefundId().get(payout.id)).toHaveLength(1);
    const attempts = await desk.deps.store.db
      .selectFrom('payoutAttempts')
      .selectAll()
      .where('payoutId', '=', payout.id)
      .execute();
    expect(attempts).toMatchObject([{ seq: 1, kind: 'refund', outcome: 'succeeded' }]);
  });

  it('a lost answer is never re-sent by the worker; the reconciler finds the refund', async () => {
    const provider = new PayoutDouble();
    provider.queue('drop');
    const order = await seedPaidOrder(desk.deps);
    const { requestId, payout } = await seedApprovedCase(desk.deps, order, 1_000);
    await worker(provider);
    expect((await payoutRow(payout.id)).status).toBe('unknown');
    desk.clock.advance(LEASE_MS);
    await worker(provider); // nothing for the worker: unknown belongs to the reconciler
    expect(provider.calls.filter((c) => c.kind === 'refund')).toHaveLength(1);
    desk.clock.advance(60_000);
    await reconcile(provider);
    expect((await payoutRow(payout.id)).status).toBe('succeeded');
    expect(await stateOf(desk.deps, requestId)).toBe('paid');
    expect(provider.refundsByRefundId().get(payout.id)).toHaveLength(1);
  });

  it('a time-out before the provider saw it is re-sent under the same key after lookup', async () => {
    const provider = new PayoutDouble();
    provider.queue('timeout');
    const order = await seedPaidOrder(desk.deps);
    const { payout } = await seedApprovedCase(desk.deps, order, 1_000);
    await worker(provider);
    desk.clock.advance(60_000);
    await reconcile(provider);
    expect((await payoutRow(payout.id)).status).toBe('succeeded');
    const keys = provider.calls
      .filter((c) => c.idempotencyKey === payout.idempotencyKey)
      .map((c) => c.kind);
    expect(keys).toEqual(['refund', 'lookup', 'refund']);
    expect(provider.refundsByRefundId().get(payout.id)).toHaveLength(1);
  });

  it("a decline goes back to staff with the provider's reason; retry re-checks the ledger", async () => {
    const provider = new PayoutDouble();
    provider.queue('decline');
    const order = await seedPaidOrder(desk.deps, { amountMinor: 2_000 });
    const { requestId, payout } = await seedApprovedCase(desk.deps, order, 2_000);
    await worker(provider);
    const failed = await payoutRow(payout.id);
    expect(failed).toMatchObject({ status: 'declined', failureCode: 'card_declined' });
    expect(failed.failureReason).toContain('issuer refused');
    expect(await stateOf(desk.deps, requestId)).toBe('payout_failed');
    const retried = await retryPayout(desk.deps, REVIEWER, payout.id, 'Customer updated card');
    expect(retried.ok).toBe(true);
    if (!retried.ok) return;
    expect(retried.value.id).not.toBe(payout.id);
    expect(await stateOf(desk.deps, requestId)).toBe('payout_pending');
    await worker(provider);
    expect(await stateOf(desk.deps, requestId)).toBe('paid');
    expect(provider.made.filter((m) => m.chargeRef === order.chargeRef)).toHaveLength(1);
  });

  it('refuses to pay while a chargeback is open, and says so to staff', async () => {
    const order = await seedPaidOrder(desk.deps);
    const nowMs = desk.clock.nowMs();
    await desk.deps.store.db
      .insertInto('chargebacks')
      .values({
        id: `cb_${order.orderId}`,
        orderId: order.orderId,
        status: 'open',
        openedAtMs: nowMs,
        updatedAtMs: nowMs,
      })
      .execute();
    const { requestId, payout } = await seedApprovedCase(desk.deps, order, 1_000);
    expect(payout).toMatchObject({
      status: 'declined',
      failureCode: 'ledger_open_chargeback',
      attempts: 0,
    });
    expect(await stateOf(desk.deps, requestId)).toBe('payout_failed');
    const retried = await retryPayout(desk.deps, REVIEWER, payout.id, 'try again');
    expect(retried).toMatchObject({ ok: false, error: { code: 'ledger_refused' } });
    expect(await stateOf(desk.deps, requestId)).toBe('payout_failed');
  });

  it('webhooks apply once, only forward, whatever their order', async () => {
    const provider = new PayoutDouble();
    provider.queue('pending');
    const order = await seedPaidOrder(desk.deps);
    const { requestId, payout } = await seedApprovedCase(desk.deps, order, 1_500);
    await worker(provider);
    const pending = await payoutRow(payout.id);
    expect(pending.status).toBe('pending');
    const providerRefundId = pending.providerRefundId ?? '';
    const event = (
      id: string,
      kind: 'succeeded' | 'pending',
      atMs: number,
    ): VerifiedProviderEvent => ({
      provider: 'stripe',
      eventId: id,
      eventType: 'refund.updated',
      occurredAtMs: atMs,
      refund: {
        providerRefundId,
        refundId: payout.id,
        amountMinor: 1_500,
        currency: 'USD',
        outcome: { kind, providerRefundId },
      },
    });
    expect(await applyProviderEvent(desk.deps, event(`evt_${payout.id}_2`, 'succeeded', 2))).toBe(
      'applied',
    );
    expect(await applyProviderEvent(desk.deps, event(`evt_${payout.id}_2`, 'succeeded', 2))).toBe(
      'duplicate',
    );
    expect(await applyProviderEvent(desk.deps, event(`evt_${payout.id}_1`, 'pending', 1))).toBe(
      'ignored',
    );
    expect((await payoutRow(payout.id)).status).toBe('succeeded');
    expect(await stateOf(desk.deps, requestId)).toBe('paid');
    const refunds = await desk.deps.store.db
      .selectFrom('refunds')
      .selectAll()
      .where('orderId', '=', order.orderId)
      .execute();
    expect(refunds).toHaveLength(1);
  });

  it('staff mark a bank transfer paid with its reference', async () => {
    const order = await seedPaidOrder(desk.deps, { paymentMethod: 'bank' });
    const { requestId, payout } = await seedApprovedCase(desk.deps, order, 700);
    expect(payout.method).toBe('bank_transfer');
    const marked = await markPayoutPaid(desk.deps, REVIEWER, payout.id, 'SEPA-2026-0042');
    expect(marked).toMatchObject({
      ok: true,
      value: { status: 'succeeded', reference: 'SEPA-2026-0042' },
    });
    expect(await stateOf(desk.deps, requestId)).toBe('paid');
    const again = await markPayoutPaid(desk.deps, REVIEWER, payout.id, 'SEPA-2026-0042');
    expect(again).toMatchObject({ ok: false, error: { code: 'payout_state_conflict' } });
  });
});
