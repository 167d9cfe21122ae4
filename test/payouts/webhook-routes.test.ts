/**
 * Provider webhooks over HTTP, in process, on both engines: `POST /v1/provider-webhooks/stripe`
 * (signed as Stripe signs, verified by the official package) and `/paypal` (verified by the
 * PayPal double's verify-webhook-signature API). A valid event settles a payout, a duplicate
 * changes nothing, forged, altered, stale and unsigned deliveries are refused with problem
 * details, and a provider without a secret or whose verification is down answers 503.
 * Every exchange is also checked against the OpenAPI document (deskOver).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPayPalDouble, type PayPalDouble } from '../../src/payouts/doubles/paypal-double.js';
import { providerWebhookVerifiers } from '../../src/payouts/provider-webhooks.js';
import { PayPalClient } from '../../src/payouts/providers/paypal.js';
import { deskOver, type TestDesk } from '../support/people.js';
import {
  signStripe,
  stripeDelivery,
  stripeRefundEvent,
  walkProviderWebhookOperations,
} from '../support/provider-webhooks.js';
import { describeEachEngine } from '../support/stores.js';
import { seedApprovedCase, seedPaidOrder, stateOf } from './fixtures.js';

const STRIPE = '/v1/provider-webhooks/stripe';
const PAYPAL = '/v1/provider-webhooks/paypal';
const MINUTE_MS = 60_000;

describeEachEngine('provider webhook routes', (store) => {
  let desk: TestDesk;
  let paypal: PayPalDouble;
  let paypalDesk: TestDesk;

  beforeAll(async () => {
    desk = deskOver(store());
    paypal = await startPayPalDouble({
      clock: () => desk.clock.nowMs(),
      webhookId: 'WH-OURS',
    });
    const client = new PayPalClient({
      baseUrl: paypal.url,
      clientId: paypal.clientId,
      clientSecret: paypal.clientSecret,
      timeoutMs: 2_000,
      clock: desk.clock,
    });
    // The same store and clock, with PayPal verification configured.
    paypalDesk = deskOver(store(), {
      providerWebhooks: providerWebhookVerifiers({ paypalWebhookId: 'WH-OURS' }, client),
    });
    paypalDesk.clock.set(desk.clock.nowMs());
  });
  afterAll(async () => {
    await paypal.close();
    desk.dispose();
    paypalDesk.dispose();
  });

  const payoutRow = (id: string) =>
    desk.deps.store.db
      .selectFrom('payouts')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  const eventRows = (eventId: string) =>
    desk.deps.store.db
      .selectFrom('providerEvents')
      .selectAll()
      .where('eventId', '=', eventId)
      .execute();
  const auditCount = async () =>
    Number(
      (
        await desk.deps.store.db
          .selectFrom('auditLog')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  describe('Stripe', () => {
    it('settles a payout from a verified event, and ignores its duplicate', async () => {
      const order = await seedPaidOrder(desk.deps, { amountMinor: 6_000 });
      const { requestId, payout } = await seedApprovedCase(desk.deps, order, 2_500);
      const payload = stripeRefundEvent({
        eventId: `evt_${payout.id}`,
        payoutId: payout.id,
        amountMinor: 2_500,
        currency: 'USD',
        status: 'succeeded',
        createdMs: desk.clock.nowMs(),
      });
      const delivery = () =>
        desk.app.request(STRIPE, stripeDelivery(payload, signStripe(payload, desk.clock.nowMs())));

      const first = await delivery();
      expect(first.status).toBe(200);
      expect(await first.json()).toEqual({ eventId: `evt_${payout.id}`, result: 'applied' });
      expect(await payoutRow(payout.id)).toMatchObject({
        status: 'succeeded',
        providerRefundId: `re_${payout.id}`,
      });
      expect(await stateOf(desk.deps, requestId)).toBe('paid');
      const refunds = await desk.deps.store.db
        .selectFrom('refunds')
        .selectAll()
        .where('orderId', '=', order.orderId)
        .execute();
      expect(refunds.map((r) => r.amountMinor)).toEqual([2_500]);

      const audited = await auditCount();
      desk.clock.advance(MINUTE_MS);
      const again = await delivery();
      expect(again.status).toBe(200);
      expect(await again.json()).toEqual({ eventId: `evt_${payout.id}`, result: 'duplicate' });
      expect(await eventRows(`evt_${payout.id}`)).toHaveLength(1);
      expect(await auditCount()).toBe(audited);
      expect(
        await desk.deps.store.db
          .selectFrom('refunds')
          .selectAll()
          .where('orderId', '=', order.orderId)
          .execute(),
      ).toHaveLength(1);
    });

    it('sends a declined refund back to staff with the reason', async () => {
      const order = await seedPaidOrder(desk.deps);
      const { requestId, payout } = await seedApprovedCase(desk.deps, order, 1_000);
      const payload = stripeRefundEvent({
        eventId: `evt_failed_${payout.id}`,
        payoutId: payout.id,
        amountMinor: 1_000,
        currency: 'USD',
        status: 'failed',
        createdMs: desk.clock.nowMs(),
      });
      const res = await desk.app.request(
        STRIPE,
        stripeDelivery(payload, signStripe(payload, desk.clock.nowMs())),
      );
      expect(await res.json()).toMatchObject({ result: 'applied' });
      expect(await payoutRow(payout.id)).toMatchObject({
        status: 'declined',
        failureCode: 'expired_or_canceled_card',
      });
      expect(await stateOf(desk.deps, requestId)).toBe('payout_failed');
    });

    it('refuses forged, altered, stale and unsigned deliveries, recording nothing', async () => {
      const order = await seedPaidOrder(desk.deps);
      const { requestId, payout } = await seedApprovedCase(desk.deps, order, 1_500);
      const nowMs = desk.clock.nowMs();
      const payload = stripeRefundEvent({
        eventId: `evt_bad_${payout.id}`,
        payoutId: payout.id,
        amountMinor: 1_500,
        currency: 'USD',
        status: 'succeeded',
        createdMs: nowMs,
      });
      const altered = payload.replace('"amount":1500', '"amount":1');
      const cases: Array<[string, RequestInit, string]> = [
        ['forged', stripeDelivery(payload, signStripe(payload, nowMs, 'whsec_attacker')), 'forged'],
        ['altered', stripeDelivery(altered, signStripe(payload, nowMs)), 'forged'],
        ['stale', stripeDelivery(payload, signStripe(payload, nowMs - 10 * MINUTE_MS)), 'stale'],
        ['future', stripeDelivery(payload, signStripe(payload, nowMs + 10 * MINUTE_MS)), 'stale'],
        ['unsigned', stripeDelivery(payload, undefined), 'missing_signature'],
      ];
      for (const [name, init, kind] of cases) {
        const res = await desk.app.request(STRIPE, init);
        expect(res.status, name).toBe(400);
        expect(res.headers.get('content-type')).toBe('application/problem+json');
        const body = (await res.json()) as { code: string; detail: string };
        expect(body.code, name).toBe('webhook_rejected');
        expect(body.detail, name).toContain(`(${kind})`);
      }
      expect(await eventRows(`evt_bad_${payout.id}`)).toEqual([]);
      expect((await payoutRow(payout.id)).status).toBe('queued');
      expect(await stateOf(desk.deps, requestId)).toBe('payout_pending');
    });

    it('answers 503 when no secret is configured, 404 for another provider, 405 for GET', async () => {
      const bare = deskOver(store(), { providerWebhooks: {} });
      try {
        const payload = '{"id":"evt_x"}';
        const res = await bare.app.request(
          STRIPE,
          stripeDelivery(payload, signStripe(payload, bare.clock.nowMs())),
        );
        expect(res.status).toBe(503);
        expect(await res.json()).toMatchObject({
          code: 'provider_unavailable',
          detail: expect.stringContaining('STRIPE_WEBHOOK_SECRET'),
        });
      } finally {
        bare.dispose();
      }
      const other = await desk.app.request(
        '/v1/provider-webhooks/adyen',
        stripeDelivery('{}', 'x'),
      );
      expect(other.status).toBe(404);
      const get = await desk.app.request(STRIPE);
      expect(get.status).toBe(405);
      expect(get.headers.get('allow')).toBe('POST');
    });

    it('accepts a verified event that is not about a refund (the OpenAPI walk)', async () => {
      await expect(walkProviderWebhookOperations(desk)).resolves.toBeUndefined();
    });
  });

  describe('PayPal', () => {
    function refundEvent(eventId: string, payoutId: string, status: string): string {
      return JSON.stringify({
        id: eventId,
        event_type: 'PAYMENT.CAPTURE.REFUNDED',
        create_time: new Date(paypalDesk.clock.nowMs()).toISOString(),
        resource_type: 'refund',
        resource: {
          id: `PPR-${payoutId}`,
          status,
          custom_id: payoutId,
          amount: { value: '12.34', currency_code: 'USD' },
        },
      });
    }
    const deliver = (payload: string, headers: Readonly<Record<string, string>>) =>
      paypalDesk.app.request(PAYPAL, {
        method: 'POST',
        body: payload,
        headers: { 'content-type': 'application/json', ...headers },
      });

    it('settles a payout from an event PayPal verified, and ignores its duplicate', async () => {
      paypalDesk.clock.set(desk.clock.nowMs());
      const order = await seedPaidOrder(paypalDesk.deps, { paymentMethod: 'paypal' });
      const { requestId, payout } = await seedApprovedCase(paypalDesk.deps, order, 1_234);
      expect(payout.method).toBe('paypal');
      const payload = refundEvent(`WH-${payout.id}`, payout.id, 'COMPLETED');
      const headers = paypal.sign(payload, paypalDesk.clock.nowMs());
      const first = await deliver(payload, headers);
      expect(first.status, await first.clone().text()).toBe(200);
      expect(await first.json()).toEqual({ eventId: `WH-${payout.id}`, result: 'applied' });
      expect((await payoutRow(payout.id)).status).toBe('succeeded');
      expect(await stateOf(paypalDesk.deps, requestId)).toBe('paid');
      const again = await deliver(payload, headers);
      expect(await again.json()).toEqual({ eventId: `WH-${payout.id}`, result: 'duplicate' });
      expect(await eventRows(`WH-${payout.id}`)).toHaveLength(1);
    });

    it('refuses a forged or stale delivery, and answers 503 when PayPal cannot verify', async () => {
      const order = await seedPaidOrder(paypalDesk.deps, { paymentMethod: 'paypal' });
      const { payout } = await seedApprovedCase(paypalDesk.deps, order, 1_234);
      const payload = refundEvent(`WH-bad-${payout.id}`, payout.id, 'COMPLETED');
      const nowMs = paypalDesk.clock.nowMs();
      const forged = await deliver(payload, paypal.sign('{"id":"WH-OTHER"}', nowMs));
      expect(forged.status).toBe(400);
      expect(await forged.json()).toMatchObject({ code: 'webhook_rejected' });
      const stale = await deliver(payload, paypal.sign(payload, nowMs - 10 * MINUTE_MS));
      expect(stale.status).toBe(400);
      expect(await stale.json()).toMatchObject({
        code: 'webhook_rejected',
        detail: expect.stringContaining('(stale)'),
      });
      expect(await eventRows(`WH-bad-${payout.id}`)).toEqual([]);
      expect((await payoutRow(payout.id)).status).toBe('queued');

      // PayPal's verification service unreachable: 503, so PayPal redelivers later.
      const unreachable = new PayPalClient({
        baseUrl: 'http://127.0.0.1:1',
        clientId: paypal.clientId,
        clientSecret: paypal.clientSecret,
        timeoutMs: 1_000,
        clock: paypalDesk.clock,
      });
      const cut = deskOver(store(), {
        providerWebhooks: providerWebhookVerifiers({ paypalWebhookId: 'WH-OURS' }, unreachable),
      });
      try {
        cut.clock.set(nowMs);
        const down = await cut.app.request(PAYPAL, {
          method: 'POST',
          body: payload,
          headers: { 'content-type': 'application/json', ...paypal.sign(payload, nowMs) },
        });
        expect(down.status).toBe(503);
        expect(await down.json()).toMatchObject({ code: 'provider_unavailable' });
      } finally {
        cut.dispose();
      }
      expect(await eventRows(`WH-bad-${payout.id}`)).toEqual([]);
    });
  });
});
