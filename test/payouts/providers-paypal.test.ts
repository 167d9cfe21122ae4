/**
 * The PayPal adapter against the local PayPal double over real HTTP: capture refunds with
 * PayPal-Request-Id, the token cache on an injected clock, time-outs, lost responses, declines.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/app/context.js';
import type { RefundInstruction } from '../../src/app/payouts/provider.js';
import { startPayPalDouble, type PayPalDouble } from '../../src/payouts/doubles/paypal-double.js';
import {
  PayPalClient,
  PayPalProvider,
  paypalAmountValue,
  paypalValueToMinor,
} from '../../src/payouts/providers/paypal.js';

const TIMEOUT_MS = 300;
const START_MS = Date.UTC(2026, 2, 1, 12);

let clock: ManualClock;
let double: PayPalDouble;
let client: PayPalClient;
let provider: PayPalProvider;

function clientFor(d: PayPalDouble, overrides: { baseUrl?: string; clientSecret?: string } = {}) {
  return new PayPalClient({
    baseUrl: overrides.baseUrl ?? d.url,
    clientId: d.clientId,
    clientSecret: overrides.clientSecret ?? d.clientSecret,
    timeoutMs: TIMEOUT_MS,
    clock,
  });
}

/** A refund of 25.00 USD of capture CAP_PAID_100 (100.00 USD captured). */
function instruction(n: number, overrides: Partial<RefundInstruction> = {}): RefundInstruction {
  return {
    refundId: `rf_${String(n)}`,
    idempotencyKey: `payout:rf_${String(n)}`,
    orderId: 'ord_1',
    chargeRef: 'CAP_PAID_100',
    amountMinor: 2_500,
    currency: 'USD',
    ...overrides,
  };
}

beforeEach(async () => {
  clock = new ManualClock(START_MS);
  double = await startPayPalDouble({ clock: () => clock.nowMs(), tokenTtlSec: 3_600 });
  double.seedCapture({ id: 'CAP_PAID_100', amountMinor: 10_000, currency: 'USD' });
  client = clientFor(double);
  provider = new PayPalProvider(client);
});

afterEach(async () => {
  await double.close();
});

describe('PayPal capture refunds', () => {
  it('refunds the capture with PayPal-Request-Id = our key and custom_id = our refund id', async () => {
    const outcome = await provider.refund(instruction(1));
    const made = double.refunds();
    expect(made).toHaveLength(1);
    expect(outcome).toEqual({ kind: 'succeeded', providerRefundId: made[0]?.id });
    expect(made[0]).toMatchObject({
      chargeRef: 'CAP_PAID_100',
      amountMinor: 2_500,
      currency: 'USD',
      idempotencyKey: 'payout:rf_1',
      refundId: 'rf_1',
    });
  });

  it('writes amounts by the currency exponent: zero and three decimals', async () => {
    double.seedCapture({ id: 'CAP_JPY', amountMinor: 5_000, currency: 'JPY' });
    double.seedCapture({ id: 'CAP_KWD', amountMinor: 5_000, currency: 'KWD' });
    await provider.refund(
      instruction(2, { chargeRef: 'CAP_JPY', currency: 'JPY', amountMinor: 1_234 }),
    );
    await provider.refund(
      instruction(3, { chargeRef: 'CAP_KWD', currency: 'KWD', amountMinor: 1_234 }),
    );
    expect(double.refunds().map((r) => [r.currency, r.amountMinor])).toEqual([
      ['JPY', 1_234],
      ['KWD', 1_234],
    ]);
    expect(paypalAmountValue(1_234, 'JPY')).toBe('1234');
    expect(paypalAmountValue(1_234, 'KWD')).toBe('1.234');
    expect(paypalAmountValue(5, 'USD')).toBe('0.05');
    expect(paypalAmountValue(150_000, 'HUF')).toBe('1500');
    expect(paypalAmountValue(150_050, 'HUF')).toBeNull();
    expect(paypalValueToMinor('1500', 'HUF')).toBe(150_000);
    expect(paypalValueToMinor('0.05', 'USD')).toBe(5);
    expect(paypalValueToMinor('0.055', 'USD')).toBeNull();
  });

  it('declines an amount PayPal cannot express without calling it', async () => {
    const outcome = await provider.refund(
      instruction(4, { currency: 'HUF', amountMinor: 150_050 }),
    );
    expect(outcome).toMatchObject({ kind: 'declined', code: 'DECIMAL_PRECISION' });
    expect(double.tokensIssued()).toBe(0);
  });

  it('answers a retry with the same request id with the same refund, paying once', async () => {
    const first = await provider.refund(instruction(5));
    expect(await provider.refund(instruction(5))).toEqual(first);
    expect(double.refunds()).toHaveLength(1);
  });

  it('never pays twice when the same request id comes with another amount', async () => {
    await provider.refund(instruction(6));
    const outcome = await provider.refund(instruction(6, { amountMinor: 100 }));
    expect(outcome).toMatchObject({
      kind: 'unknown',
      reason: expect.stringMatching(/PAYPAL_REQUEST_ID_PREVIOUSLY_USED/),
    });
    expect(double.refunds()).toHaveLength(1);
  });
});

describe('the OAuth2 token', () => {
  it('is fetched once and reused until shortly before it expires (by the injected clock)', async () => {
    await provider.refund(instruction(10, { amountMinor: 100 }));
    await provider.refund(instruction(11, { amountMinor: 100 }));
    clock.advance(3_600_000 - 60_001);
    await provider.refund(instruction(12, { amountMinor: 100 }));
    expect(double.tokensIssued()).toBe(1);
    clock.advance(2);
    await provider.refund(instruction(13, { amountMinor: 100 }));
    expect(double.tokensIssued()).toBe(2);
    expect(client.tokensFetched).toBe(2);
  });

  it('a token PayPal revoked is replaced once, and the refund goes through once', async () => {
    await provider.refund(instruction(14, { amountMinor: 100 }));
    double.revokeTokens();
    expect((await provider.refund(instruction(15, { amountMinor: 100 }))).kind).toBe('succeeded');
    expect(double.tokensIssued()).toBe(2);
    expect(double.refunds()).toHaveLength(2);
  });

  it('wrong client credentials leave the outcome unknown (nothing was paid)', async () => {
    const wrong = new PayPalProvider(clientFor(double, { clientSecret: 'wrong' }));
    expect((await wrong.refund(instruction(16))).kind).toBe('unknown');
    expect(double.refunds()).toHaveLength(0);
  });
});

describe('what PayPal did not answer is unknown; lookup replays the request id, never pays twice', () => {
  it('a lost response', async () => {
    double.queueFaults(['lost_response']);
    expect((await provider.refund(instruction(20))).kind).toBe('unknown');
    const made = double.refunds();
    expect(made).toHaveLength(1);
    expect(await provider.lookup(instruction(20))).toEqual({
      kind: 'succeeded',
      providerRefundId: made[0]?.id,
    });
    expect(await provider.refund(instruction(20))).toEqual({
      kind: 'succeeded',
      providerRefundId: made[0]?.id,
    });
    expect(double.refunds()).toHaveLength(1);
  });

  it('a time-out after the refund was made', async () => {
    double.queueFaults(['timeout_after']);
    expect(await provider.refund(instruction(21))).toMatchObject({
      kind: 'unknown',
      reason: expect.stringMatching(/within 300 ms/),
    });
    expect(double.refunds()).toHaveLength(1);
    expect((await provider.lookup(instruction(21))).kind).toBe('succeeded');
    expect(double.refunds()).toHaveLength(1);
  });

  it('a time-out before anything was done: the replay is the one refund', async () => {
    double.queueFaults(['timeout_before']);
    expect((await provider.refund(instruction(22))).kind).toBe('unknown');
    expect(double.refunds()).toHaveLength(0);
    expect((await provider.lookup(instruction(22))).kind).toBe('succeeded');
    expect((await provider.lookup(instruction(22))).kind).toBe('succeeded');
    expect(double.refunds()).toHaveLength(1);
  });

  it('a 5xx and a reset connection', async () => {
    double.queueFaults(['error_5xx', 'reset_before']);
    expect((await provider.refund(instruction(23))).kind).toBe('unknown');
    expect((await provider.refund(instruction(23))).kind).toBe('unknown');
    expect(double.refunds()).toHaveLength(0);
  });

  it('nobody listening', async () => {
    const url = double.url;
    await double.close();
    const orphan = new PayPalProvider(clientFor(double, { baseUrl: url }));
    expect((await orphan.refund(instruction(24))).kind).toBe('unknown');
    double = await startPayPalDouble();
  });
});

describe('declines carry the provider reason', () => {
  it('an amount above what is left on the capture', async () => {
    await provider.refund(instruction(30, { amountMinor: 9_000 }));
    expect(await provider.refund(instruction(31, { amountMinor: 1_001 }))).toMatchObject({
      kind: 'declined',
      code: 'REFUND_AMOUNT_EXCEEDED',
    });
    expect(double.refunds()).toHaveLength(1);
  });

  it.each([
    ['CAP_refund_declined', 'REFUND_NOT_ALLOWED'],
    ['CAP_disputed', 'REFUND_NOT_PERMITTED_DUE_TO_CHARGEBACK'],
    ['CAP_NOBODY', 'INVALID_RESOURCE_ID'],
  ])('capture %s → %s', async (capture, code) => {
    if (capture !== 'CAP_NOBODY') {
      double.seedCapture({ id: capture, amountMinor: 1_000, currency: 'USD' });
    }
    expect(
      await provider.refund(instruction(32, { chargeRef: capture, amountMinor: 500 })),
    ).toMatchObject({
      kind: 'declined',
      code,
    });
    expect(double.refunds()).toHaveLength(0);
  });

  it('a refund PayPal made as FAILED', async () => {
    double.seedCapture({ id: 'CAP_refund_fails', amountMinor: 1_000, currency: 'USD' });
    const outcome = await provider.refund(
      instruction(33, { chargeRef: 'CAP_refund_fails', amountMinor: 500 }),
    );
    expect(outcome).toMatchObject({ kind: 'declined', code: 'FAILED' });
  });

  it('a currency other than the capture', async () => {
    expect(await provider.refund(instruction(34, { currency: 'EUR' }))).toMatchObject({
      kind: 'declined',
      code: 'CURRENCY_MISMATCH',
    });
  });
});

describe('pending refunds', () => {
  it('are read by their PayPal id: the request-id replay would repeat the stale answer', async () => {
    double.seedCapture({ id: 'CAP_refund_pending', amountMinor: 1_000, currency: 'USD' });
    const ins = instruction(40, { chargeRef: 'CAP_refund_pending', amountMinor: 400 });
    const outcome = await provider.refund(ins);
    expect(outcome.kind).toBe('pending');
    const providerRefundId = outcome.kind === 'pending' ? outcome.providerRefundId : '';
    double.settleRefund(providerRefundId, 'COMPLETED');
    expect(await provider.lookup(ins)).toEqual(outcome);
    expect(await provider.lookup({ ...ins, providerRefundId })).toEqual({
      kind: 'succeeded',
      providerRefundId,
    });
    expect(await provider.lookup({ ...ins, providerRefundId: 'RF_NOBODY' })).toEqual({
      kind: 'not_found',
    });
    expect(double.refunds()).toHaveLength(1);
  });
});

describe('seeded faults: retry with the same request id until settled pays each refund exactly once', () => {
  it('over 40 refunds with drops, time-outs and 5xx', async () => {
    const faulty = await startPayPalDouble({
      faults: { seed: 7, dropRate: 0.2, timeoutRate: 0.1, errorRate: 0.15 },
    });
    const faultyProvider = new PayPalProvider(clientFor(faulty));
    try {
      faulty.seedCapture({ id: 'CAP_BIG', amountMinor: 1_000_000, currency: 'USD' });
      const finals: string[] = [];
      for (let n = 0; n < 40; n += 1) {
        const ins = instruction(n, { chargeRef: 'CAP_BIG', amountMinor: 100 + n });
        let settled: string | null = null;
        let outcome = await faultyProvider.refund(ins);
        for (let attempt = 0; attempt < 20 && settled === null; attempt += 1) {
          if (outcome.kind === 'succeeded') settled = outcome.providerRefundId;
          else
            outcome = await faultyProvider
              .lookup(ins)
              .then((o) => (o.kind === 'not_found' ? outcome : o));
        }
        expect(settled).not.toBeNull();
        finals.push(settled ?? '');
      }
      const made = faulty.refunds();
      expect(made).toHaveLength(40);
      expect(made.map((r) => r.id).sort()).toEqual([...finals].sort());
    } finally {
      await faulty.close();
    }
  });
});
