/**
 * Writing billing facts (the use cases under the API and the import), on both engines:
 * create/replace/unchanged with audit before/after, field errors, references, invariants.
 */
import { expect, it } from 'vitest';
import { verifyAudit } from '../../src/app/audit.js';
import { ManualClock, SYSTEM_ORIGIN, type AppContext } from '../../src/app/context.js';
import { decideCase } from '../../src/app/decide.js';
import { assembleCase } from '../../src/app/facts.js';
import { getOrderFacts } from '../../src/app/facts/read.js';
import { writeFact } from '../../src/app/facts/write.js';
import { describeEachEngine } from '../support/stores.js';
import {
  auditEntriesOf,
  chargebackInput,
  customerInput,
  incidentInput,
  mustWrite,
  orderInput,
  planInput,
  refundInput,
  reportInput,
  seedCustomerAndPlan,
  seedIncident,
  seedOrder,
  seedOrderWithRefund,
  usageInput,
} from '../support/facts.js';

const T0_MS = Date.parse('2026-03-06T10:00:00.000Z');

describeEachEngine('billing facts: writing', (store) => {
  const ctx = (): AppContext => ({ store: store(), clock: new ManualClock(T0_MS) });

  it('creates, replaces and leaves unchanged a customer, auditing before and after', async () => {
    const c = ctx();
    const input = customerInput();
    const id = input['id'] as string;
    const created = await writeFact(c, SYSTEM_ORIGIN, 'customer', input);
    expect(created).toEqual({
      ok: true,
      value: {
        status: 'created',
        value: {
          id,
          email: `${id}@example.com`,
          name: 'Ada Customer',
          kycStatus: 'not_required',
          tosBreach: false,
          stressTesting: false,
        },
      },
    });
    const replaced = await writeFact(c, SYSTEM_ORIGIN, 'customer', { ...input, name: 'Ada L.' });
    expect(replaced.ok && replaced.value.status).toBe('replaced');
    const again = await writeFact(c, SYSTEM_ORIGIN, 'customer', { ...input, name: 'Ada L.' });
    expect(again.ok && again.value.status).toBe('unchanged');

    const entries = await auditEntriesOf(c, 'customer', id);
    expect(entries.map((e) => e.action)).toEqual(['customer.created', 'customer.replaced']);
    expect(entries[0]?.before).toBeUndefined();
    expect(entries[1]?.before).toMatchObject({ name: 'Ada Customer' });
    expect(entries[1]?.after).toMatchObject({ name: 'Ada L.' });
    expect(entries[1]?.actorKind).toBe('system');
    expect(await verifyAudit(c.store.db)).toMatchObject({ ok: true });
  });

  it('creates and replaces every other kind of fact, one audit entry per change', async () => {
    const c = ctx();
    const { orderId } = await seedOrder(c);
    const incidentId = await seedIncident(c);
    const cases: Array<[Parameters<typeof writeFact>[2], Record<string, unknown>, string, string]> =
      [
        ['plan', planInput(), 'name', 'plan'],
        ['usage', usageInput(orderId), 'requests', 'usage_reading'],
        ['report', reportInput(orderId), 'description', 'report'],
        ['incident', incidentInput(), 'title', 'incident'],
        ['chargeback', chargebackInput(orderId), 'status', 'chargeback'],
        ['refund', refundInput(orderId, { incidentId }), 'amountMinor', 'refund'],
      ];
    const changed: Record<string, unknown> = {
      name: 'Renamed',
      requests: 121,
      description: 'Fixed?',
      title: 'Renamed incident',
      status: 'won',
      amountMinor: 1_500,
    };
    for (const [kind, input, field, entityKind] of cases) {
      const first = await writeFact(c, SYSTEM_ORIGIN, kind, input);
      expect(first.ok && first.value.status, kind).toBe('created');
      const second = await writeFact(c, SYSTEM_ORIGIN, kind, { ...input, [field]: changed[field] });
      expect(second.ok && second.value.status, kind).toBe('replaced');
      expect(second.ok && (second.value.value as unknown as Record<string, unknown>)[field]).toBe(
        changed[field],
      );
      const third = await writeFact(c, SYSTEM_ORIGIN, kind, { ...input, [field]: changed[field] });
      expect(third.ok && third.value.status, kind).toBe('unchanged');
      const entityId =
        kind === 'usage' ? `${orderId}@2026-03-03T09:00:00.000Z` : (input['id'] as string);
      const entries = await auditEntriesOf(c, entityKind, entityId);
      expect(
        entries.map((e) => e.action),
        kind,
      ).toEqual([`${entityKind}.created`, `${entityKind}.replaced`]);
      expect((entries[1]?.before as Record<string, unknown>)[field], kind).toEqual(input[field]);
      expect((entries[1]?.after as Record<string, unknown>)[field], kind).toBe(changed[field]);
    }
    expect(await verifyAudit(c.store.db)).toMatchObject({ ok: true });
  });

  it('stores instants as instants: any offset in, UTC with milliseconds out', async () => {
    const c = ctx();
    const { customerId, planId } = await seedCustomerAndPlan(c);
    const result = await writeFact(
      c,
      SYSTEM_ORIGIN,
      'order',
      orderInput(customerId, planId, { purchasedAt: '2026-03-01T18:00:00+09:00' }),
    );
    expect(result.ok && result.value.value).toMatchObject({
      purchasedAt: '2026-03-01T09:00:00.000Z',
    });
  });

  it('defaults the order product to the plan product and refuses another one', async () => {
    const c = ctx();
    const { customerId, planId } = await seedCustomerAndPlan(c);
    const defaulted = await writeFact(c, SYSTEM_ORIGIN, 'order', orderInput(customerId, planId));
    expect(defaulted.ok && defaulted.value.value).toMatchObject({ product: 'static_isp' });
    const mismatch = await writeFact(
      c,
      SYSTEM_ORIGIN,
      'order',
      orderInput(customerId, planId, { product: 'datacenter' }),
    );
    expect(mismatch).toEqual({
      ok: false,
      error: {
        code: 'inconsistent',
        errors: [{ pointer: '/product', message: "must equal the plan's product (static_isp)" }],
      },
    });
  });

  it('names every missing reference of an order, and writes nothing', async () => {
    const c = ctx();
    const input = orderInput('cus_missing', 'plan_missing');
    const result = await writeFact(c, SYSTEM_ORIGIN, 'order', input);
    expect(result).toEqual({
      ok: false,
      error: {
        code: 'unknown_reference',
        errors: [
          { pointer: '/customerId', message: 'no customer cus_missing is stored' },
          { pointer: '/planId', message: 'no plan plan_missing is stored' },
        ],
      },
    });
    expect(await getOrderFacts(c.store.db, input['id'] as string)).toBeUndefined();
    expect(await auditEntriesOf(c, 'order', input['id'] as string)).toEqual([]);
  });

  it.each([
    ['usage', (id: string) => usageInput(id)],
    ['report', (id: string) => reportInput(id)],
    ['chargeback', (id: string) => chargebackInput(id)],
    ['refund', (id: string) => refundInput(id)],
  ] as const)('refuses a %s of an order that is not stored', async (kind, input) => {
    const result = await writeFact(ctx(), SYSTEM_ORIGIN, kind, input('ord_missing'));
    expect(result).toEqual({
      ok: false,
      error: {
        code: 'unknown_reference',
        errors: [{ pointer: '/orderId', message: 'no order ord_missing is stored' }],
      },
    });
  });

  it('refuses a refund naming an incident that is not stored', async () => {
    const c = ctx();
    const { orderId } = await seedOrder(c);
    const result = await writeFact(
      c,
      SYSTEM_ORIGIN,
      'refund',
      refundInput(orderId, { incidentId: 'inc_missing' }),
    );
    expect(!result.ok && result.error).toEqual({
      code: 'unknown_reference',
      errors: [{ pointer: '/incidentId', message: 'no incident inc_missing is stored' }],
    });
  });

  it('never lets the refunds on an order exceed its amount', async () => {
    const c = ctx();
    const { orderId } = await seedOrderWithRefund(c, 8_000);
    const over = await writeFact(
      c,
      SYSTEM_ORIGIN,
      'refund',
      refundInput(orderId, { amountMinor: 801 }),
    );
    expect(!over.ok && over.error.code).toBe('inconsistent');
    expect(!over.ok && over.error.errors[0]).toEqual({
      pointer: '/amountMinor',
      message: `would bring refunds on order ${orderId} to 8801, more than its amount 8800`,
    });
    const exact = await writeFact(
      c,
      SYSTEM_ORIGIN,
      'refund',
      refundInput(orderId, { amountMinor: 800 }),
    );
    expect(exact.ok).toBe(true);
    const facts = await getOrderFacts(c.store.db, orderId);
    expect(facts?.refundedMinor).toBe(8_800);
  });

  it('replacing a refund counts its new amount, not old plus new', async () => {
    const c = ctx();
    const { orderId, refundId } = await seedOrderWithRefund(c, 8_000);
    const replaced = await writeFact(
      c,
      SYSTEM_ORIGIN,
      'refund',
      refundInput(orderId, { id: refundId, amountMinor: 8_800 }),
    );
    expect(replaced.ok && replaced.value.status).toBe('replaced');
  });

  it('refuses to lower an order below what was refunded, or to date it after its refund', async () => {
    const c = ctx();
    const { customerId, planId, orderId } = await seedOrderWithRefund(c, 5_000);
    const lower = await writeFact(
      c,
      SYSTEM_ORIGIN,
      'order',
      orderInput(customerId, planId, { id: orderId, amountMinor: 4_999 }),
    );
    expect(!lower.ok && lower.error).toEqual({
      code: 'inconsistent',
      errors: [
        {
          pointer: '/amountMinor',
          message: 'must be at least the 5000 already refunded on this order',
        },
      ],
    });
    const later = await writeFact(
      c,
      SYSTEM_ORIGIN,
      'order',
      orderInput(customerId, planId, { id: orderId, purchasedAt: '2026-03-06T00:00:00Z' }),
    );
    expect(!later.ok && later.error.errors[0]?.pointer).toBe('/purchasedAt');
  });

  it('refuses a refund dated before the purchase', async () => {
    const c = ctx();
    const { orderId } = await seedOrder(c);
    const result = await writeFact(
      c,
      SYSTEM_ORIGIN,
      'refund',
      refundInput(orderId, { refundedAt: '2026-02-28T00:00:00Z' }),
    );
    expect(!result.ok && result.error.code).toBe('inconsistent');
    expect(!result.ok && result.error.errors[0]?.pointer).toBe('/refundedAt');
  });

  it('never moves an order to another customer', async () => {
    const c = ctx();
    const { planId, orderId } = await seedOrder(c);
    const other = customerInput();
    await mustWrite(c, 'customer', other);
    const result = await writeFact(
      c,
      SYSTEM_ORIGIN,
      'order',
      orderInput(other['id'] as string, planId, { id: orderId }),
    );
    expect(!result.ok && result.error.code).toBe('inconsistent');
    expect(!result.ok && result.error.errors[0]?.pointer).toBe('/customerId');
  });

  it("refuses to change a plan's product under its orders, allows it without", async () => {
    const c = ctx();
    const { planId } = await seedOrder(c);
    const plan = planInput({ id: planId, product: 'datacenter' });
    const refused = await writeFact(c, SYSTEM_ORIGIN, 'plan', plan);
    expect(!refused.ok && refused.error.code).toBe('inconsistent');
    const empty = planInput();
    await mustWrite(c, 'plan', empty);
    const allowed = await writeFact(c, SYSTEM_ORIGIN, 'plan', { ...empty, product: 'datacenter' });
    expect(allowed.ok && allowed.value.status).toBe('replaced');
  });

  it('a refund for an incident marks it compensated; moving the refund away unmarks it', async () => {
    const c = ctx();
    const { orderId } = await seedOrder(c);
    const incidentId = await seedIncident(c);
    const refund = refundInput(orderId, { kind: 'compensation', incidentId });
    await mustWrite(c, 'refund', refund);
    const marked = await getOrderFacts(c.store.db, orderId);
    expect(marked?.compensations).toEqual([
      { incidentId, kind: 'refund', at: '2026-03-05T09:00:00.000Z' },
    ]);
    await mustWrite(c, 'refund', { ...refund, incidentId: null });
    expect((await getOrderFacts(c.store.db, orderId))?.compensations).toEqual([]);
  });

  it('account flags change only what they name; a customer PUT keeps them', async () => {
    const c = ctx();
    const input = customerInput({ kycStatus: 'required' });
    await mustWrite(c, 'customer', input);
    const id = input['id'] as string;
    const flagged = await writeFact(c, SYSTEM_ORIGIN, 'flags', { customerId: id, tosBreach: true });
    expect(flagged.ok && flagged.value).toMatchObject({
      status: 'replaced',
      value: { tosBreach: true, stressTesting: false, kycStatus: 'required' },
    });
    const withoutKyc = { ...input, kycStatus: undefined };
    const again = await writeFact(c, SYSTEM_ORIGIN, 'customer', {
      ...withoutKyc,
      name: 'New name',
    });
    expect(again.ok && again.value.value).toMatchObject({
      tosBreach: true,
      kycStatus: 'required',
      name: 'New name',
    });
    const entries = await auditEntriesOf(c, 'customer', id);
    expect(entries.map((e) => e.action)).toEqual([
      'customer.created',
      'customer.flags_changed',
      'customer.replaced',
    ]);
    const missing = await writeFact(c, SYSTEM_ORIGIN, 'flags', {
      customerId: 'cus_nobody',
      tosBreach: true,
    });
    expect(!missing.ok && missing.error.code).toBe('unknown_reference');
    const empty = await writeFact(c, SYSTEM_ORIGIN, 'flags', { customerId: id });
    expect(!empty.ok && empty.error.errors).toEqual([
      { pointer: '', message: 'must set at least one of tosBreach, stressTesting, kycStatus' },
    ]);
  });

  it('names each invalid field by JSON pointer and writes nothing', async () => {
    const c = ctx();
    const result = await writeFact(c, SYSTEM_ORIGIN, 'order', {
      id: 'ord bad id',
      customerId: 'cus_1',
      planId: 'plan_1',
      channel: 'telegram',
      paymentMethod: 'card',
      provider: 'stripe',
      chargeRef: 'ch_1',
      amountMinor: 12.5,
      currency: 'usd',
      purchasedAt: '2026-03-01 09:00',
      servicePeriodDays: 0,
      extra: true,
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('invalid');
    expect(result.error.errors.map((e) => e.pointer).sort()).toEqual(
      [
        '/id',
        '/channel',
        '/amountMinor',
        '/currency',
        '/purchasedAt',
        '/servicePeriodDays',
        '/email',
        '/extra',
      ].sort(),
    );
  });

  it.each([
    ['order', { purchasedAt: '2026-02-30T09:00:00Z' }, '/purchasedAt', 'is not a real instant'],
    ['order', { amountMinor: 2 ** 53 }, '/amountMinor', 'must be <= 9007199254740991'],
    ['order', { promoCreditsMinor: -1 }, '/promoCreditsMinor', 'must be >= 0'],
    ['order', { chargeRef: 'x'.repeat(129) }, '/chargeRef', 'must NOT have more than 128'],
    ['order', { email: 'nobody' }, '/email', 'must be an email address (name@example.com)'],
  ] as const)('%s with %j: %s %s', async (kind, overrides, pointer, message) => {
    const { customerId, planId } = await seedCustomerAndPlan(ctx());
    const result = await writeFact(
      ctx(),
      SYSTEM_ORIGIN,
      kind,
      orderInput(customerId, planId, overrides),
    );
    expect(!result.ok && result.error.errors).toEqual([
      { pointer, message: expect.stringContaining(message) as string },
    ]);
  });

  it('checks instants in order within one fact', async () => {
    const c = ctx();
    const report = await writeFact(
      c,
      SYSTEM_ORIGIN,
      'report',
      reportInput('ord_x', { remediatedAt: '2026-03-02T11:59:59.999Z' }),
    );
    expect(!report.ok && report.error.errors).toEqual([
      { pointer: '/remediatedAt', message: 'must not be earlier than reportedAt' },
    ]);
    const incident = await writeFact(
      c,
      SYSTEM_ORIGIN,
      'incident',
      incidentInput({ endsAt: '2026-03-02T00:00:00.000Z' }),
    );
    expect(!incident.ok && incident.error.errors).toEqual([
      { pointer: '/endsAt', message: 'must be later than startsAt' },
    ]);
    const products = await writeFact(
      c,
      SYSTEM_ORIGIN,
      'incident',
      incidentInput({ products: ['static_isp', 'static_isp'] }),
    );
    expect(!products.ok && products.error.errors[0]?.pointer).toBe('/products');
  });

  it('concurrent refunds on one order never exceed its amount together', async () => {
    const c = ctx();
    const { orderId } = await seedOrder(c);
    const results = await Promise.all(
      Array.from({ length: 12 }, () =>
        writeFact(c, SYSTEM_ORIGIN, 'refund', refundInput(orderId, { amountMinor: 1_000 })),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(8);
    expect(results.filter((r) => !r.ok && r.error.code === 'inconsistent')).toHaveLength(4);
    expect((await getOrderFacts(c.store.db, orderId))?.refundedMinor).toBe(8_000);
  });

  it('concurrent creations of one id: one creates, the others replace or find it unchanged', async () => {
    const c = ctx();
    const input = customerInput();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        writeFact(c, SYSTEM_ORIGIN, 'customer', { ...input, name: `Writer ${i % 2}` }),
      ),
    );
    const statuses = results.map((r) => (r.ok ? r.value.status : r.error.code));
    expect(statuses.filter((s) => s === 'created')).toHaveLength(1);
    expect(statuses.every((s) => ['created', 'replaced', 'unchanged'].includes(s))).toBe(true);
    expect(await verifyAudit(c.store.db)).toMatchObject({ ok: true });
  });

  it('stored facts assemble into a case the engine decides', async () => {
    const c = ctx();
    const { orderId, customerId } = await seedOrder(c);
    await seedIncident(c);
    await mustWrite(c, 'usage', usageInput(orderId));
    await mustWrite(c, 'report', reportInput(orderId));
    await mustWrite(c, 'chargeback', chargebackInput(orderId, { status: 'withdrawn' }));
    await mustWrite(c, 'flags', { customerId, stressTesting: false });
    const facts = await assembleCase(c.store.db, {
      orderId,
      submittedAtMs: T0_MS,
      evaluatedAtMs: T0_MS,
      legallyRequired: false,
    });
    const decided = decideCase(facts, {});
    expect(decided.ok).toBe(true);
    expect(decided.ok && decided.value.decision.outcome).toBe('full_refund');
  });
});
