/**
 * Assembling a case from stored facts: the customer's other orders with their latest refunds,
 * this order's refunds, and the incidents that reach back to the first purchase of the plan,
 * also when that purchase is older than the newest MAX_PRIOR_ORDERS other orders.
 */
import { expect, it } from 'vitest';
import { ManualClock, type AppContext } from '../../src/app/context.js';
import { assembleCase, MAX_PRIOR_ORDERS } from '../../src/app/facts.js';
import { parseInstantMs } from '../../src/engine/index.js';
import type { OrderTable } from '../../src/store/schema.js';
import {
  incidentInput,
  mustWrite,
  orderInput,
  planInput,
  PURCHASED_AT,
  refundInput,
  seedCustomerAndPlan,
  uniqueId,
} from '../support/facts.js';
import { describeEachEngine } from '../support/stores.js';

const T0_MS = Date.parse('2026-03-06T09:00:00.000Z');

function ms(instant: string): number {
  const value = parseInstantMs(instant);
  if (value === undefined) throw new Error(`not an instant: ${instant}`);
  return value;
}

describeEachEngine('assembling a case', (store) => {
  const ctx = (): AppContext => ({ store: store(), clock: new ManualClock(T0_MS) });

  async function caseOf(orderId: string) {
    const facts = await assembleCase(store().db, {
      orderId,
      submittedAtMs: T0_MS,
      evaluatedAtMs: T0_MS,
      legallyRequired: false,
    });
    if (facts === undefined) throw new Error(`no case for ${orderId}`);
    return { ...facts, priorOrders: facts.priorOrders ?? [], incidents: facts.incidents ?? [] };
  }

  it('carries the other orders with their latest refunds, this order’s refunds and the incidents since the plan’s first purchase', async () => {
    const c = ctx();
    const { customerId, planId } = await seedCustomerAndPlan(c);
    const otherPlan = planInput();
    await mustWrite(c, 'plan', otherPlan);
    const earlier = orderInput(customerId, planId, { purchasedAt: '2026-01-01T09:00:00.000Z' });
    const between = orderInput(customerId, otherPlan['id'] as string, {
      purchasedAt: '2026-02-01T09:00:00.000Z',
    });
    const current = orderInput(customerId, planId);
    for (const order of [earlier, between, current]) await mustWrite(c, 'order', order);
    const refund = (order: Record<string, unknown>, overrides: Record<string, unknown>) =>
      mustWrite(c, 'refund', refundInput(order['id'] as string, overrides));
    // A requested refund beats a later compensation; among requested ones the latest counts.
    await refund(earlier, { kind: 'compensation', refundedAt: '2026-01-10T09:00:00.000Z' });
    await refund(earlier, { kind: 'requested', refundedAt: '2026-01-05T09:00:00.000Z' });
    await refund(between, { refundedAt: '2026-02-03T09:00:00.000Z' });
    await refund(between, { refundedAt: '2026-02-04T09:00:00.000Z' });
    await refund(current, { amountMinor: 1_000, refundedAt: '2026-03-02T09:00:00.000Z' });
    await refund(current, { amountMinor: 500, refundedAt: '2026-03-03T09:00:00.000Z' });
    const reaching = incidentInput({
      startsAt: '2025-12-30T00:00:00.000Z',
      endsAt: '2026-01-02T00:00:00.000Z',
      confirmedAt: '2026-01-02T01:00:00.000Z',
    });
    const tooOld = incidentInput({
      startsAt: '2025-12-01T00:00:00.000Z',
      endsAt: '2025-12-02T00:00:00.000Z',
      confirmedAt: '2025-12-02T01:00:00.000Z',
    });
    const otherProduct = incidentInput({ id: uniqueId('inc'), products: ['datacenter'] });
    for (const incident of [reaching, tooOld, otherProduct])
      await mustWrite(c, 'incident', incident);

    const facts = await caseOf(current['id'] as string);

    expect(facts.order.refundedCents).toBe(1_500);
    expect(facts.priorOrders).toEqual([
      {
        id: earlier['id'],
        planId,
        purchasedAt: '2026-01-01T09:00:00.000Z',
        refundedAt: '2026-01-05T09:00:00.000Z',
        refundKind: 'requested',
      },
      {
        id: between['id'],
        planId: otherPlan['id'],
        purchasedAt: '2026-02-01T09:00:00.000Z',
        refundedAt: '2026-02-04T09:00:00.000Z',
        refundKind: 'requested',
      },
    ]);
    const incidentIds = facts.incidents.map((i) => i.id);
    expect(incidentIds).toContain(reaching['id']);
    expect(incidentIds).not.toContain(tooOld['id']);
    expect(incidentIds).not.toContain(otherProduct['id']);
  });

  it('keeps the first purchase of the plan when it is older than the newest MAX_PRIOR_ORDERS other orders', async () => {
    const c = ctx();
    const { customerId, planId } = await seedCustomerAndPlan(c);
    const otherPlan = planInput();
    await mustWrite(c, 'plan', otherPlan);
    const row = (id: string, plan: string, purchasedAtMs: number): OrderTable => ({
      id,
      customerId,
      planId: plan,
      product: 'static_isp',
      channel: 'official_site',
      paymentMethod: 'card',
      provider: 'stripe',
      chargeRef: `ch_${id}`,
      amountMinor: 8_800,
      currency: 'USD',
      promoCreditsMinor: 0,
      purchasedAtMs,
      servicePeriodDays: 30,
      email: `${customerId}@example.com`,
      createdAtMs: T0_MS,
    });
    const firstId = uniqueId('ord');
    const first = row(firstId, planId, ms('2025-01-01T09:00:00.000Z'));
    // The newest MAX_PRIOR_ORDERS + 1 other orders, all of another plan, a minute apart.
    const newer = Array.from({ length: MAX_PRIOR_ORDERS + 1 }, (_, i) =>
      row(uniqueId('ord'), otherPlan['id'] as string, ms('2026-02-01T00:00:00.000Z') + i * 60_000),
    );
    const currentId = uniqueId('ord');
    const current = row(currentId, planId, ms(PURCHASED_AT));
    await store()
      .db.insertInto('orders')
      .values([first, ...newer, current])
      .execute();
    const sincePlanStart = incidentInput({
      startsAt: '2025-01-02T00:00:00.000Z',
      endsAt: '2025-01-03T00:00:00.000Z',
      confirmedAt: '2025-01-03T01:00:00.000Z',
    });
    await mustWrite(c, 'incident', sincePlanStart);

    const facts = await caseOf(currentId);

    expect(facts.priorOrders).toHaveLength(MAX_PRIOR_ORDERS + 1);
    expect(facts.priorOrders[0]).toMatchObject({ id: firstId, planId });
    // The oldest of the other plan's orders is beyond the bound; the newest are all there.
    expect(facts.priorOrders.map((p) => p.id)).not.toContain(newer[0]?.id);
    expect(facts.priorOrders.at(-1)?.id).toBe(newer.at(-1)?.id);
    expect(facts.incidents.map((i) => i.id)).toContain(sincePlanStart['id']);
  });
});
