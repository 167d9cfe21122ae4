/**
 * The provider webhook verifiers the HTTP face is handed (routes/provider-webhooks.ts): each
 * takes the raw body exactly as received and the request's headers, and answers a verified
 * event or why it was refused (providers/webhook-result.ts). A provider without its secret
 * configured has no verifier, and its route answers 503 so the provider keeps redelivering
 * until it is configured.
 */
import { verifyPayPalWebhook } from './providers/paypal-webhooks.js';
import type { PayPalClient } from './providers/paypal.js';
import { verifyStripeWebhook } from './providers/stripe-webhooks.js';
import type { WebhookVerification } from './providers/webhook-result.js';

export type { WebhookRejection, WebhookVerification } from './providers/webhook-result.js';

export const WEBHOOK_PROVIDERS = ['stripe', 'paypal'] as const;
export type WebhookProvider = (typeof WEBHOOK_PROVIDERS)[number];

export type ProviderWebhookVerifier = (
  rawBody: string,
  header: (name: string) => string | undefined,
  nowMs: number,
) => Promise<WebhookVerification>;

export type ProviderWebhookVerifiers = Partial<Record<WebhookProvider, ProviderWebhookVerifier>>;

export interface ProviderWebhookSettings {
  /** STRIPE_WEBHOOK_SECRET (`whsec_…`). */
  readonly stripeSecret?: string;
  /** PAYPAL_WEBHOOK_ID; verification also needs the PayPal client (PAYPAL_CLIENT_ID). */
  readonly paypalWebhookId?: string;
  /** How far a signature's time may be from now; default five minutes. */
  readonly toleranceMs?: number;
}

export const DEFAULT_PROVIDER_WEBHOOK_TOLERANCE_MS = 5 * 60_000;

export function providerWebhookVerifiers(
  settings: ProviderWebhookSettings,
  paypalClient: PayPalClient | null,
): ProviderWebhookVerifiers {
  const toleranceMs = settings.toleranceMs ?? DEFAULT_PROVIDER_WEBHOOK_TOLERANCE_MS;
  const verifiers: { -readonly [P in WebhookProvider]?: ProviderWebhookVerifier } = {};
  const { stripeSecret, paypalWebhookId } = settings;
  if (stripeSecret !== undefined && stripeSecret !== '') {
    verifiers.stripe = (rawBody, header, nowMs) =>
      Promise.resolve(
        verifyStripeWebhook(
          rawBody,
          header('stripe-signature'),
          { secret: stripeSecret, toleranceMs },
          nowMs,
        ),
      );
  }
  if (paypalWebhookId !== undefined && paypalWebhookId !== '' && paypalClient !== null) {
    verifiers.paypal = (rawBody, header, nowMs) =>
      verifyPayPalWebhook(
        paypalClient,
        rawBody,
        header,
        { webhookId: paypalWebhookId, toleranceMs },
        nowMs,
      );
  }
  return verifiers;
}
