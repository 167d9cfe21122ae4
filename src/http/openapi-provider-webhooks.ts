/**
 * Payment provider webhooks (routes/provider-webhooks.ts) for the OpenAPI document. The body is
 * the provider's own event format, verified by its signature, so the document does not restate
 * it; the answer says what the event did to our payouts.
 */
import { jsonContent, ref, type Json, type Route } from './openapi-kit.js';
import { MAX_PROVIDER_WEBHOOK_BYTES, PROVIDER_WEBHOOK_ROUTES } from './routes/provider-webhooks.js';

export const PROVIDER_WEBHOOK_VIEW_SCHEMAS: Readonly<Record<string, Json>> = {
  ProviderWebhookAccepted: {
    type: 'object',
    description: 'A verified provider event and what it did',
    additionalProperties: false,
    required: ['eventId', 'result'],
    properties: {
      eventId: { type: 'string', description: "the provider's event id (the de-duplication key)" },
      result: {
        enum: ['applied', 'duplicate', 'ignored', 'unmatched'],
        description:
          'applied: moved a payout forward; duplicate: this event id was seen before, nothing ' +
          'changed; ignored: nothing new (a state the payout has passed, an amount that does ' +
          'not match, or not about a refund); unmatched: about a refund we do not know',
      },
    },
  },
};

export function providerWebhookRoutes(): Route[] {
  return [
    {
      method: 'post',
      path: '/v1/provider-webhooks/{provider}',
      spec: {
        operationId: 'receiveProviderWebhook',
        summary: "A payment provider's webhook, verified by its signature",
        description:
          `{provider}: ${Object.keys(PROVIDER_WEBHOOK_ROUTES).join(' or ')} (another name is 404). ` +
          'No session: the signature is the authentication. `stripe`: the `Stripe-Signature` ' +
          'header (STRIPE_WEBHOOK_SECRET), within five minutes. `paypal`: the PAYPAL-* ' +
          "transmission headers, checked by PayPal's verify-webhook-signature API " +
          '(PAYPAL_WEBHOOK_ID), within five minutes. A verified event is applied at most once ' +
          "(keyed by the provider's event id) and only moves a payout forward. A provider " +
          'without its secret configured, or whose verification service did not answer, gets ' +
          '503 and redelivers later.',
        tags: ['payouts'],
        security: [],
        requestBody: {
          required: true,
          description: `The provider's event, exactly as sent; at most ${MAX_PROVIDER_WEBHOOK_BYTES} bytes.`,
          content: jsonContent({ type: 'object' }),
        },
        responses: {
          '200': {
            description: 'Verified (a duplicate included)',
            content: jsonContent(ref('ProviderWebhookAccepted')),
          },
        },
        problems: ['webhook_rejected', 'provider_unavailable', 'not_found', 'payload_too_large'],
      },
    },
  ];
}
