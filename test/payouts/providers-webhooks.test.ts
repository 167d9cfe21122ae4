/**
 * Provider webhook verification: events the doubles signed (Stripe's HMAC scheme; PayPal's
 * RSA signature checked by its verify-webhook-signature API) are accepted, and forged, altered,
 * stale and unsigned deliveries are refused.
 */
import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/app/context.js';
import { startPayPalDouble, type PayPalDouble } from '../../src/payouts/doubles/paypal-double.js';
import { startStripeDouble, type StripeDouble } from '../../src/payouts/doubles/stripe-double.js';
import { PayPalClient, PayPalProvider } from '../../src/payouts/providers/paypal.js';
import { verifyPayPalWebhook } from '../../src/payouts/providers/paypal-webhooks.js';
import { StripeCardProvider } from '../../src/payouts/providers/stripe.js';
import { verifyStripeWebhook } from '../../src/payouts/providers/stripe-webhooks.js';

const START_MS = Date.UTC(2026, 2, 1, 12);
const TOLERANCE_MS = 300_000;

describe('Stripe webhooks (stripe.webhooks.constructEvent)', () => {
  let clock: ManualClock;
  let double: StripeDouble;
  let provider: StripeCardProvider;

  beforeEach(async () => {
    clock = new ManualClock(START_MS);
    double = await startStripeDouble({ clock: () => clock.nowMs(), webhookSecret: 'whsec_test_1' });
    double.seedCharge({ id: 'ch_paid', amountMinor: 10_000, currency: 'USD' });
    double.seedCharge({ id: 'ch_refund_pending', amountMinor: 10_000, currency: 'USD' });
    provider = new StripeCardProvider({
      apiKey: double.apiKey,
      timeoutMs: 1_000,
      host: '127.0.0.1',
      port: double.port,
      protocol: 'http',
    });
  });

  afterEach(async () => {
    provider.close();
    await double.close();
  });

  const config = { secret: 'whsec_test_1', toleranceMs: TOLERANCE_MS };

  async function refundEvents() {
    await provider.refund({
      refundId: 'po_1',
      idempotencyKey: 'payout:po_1',
      orderId: 'ord_1',
      chargeRef: 'ch_paid',
      amountMinor: 1_250,
      currency: 'USD',
    });
    return double.events();
  }

  it('accepts a signed refund event and reads our refund id, amount and outcome', async () => {
    const [created] = await refundEvents();
    expect(created?.type).toBe('refund.created');
    const result = verifyStripeWebhook(
      created?.payload ?? '',
      created?.signature,
      config,
      clock.nowMs(),
    );
    expect(result).toEqual({
      ok: true,
      value: {
        provider: 'stripe',
        eventId: created?.id,
        eventType: 'refund.created',
        occurredAtMs: START_MS,
        refund: {
          providerRefundId: double.refunds()[0]?.id,
          refundId: 'po_1',
          amountMinor: 1_250,
          currency: 'USD',
          outcome: { kind: 'succeeded', providerRefundId: double.refunds()[0]?.id },
        },
      },
    });
  });

  it('accepts a verified event that is not about a refund, with no refund', async () => {
    const events = await refundEvents();
    const charge = events.find((e) => e.type === 'charge.refunded');
    const result = verifyStripeWebhook(
      charge?.payload ?? '',
      charge?.signature,
      config,
      clock.nowMs(),
    );
    expect(result).toMatchObject({
      ok: true,
      value: { eventType: 'charge.refunded', refund: null },
    });
  });

  it('reads a pending refund settling as a later refund.updated', async () => {
    const outcome = await provider.refund({
      refundId: 'po_2',
      idempotencyKey: 'payout:po_2',
      orderId: 'ord_1',
      chargeRef: 'ch_refund_pending',
      amountMinor: 500,
      currency: 'USD',
    });
    const id = outcome.kind === 'pending' ? outcome.providerRefundId : '';
    clock.advance(60_000);
    double.settleRefund(id, 'failed', 'lost_or_stolen_card');
    const updated = double.events().find((e) => e.type === 'refund.updated');
    const result = verifyStripeWebhook(
      updated?.payload ?? '',
      updated?.signature,
      config,
      clock.nowMs(),
    );
    expect(result).toMatchObject({
      ok: true,
      value: {
        occurredAtMs: START_MS + 60_000,
        refund: { refundId: 'po_2', outcome: { kind: 'declined', code: 'lost_or_stolen_card' } },
      },
    });
  });

  it('refuses an altered body', async () => {
    const [created] = await refundEvents();
    const altered = (created?.payload ?? '').replace('"amount":1250', '"amount":9999');
    expect(altered).not.toBe(created?.payload);
    expect(verifyStripeWebhook(altered, created?.signature, config, clock.nowMs())).toMatchObject({
      ok: false,
      error: { kind: 'forged' },
    });
  });

  it('refuses a body signed with another secret', async () => {
    const [created] = await refundEvents();
    const payload = created?.payload ?? '';
    const forged = Stripe.webhooks.generateTestHeaderString({
      payload,
      secret: 'whsec_attacker',
      timestamp: Math.floor(clock.nowMs() / 1000),
    });
    expect(verifyStripeWebhook(payload, forged, config, clock.nowMs())).toMatchObject({
      ok: false,
      error: { kind: 'forged' },
    });
  });

  it('refuses a stale signature (a replay), and one dated in the future', async () => {
    const [created] = await refundEvents();
    const payload = created?.payload ?? '';
    expect(
      verifyStripeWebhook(payload, created?.signature, config, START_MS + TOLERANCE_MS),
    ).toMatchObject({ ok: true });
    expect(
      verifyStripeWebhook(payload, created?.signature, config, START_MS + TOLERANCE_MS + 1_000),
    ).toMatchObject({ ok: false, error: { kind: 'stale' } });
    expect(
      verifyStripeWebhook(payload, created?.signature, config, START_MS - TOLERANCE_MS - 1_000),
    ).toMatchObject({ ok: false, error: { kind: 'stale' } });
  });

  it('refuses a delivery without a usable signature header', async () => {
    const [created] = await refundEvents();
    const payload = created?.payload ?? '';
    for (const header of [undefined, '', 'v1=abc', 't=abc,v1=def']) {
      expect(verifyStripeWebhook(payload, header, config, clock.nowMs())).toMatchObject({
        ok: false,
        error: { kind: 'missing_signature' },
      });
    }
  });
});

describe('PayPal webhooks (verify-webhook-signature)', () => {
  let clock: ManualClock;
  let double: PayPalDouble;
  let client: PayPalClient;

  beforeEach(async () => {
    clock = new ManualClock(START_MS);
    double = await startPayPalDouble({ clock: () => clock.nowMs(), webhookId: 'WH-OURS' });
    double.seedCapture({ id: 'CAP_PAID', amountMinor: 10_000, currency: 'USD' });
    client = new PayPalClient({
      baseUrl: double.url,
      clientId: double.clientId,
      clientSecret: double.clientSecret,
      timeoutMs: 1_000,
      clock,
    });
  });

  afterEach(async () => {
    await double.close();
  });

  const config = { webhookId: 'WH-OURS', toleranceMs: TOLERANCE_MS };

  async function refundEvent() {
    await new PayPalProvider(client).refund({
      refundId: 'po_1',
      idempotencyKey: 'payout:po_1',
      orderId: 'ord_1',
      chargeRef: 'CAP_PAID',
      amountMinor: 1_250,
      currency: 'USD',
    });
    const [event] = double.events();
    if (event === undefined) throw new Error('the double emitted no event');
    return event;
  }

  const headerOf = (headers: Readonly<Record<string, string>>) => (name: string) => headers[name];

  it('accepts a delivery PayPal signed, verified by its API', async () => {
    const event = await refundEvent();
    const result = await verifyPayPalWebhook(
      client,
      event.payload,
      headerOf(event.headers),
      config,
      clock.nowMs(),
    );
    expect(result).toEqual({
      ok: true,
      value: {
        provider: 'paypal',
        eventId: event.id,
        eventType: 'PAYMENT.CAPTURE.REFUNDED',
        occurredAtMs: START_MS,
        refund: {
          providerRefundId: double.refunds()[0]?.id,
          refundId: 'po_1',
          amountMinor: 1_250,
          currency: 'USD',
          outcome: { kind: 'succeeded', providerRefundId: double.refunds()[0]?.id },
        },
      },
    });
  });

  it('refuses an altered body', async () => {
    const event = await refundEvent();
    const altered = event.payload.replace('"value":"12.50"', '"value":"99.99"');
    expect(altered).not.toBe(event.payload);
    const result = await verifyPayPalWebhook(
      client,
      altered,
      headerOf(event.headers),
      config,
      clock.nowMs(),
    );
    expect(result).toMatchObject({ ok: false, error: { kind: 'forged' } });
  });

  it('refuses a signature made for another payload, or for another webhook id', async () => {
    const event = await refundEvent();
    const other = double.sign('{"id":"WH-OTHER"}', clock.nowMs());
    const swapped = await verifyPayPalWebhook(
      client,
      event.payload,
      headerOf(other),
      config,
      clock.nowMs(),
    );
    expect(swapped).toMatchObject({ ok: false, error: { kind: 'forged' } });
    const wrongId = await verifyPayPalWebhook(
      client,
      event.payload,
      headerOf(event.headers),
      { ...config, webhookId: 'WH-NOT-OURS' },
      clock.nowMs(),
    );
    expect(wrongId).toMatchObject({ ok: false, error: { kind: 'forged' } });
  });

  it('refuses a stale delivery without asking PayPal', async () => {
    const event = await refundEvent();
    await double.close();
    // The double is gone: a refusal here cannot have come from its API.
    const result = await verifyPayPalWebhook(
      client,
      event.payload,
      headerOf(event.headers),
      config,
      START_MS + TOLERANCE_MS + 1_000,
    );
    expect(result).toMatchObject({ ok: false, error: { kind: 'stale' } });
    double = await startPayPalDouble();
  });

  it('refuses a delivery with a signature header missing', async () => {
    const event = await refundEvent();
    const headers = { ...event.headers };
    delete (headers as Record<string, string>)['paypal-transmission-sig'];
    const result = await verifyPayPalWebhook(
      client,
      event.payload,
      headerOf(headers),
      config,
      clock.nowMs(),
    );
    expect(result).toMatchObject({ ok: false, error: { kind: 'missing_signature' } });
  });

  it('says unavailable (so PayPal redelivers) when the verification API does not answer', async () => {
    const event = await refundEvent();
    await double.close();
    const result = await verifyPayPalWebhook(
      client,
      event.payload,
      headerOf(event.headers),
      config,
      clock.nowMs(),
    );
    expect(result).toMatchObject({ ok: false, error: { kind: 'unavailable' } });
    double = await startPayPalDouble();
  });
});
