/**
 * The card adapter (official `stripe` package) against the local Stripe double over real HTTP:
 * outcomes, idempotent retries, time-outs, lost responses and declines. Every test ends by
 * counting the refunds the double actually made.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RefundInstruction } from '../../src/app/payouts/provider.js';
import { startStripeDouble, type StripeDouble } from '../../src/payouts/doubles/stripe-double.js';
import { StripeCardProvider, stripeChargeTarget } from '../../src/payouts/providers/stripe.js';

const TIMEOUT_MS = 300;

let double: StripeDouble;
let provider: StripeCardProvider;

function providerFor(d: StripeDouble, overrides: { apiKey?: string; port?: number } = {}) {
  return new StripeCardProvider({
    apiKey: overrides.apiKey ?? d.apiKey,
    timeoutMs: TIMEOUT_MS,
    host: '127.0.0.1',
    port: overrides.port ?? d.port,
    protocol: 'http',
  });
}

/** A refund of `amountMinor` of charge ch_paid_10000 (100.00 USD captured). */
function instruction(n: number, overrides: Partial<RefundInstruction> = {}): RefundInstruction {
  return {
    refundId: `rf_${String(n)}`,
    idempotencyKey: `payout:rf_${String(n)}`,
    orderId: 'ord_1',
    chargeRef: 'ch_paid_10000',
    amountMinor: 2_500,
    currency: 'USD',
    ...overrides,
  };
}

beforeEach(async () => {
  double = await startStripeDouble();
  double.seedCharge({ id: 'ch_paid_10000', amountMinor: 10_000, currency: 'USD' });
  provider = providerFor(double);
});

afterEach(async () => {
  provider.close();
  await double.close();
});

describe('card refunds through stripe', () => {
  it('refunds the original charge with our key and metadata.refund_id', async () => {
    const outcome = await provider.refund(instruction(1));
    const made = double.refunds();
    expect(made).toHaveLength(1);
    expect(outcome).toEqual({ kind: 'succeeded', providerRefundId: made[0]?.id });
    expect(made[0]).toMatchObject({
      chargeRef: 'ch_paid_10000',
      amountMinor: 2_500,
      currency: 'USD',
      idempotencyKey: 'payout:rf_1',
      refundId: 'rf_1',
    });
  });

  it('refunds a payment intent (pi_) through its charge', async () => {
    double.seedCharge({
      id: 'ch_of_intent',
      amountMinor: 5_000,
      currency: 'EUR',
      paymentIntentId: 'pi_paid_5000',
    });
    const outcome = await provider.refund(
      instruction(2, { chargeRef: 'pi_paid_5000', currency: 'EUR' }),
    );
    expect(outcome.kind).toBe('succeeded');
    expect(double.refunds()).toMatchObject([{ chargeRef: 'pi_paid_5000', amountMinor: 2_500 }]);
    expect(await provider.lookup(instruction(2, { chargeRef: 'pi_paid_5000' }))).toEqual(outcome);
  });

  it('answers a retry with the same key with the same refund, paying once', async () => {
    const first = await provider.refund(instruction(3));
    const second = await provider.refund(instruction(3));
    expect(second).toEqual(first);
    expect(double.refunds()).toHaveLength(1);
  });

  it('never pays twice when the same key comes with different parameters', async () => {
    await provider.refund(instruction(4));
    const conflicting = await provider.refund(instruction(4, { amountMinor: 100 }));
    expect(conflicting.kind).toBe('unknown');
    expect(conflicting.kind === 'unknown' && conflicting.reason).toMatch(/idempotency_error/);
    expect(double.refunds()).toHaveLength(1);
  });

  it('declines a charge reference that is neither ch_ nor pi_ without calling Stripe', async () => {
    const outcome = await provider.refund(instruction(5, { chargeRef: 'txn_123' }));
    expect(outcome).toMatchObject({ kind: 'declined', code: 'unsupported_charge_ref' });
    expect(stripeChargeTarget('ch_1')).toEqual({ charge: 'ch_1' });
    expect(stripeChargeTarget('pi_1')).toEqual({ payment_intent: 'pi_1' });
  });
});

describe('what Stripe did not answer is unknown, and lookup settles it without paying', () => {
  it('a lost response (refund made, socket destroyed, and the client re-send lost too)', async () => {
    // stripe-node re-sends once on a reset socket, with the same key: lose both answers.
    double.queueFaults(['lost_response', 'lost_response']);
    const outcome = await provider.refund(instruction(10));
    expect(outcome.kind).toBe('unknown');
    const made = double.refunds();
    expect(made).toHaveLength(1);
    expect(await provider.lookup(instruction(10))).toEqual({
      kind: 'succeeded',
      providerRefundId: made[0]?.id,
    });
    // The worker's retry with the same key is answered from Stripe's idempotency store.
    expect(await provider.refund(instruction(10))).toEqual({
      kind: 'succeeded',
      providerRefundId: made[0]?.id,
    });
    expect(double.refunds()).toHaveLength(1);
  });

  it('a reset socket is re-sent by stripe-node with the same key and replayed, not paid again', async () => {
    double.queueFaults(['lost_response']);
    const outcome = await provider.refund(instruction(11));
    expect(outcome.kind).toBe('succeeded');
    expect(double.refunds()).toHaveLength(1);
  });

  it('a time-out after the refund was made', async () => {
    double.queueFaults(['timeout_after']);
    const outcome = await provider.refund(instruction(12));
    expect(outcome).toMatchObject({ kind: 'unknown', reason: expect.stringMatching(/timeout/i) });
    const made = double.refunds();
    expect(made).toHaveLength(1);
    expect(await provider.lookup(instruction(12))).toEqual({
      kind: 'succeeded',
      providerRefundId: made[0]?.id,
    });
    expect(double.refunds()).toHaveLength(1);
  });

  it('a time-out before anything was done: lookup finds nothing, the same key then pays once', async () => {
    double.queueFaults(['timeout_before']);
    expect((await provider.refund(instruction(13))).kind).toBe('unknown');
    expect(double.refunds()).toHaveLength(0);
    expect(await provider.lookup(instruction(13))).toEqual({ kind: 'not_found' });
    expect((await provider.refund(instruction(13))).kind).toBe('succeeded');
    expect(double.refunds()).toHaveLength(1);
  });

  it('a 5xx', async () => {
    double.queueFaults(['error_5xx']);
    expect((await provider.refund(instruction(14))).kind).toBe('unknown');
    expect(double.refunds()).toHaveLength(0);
  });

  it('a rejected API key', async () => {
    const wrongKey = providerFor(double, { apiKey: 'sk_test_wrong' });
    try {
      expect((await wrongKey.refund(instruction(15))).kind).toBe('unknown');
    } finally {
      wrongKey.close();
    }
  });

  it('nobody listening', async () => {
    const port = double.port;
    await double.close();
    const orphan = providerFor(double, { port });
    try {
      expect((await orphan.refund(instruction(16))).kind).toBe('unknown');
      expect((await orphan.lookup(instruction(16))).kind).toBe('unknown');
    } finally {
      orphan.close();
      double = await startStripeDouble();
    }
  });

  it('a lookup that fails is unknown, not not_found', async () => {
    const flaky = await startStripeDouble({ faults: { faultReads: true } });
    const reader = providerFor(flaky);
    try {
      flaky.seedCharge({ id: 'ch_paid_10000', amountMinor: 10_000, currency: 'USD' });
      flaky.queueFaults(['error_5xx']);
      expect((await reader.lookup(instruction(17))).kind).toBe('unknown');
    } finally {
      reader.close();
      await flaky.close();
    }
  });
});

describe('declines carry the provider reason', () => {
  it('an amount above what is left on the charge', async () => {
    await provider.refund(instruction(20, { amountMinor: 9_000 }));
    const outcome = await provider.refund(instruction(21, { amountMinor: 1_001 }));
    expect(outcome).toMatchObject({
      kind: 'declined',
      code: 'amount_too_large',
      reason: expect.stringContaining('1000'),
    });
    expect(double.refunds()).toHaveLength(1);
  });

  it('a card decline (402)', async () => {
    double.seedCharge({ id: 'ch_refund_declined', amountMinor: 1_000, currency: 'USD' });
    const outcome = await provider.refund(
      instruction(22, { chargeRef: 'ch_refund_declined', amountMinor: 500 }),
    );
    expect(outcome).toMatchObject({ kind: 'declined', code: 'generic_decline' });
    expect(double.refunds()).toHaveLength(0);
  });

  it('a disputed charge', async () => {
    double.seedCharge({ id: 'ch_disputed', amountMinor: 1_000, currency: 'USD' });
    const outcome = await provider.refund(
      instruction(23, { chargeRef: 'ch_disputed', amountMinor: 500 }),
    );
    expect(outcome).toMatchObject({ kind: 'declined', code: 'charge_disputed' });
  });

  it('an unknown charge', async () => {
    const outcome = await provider.refund(instruction(24, { chargeRef: 'ch_nobody' }));
    expect(outcome).toMatchObject({ kind: 'declined', code: 'resource_missing' });
  });

  it('a refund Stripe created as failed', async () => {
    double.seedCharge({ id: 'ch_refund_fails', amountMinor: 1_000, currency: 'USD' });
    const outcome = await provider.refund(
      instruction(25, { chargeRef: 'ch_refund_fails', amountMinor: 500 }),
    );
    expect(outcome).toMatchObject({ kind: 'declined', code: 'expired_or_canceled_card' });
  });
});

describe('pending refunds and lookup', () => {
  it('a pending refund is read again by its id until it settles', async () => {
    double.seedCharge({ id: 'ch_refund_pending', amountMinor: 1_000, currency: 'USD' });
    const ins = instruction(30, { chargeRef: 'ch_refund_pending', amountMinor: 400 });
    const outcome = await provider.refund(ins);
    expect(outcome.kind).toBe('pending');
    const providerRefundId = outcome.kind === 'pending' ? outcome.providerRefundId : '';
    expect(await provider.lookup({ ...ins, providerRefundId })).toEqual(outcome);
    double.settleRefund(providerRefundId, 'succeeded');
    expect(await provider.lookup({ ...ins, providerRefundId })).toEqual({
      kind: 'succeeded',
      providerRefundId,
    });
    expect(await provider.lookup({ ...ins, providerRefundId: 're_nobody' })).toEqual({
      kind: 'not_found',
    });
  });

  it('lookup pages through the charge refunds to find ours', async () => {
    double.seedCharge({ id: 'ch_many', amountMinor: 1_000, currency: 'USD' });
    const many = (n: number) => instruction(100 + n, { chargeRef: 'ch_many', amountMinor: 1 });
    for (let n = 0; n < 120; n += 1) await provider.refund(many(n));
    // Listed newest first: the oldest refund is on the second page.
    expect(await provider.lookup(many(0))).toEqual({
      kind: 'succeeded',
      providerRefundId: double.refunds()[0]?.id,
    });
    expect(await provider.lookup(instruction(999, { chargeRef: 'ch_many' }))).toEqual({
      kind: 'not_found',
    });
  });
});

describe('seeded faults: retry with the same key until settled pays each refund exactly once', () => {
  it('over 40 refunds with drops, time-outs and 5xx', async () => {
    const faulty = await startStripeDouble({
      faults: { seed: 42, dropRate: 0.2, timeoutRate: 0.1, errorRate: 0.15 },
    });
    const client = providerFor(faulty);
    try {
      faulty.seedCharge({ id: 'ch_big', amountMinor: 1_000_000, currency: 'USD' });
      const finals: string[] = [];
      for (let n = 0; n < 40; n += 1) {
        const ins = instruction(n, { chargeRef: 'ch_big', amountMinor: 100 + n });
        let settled: string | null = null;
        for (let attempt = 0; attempt < 20 && settled === null; attempt += 1) {
          const outcome = await client.refund(ins);
          if (outcome.kind === 'succeeded') settled = outcome.providerRefundId;
          else if (outcome.kind === 'unknown') {
            const found = await client.lookup(ins);
            if (found.kind === 'succeeded') settled = found.providerRefundId;
          }
        }
        expect(settled).not.toBeNull();
        finals.push(settled ?? '');
      }
      const made = faulty.refunds();
      expect(made).toHaveLength(40);
      expect(new Set(made.map((r) => r.refundId)).size).toBe(40);
      expect(made.map((r) => r.id).sort()).toEqual([...finals].sort());
    } finally {
      client.close();
      await faulty.close();
    }
  });
});
