/**
 * PayPal webhook verification through PayPal's documented API, `POST
 * /v1/notifications/verify-webhook-signature`: the transmission headers, our webhook id and the
 * event are sent back to PayPal, which checks the signature against its certificate. The event
 * is embedded as the exact bytes received (re-serialising it would change the checksum PayPal
 * signed). Before asking, the transmission time is checked against our clock, so an old,
 * replayed delivery is refused without a call.
 */
import type { ProviderRefundUpdate, VerifiedProviderEvent } from '../../app/payouts/provider.js';
import { paypalRefundOutcome, paypalValueToMinor, type PayPalClient } from './paypal.js';
import { MAX_WEBHOOK_BODY_BYTES, rejected, type WebhookVerification } from './webhook-result.js';

export interface PayPalWebhookConfig {
  /** The id PayPal gave our webhook subscription. */
  readonly webhookId: string;
  /** How far the transmission time may be from now, either way. */
  readonly toleranceMs: number;
}

/** The headers PayPal signs a delivery with (names lower case, as node:http gives them). */
export const PAYPAL_SIGNATURE_HEADERS = [
  'paypal-auth-algo',
  'paypal-cert-url',
  'paypal-transmission-id',
  'paypal-transmission-sig',
  'paypal-transmission-time',
] as const;

const REFUND_EVENT_TYPES = new Set([
  'PAYMENT.CAPTURE.REFUNDED',
  'PAYMENT.REFUND.PENDING',
  'PAYMENT.REFUND.FAILED',
  'PAYMENT.REFUND.CANCELLED',
]);

const MAX_HEADER_CHARS = 2048;

export async function verifyPayPalWebhook(
  client: PayPalClient,
  rawBody: string,
  header: (name: string) => string | undefined,
  config: PayPalWebhookConfig,
  nowMs: number,
): Promise<WebhookVerification> {
  if (Buffer.byteLength(rawBody) > MAX_WEBHOOK_BODY_BYTES) {
    return rejected('malformed', `body over ${String(MAX_WEBHOOK_BODY_BYTES)} bytes`);
  }
  const values: Record<string, string> = {};
  for (const name of PAYPAL_SIGNATURE_HEADERS) {
    const value = header(name);
    if (value === undefined || value === '' || value.length > MAX_HEADER_CHARS) {
      return rejected('missing_signature', `no usable ${name} header`);
    }
    values[name] = value;
  }
  const transmittedAtMs = Date.parse(values['paypal-transmission-time'] ?? '');
  if (Number.isNaN(transmittedAtMs)) {
    return rejected('missing_signature', 'paypal-transmission-time is not a date');
  }
  if (Math.abs(nowMs - transmittedAtMs) > config.toleranceMs) {
    return rejected(
      'stale',
      `transmitted at ${new Date(transmittedAtMs).toISOString()}, outside ${String(config.toleranceMs)} ms of now`,
    );
  }
  let event: PayPalEvent;
  try {
    event = JSON.parse(rawBody) as PayPalEvent;
  } catch {
    return rejected('malformed', 'the body is not JSON');
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    return rejected('malformed', 'the body is not a JSON object');
  }
  // The event goes back verbatim: PayPal's signature covers a checksum of these exact bytes.
  const verifyBody =
    `{"auth_algo":${JSON.stringify(values['paypal-auth-algo'])},` +
    `"cert_url":${JSON.stringify(values['paypal-cert-url'])},` +
    `"transmission_id":${JSON.stringify(values['paypal-transmission-id'])},` +
    `"transmission_sig":${JSON.stringify(values['paypal-transmission-sig'])},` +
    `"transmission_time":${JSON.stringify(values['paypal-transmission-time'])},` +
    `"webhook_id":${JSON.stringify(config.webhookId)},` +
    `"webhook_event":${rawBody}}`;
  const answer = await client.request('POST', '/v1/notifications/verify-webhook-signature', {
    body: verifyBody,
  });
  if (answer.kind === 'no_answer') return rejected('unavailable', answer.reason);
  if (answer.status >= 500 || answer.status === 429 || answer.status === 401) {
    return rejected('unavailable', `PayPal's verification answered HTTP ${String(answer.status)}`);
  }
  const status = (answer.body as { verification_status?: unknown } | null)?.verification_status;
  if (answer.status !== 200 || status !== 'SUCCESS') {
    return rejected(
      'forged',
      `PayPal did not verify the signature (HTTP ${String(answer.status)}, ${String(status)})`,
    );
  }
  return readEvent(event);
}

interface PayPalEvent {
  readonly id?: unknown;
  readonly event_type?: unknown;
  readonly create_time?: unknown;
  readonly resource_type?: unknown;
  readonly resource?: {
    readonly id?: unknown;
    readonly status?: unknown;
    readonly custom_id?: unknown;
    readonly amount?: { readonly value?: unknown; readonly currency_code?: unknown };
  };
}

function readEvent(event: PayPalEvent): WebhookVerification {
  if (typeof event.id !== 'string' || typeof event.event_type !== 'string') {
    return rejected('malformed', 'the event has no id or event_type');
  }
  const occurredAtMs = typeof event.create_time === 'string' ? Date.parse(event.create_time) : NaN;
  if (Number.isNaN(occurredAtMs)) return rejected('malformed', 'the event has no create_time');
  let refund: ProviderRefundUpdate | null = null;
  if (REFUND_EVENT_TYPES.has(event.event_type)) {
    const resource = event.resource;
    const outcome = paypalRefundOutcome(resource);
    const currency = resource?.amount?.currency_code;
    const value = resource?.amount?.value;
    const amountMinor =
      typeof currency === 'string' && typeof value === 'string'
        ? paypalValueToMinor(value, currency)
        : null;
    if (outcome.kind === 'unknown' || amountMinor === null || typeof currency !== 'string') {
      return rejected('malformed', `the ${event.event_type} event has no readable refund`);
    }
    refund = {
      providerRefundId: String(resource?.id),
      refundId: typeof resource?.custom_id === 'string' ? resource.custom_id : null,
      amountMinor,
      currency,
      outcome,
    };
  }
  const verified: VerifiedProviderEvent = {
    provider: 'paypal',
    eventId: event.id,
    eventType: event.event_type,
    occurredAtMs,
    refund,
  };
  return { ok: true, value: verified };
}
