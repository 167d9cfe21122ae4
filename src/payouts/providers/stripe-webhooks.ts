/**
 * Stripe webhook verification with the official `stripe.webhooks.constructEvent`: the
 * `Stripe-Signature` HMAC over the exact raw body, within a tolerance of our (injected) clock.
 * A verified refund event is read into a `VerifiedProviderEvent` the ledger de-duplicates by
 * `eventId`.
 */
import Stripe from 'stripe';
import type { ProviderRefundUpdate, VerifiedProviderEvent } from '../../app/payouts/provider.js';
import { MAX_WEBHOOK_BODY_BYTES, rejected, type WebhookVerification } from './webhook-result.js';

export interface StripeWebhookConfig {
  /** The endpoint's signing secret (`whsec_…`). */
  readonly secret: string;
  /** How old (or early) a signature may be; Stripe's default is 300 s. */
  readonly toleranceMs: number;
}

/** constructEvent needs no API key; this client is never used to call Stripe. */
const webhooks = new Stripe('sk_webhook_verification_only').webhooks;

const REFUND_EVENT_TYPES = new Set([
  'refund.created',
  'refund.updated',
  'refund.failed',
  'charge.refund.updated',
]);

export function verifyStripeWebhook(
  rawBody: string,
  signatureHeader: string | undefined,
  config: StripeWebhookConfig,
  nowMs: number,
): WebhookVerification {
  if (Buffer.byteLength(rawBody) > MAX_WEBHOOK_BODY_BYTES) {
    return rejected('malformed', `body over ${String(MAX_WEBHOOK_BODY_BYTES)} bytes`);
  }
  if (signatureHeader === undefined || signatureHeader === '') {
    return rejected('missing_signature', 'no Stripe-Signature header');
  }
  const toleranceSec = Math.floor(config.toleranceMs / 1000);
  const timestamp = /(?:^|,)t=(\d{1,12})(?:,|$)/.exec(signatureHeader)?.[1];
  if (timestamp === undefined) {
    return rejected('missing_signature', 'the Stripe-Signature header has no timestamp');
  }
  let event: Stripe.Event;
  try {
    event = webhooks.constructEvent(
      rawBody,
      signatureHeader,
      config.secret,
      toleranceSec,
      undefined,
      nowMs,
    );
  } catch (error) {
    if (!(error instanceof Stripe.errors.StripeSignatureVerificationError)) {
      return rejected('malformed', error instanceof Error ? error.message : String(error));
    }
    if (/tolerance/i.test(error.message)) return rejected('stale', error.message);
    if (/matching the expected signature/i.test(error.message)) {
      return rejected('forged', error.message);
    }
    return rejected('missing_signature', error.message);
  }
  // constructEvent only bounds the age; a signature from the future is refused too.
  if (Number(timestamp) * 1000 - nowMs > config.toleranceMs) {
    return rejected('stale', 'the signature is dated in the future beyond the tolerance');
  }
  if (typeof event.id !== 'string' || typeof event.type !== 'string') {
    return rejected('malformed', 'the event has no id or type');
  }
  const verified: VerifiedProviderEvent = {
    provider: 'stripe',
    eventId: event.id,
    eventType: event.type,
    occurredAtMs: event.created * 1000,
    refund: REFUND_EVENT_TYPES.has(event.type)
      ? refundUpdate(event.data.object as Stripe.Refund)
      : null,
  };
  return { ok: true, value: verified };
}

function refundUpdate(refund: Stripe.Refund): ProviderRefundUpdate | null {
  if (refund?.object !== 'refund' || typeof refund.id !== 'string') return null;
  const refundId = refund.metadata?.['refund_id'];
  const base = {
    providerRefundId: refund.id,
    refundId: typeof refundId === 'string' ? refundId : null,
    amountMinor: refund.amount,
    currency: refund.currency.toUpperCase(),
  };
  switch (refund.status) {
    case 'succeeded':
      return { ...base, outcome: { kind: 'succeeded', providerRefundId: refund.id } };
    case 'failed':
    case 'canceled':
      return {
        ...base,
        outcome: {
          kind: 'declined',
          code: refund.failure_reason ?? refund.status,
          reason: `Stripe refund ${refund.id} ${refund.status}${refund.failure_reason ? `: ${refund.failure_reason}` : ''}`,
        },
      };
    default:
      return { ...base, outcome: { kind: 'pending', providerRefundId: refund.id } };
  }
}
