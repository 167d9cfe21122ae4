/**
 * Provider webhook helpers for the HTTP suites: Stripe events signed as Stripe signs them
 * (`Stripe-Signature: t=…,v1=HMAC-SHA256(secret, t + "." + payload)`; verified by the official
 * package in the route), a trigger for each provider webhook problem code
 * (test/http/problems.test.ts), and one successful exchange for the OpenAPI walk
 * (test/http/openapi.test.ts).
 */
import { createHmac } from 'node:crypto';
import { openStore } from '../../src/store/connect.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { deskOver, TEST_STRIPE_WEBHOOK_SECRET, type TestDesk } from './people.js';

export interface StripeRefundEventInput {
  readonly eventId: string;
  /** Our payout's id, as sent in the refund's metadata. */
  readonly payoutId: string;
  readonly amountMinor: number;
  /** Upper case; Stripe sends it lower case. */
  readonly currency: string;
  readonly status: 'succeeded' | 'pending' | 'failed';
  readonly providerRefundId?: string;
  readonly createdMs: number;
  readonly type?: string;
}

/** A Stripe `refund.updated` event body. */
export function stripeRefundEvent(input: StripeRefundEventInput): string {
  return JSON.stringify({
    id: input.eventId,
    object: 'event',
    type: input.type ?? 'refund.updated',
    created: Math.floor(input.createdMs / 1000),
    livemode: false,
    data: {
      object: {
        id: input.providerRefundId ?? `re_${input.payoutId}`,
        object: 'refund',
        amount: input.amountMinor,
        currency: input.currency.toLowerCase(),
        status: input.status,
        failure_reason: input.status === 'failed' ? 'expired_or_canceled_card' : null,
        metadata: { refund_id: input.payoutId },
      },
    },
  });
}

/** The `Stripe-Signature` header for `payload` signed at `atMs`. */
export function signStripe(
  payload: string,
  atMs: number,
  secret: string = TEST_STRIPE_WEBHOOK_SECRET,
): string {
  const timestamp = Math.floor(atMs / 1000);
  const mac = createHmac('sha256', secret).update(`${timestamp}.${payload}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/** A POST as Stripe sends it. */
export function stripeDelivery(payload: string, signature: string | undefined): RequestInit {
  return {
    method: 'POST',
    body: payload,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      ...(signature === undefined ? {} : { 'stripe-signature': signature }),
    },
  };
}

async function freshDesk(): Promise<TestDesk> {
  const store = openStore({ url: ':memory:' });
  await migrateToLatest(store.db);
  return deskOver(store);
}

const NOT_A_REFUND = (atMs: number) =>
  JSON.stringify({
    id: 'evt_walk_1',
    object: 'event',
    type: 'customer.created',
    created: Math.floor(atMs / 1000),
    data: { object: { id: 'cus_1', object: 'customer' } },
  });

export const PROVIDER_WEBHOOK_PROBLEM_TRIGGERS = {
  webhook_rejected: async () => {
    const d = await freshDesk();
    const payload = NOT_A_REFUND(d.clock.nowMs());
    return d.app.request(
      '/v1/provider-webhooks/stripe',
      stripeDelivery(payload, signStripe(payload, d.clock.nowMs(), 'whsec_someone_else')),
    );
  },
  provider_unavailable: async () => {
    // The test desk has no PayPal webhook id configured.
    const d = await freshDesk();
    return d.app.request('/v1/provider-webhooks/paypal', stripeDelivery('{}', undefined));
  },
} satisfies Record<string, () => Promise<Response>>;

/** One successful exchange with the provider webhook operation (a verified, unrelated event). */
export async function walkProviderWebhookOperations(d: TestDesk): Promise<void> {
  const payload = NOT_A_REFUND(d.clock.nowMs());
  const res = await d.app.request(
    '/v1/provider-webhooks/stripe',
    stripeDelivery(payload, signStripe(payload, d.clock.nowMs())),
  );
  if (res.status !== 200) {
    throw new Error(`provider webhook walk: ${res.status} ${await res.text()}`);
  }
}
