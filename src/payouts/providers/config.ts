/**
 * Provider settings from the environment, apart from the adapters themselves, so reading the
 * configuration at start does not load the provider SDKs.
 */
import type { Clock } from '../../app/context.js';
import type { OfflinePaymentRecords } from './offline.js';
import type { PayPalConfig } from './paypal.js';
import type { StripeCardProviderConfig } from './stripe.js';

export interface PayoutProvidersConfig {
  /** None: card payouts are not configured (`get('card')` is null). */
  readonly stripe?: StripeCardProviderConfig;
  /** None: PayPal payouts are not configured. */
  readonly paypal?: Omit<PayPalConfig, 'clock'>;
  readonly clock: Clock;
  readonly offlineRecords?: OfflinePaymentRecords;
}

/** Time-out of one provider call when none is configured. */
export const DEFAULT_PROVIDER_TIMEOUT_MS = 10_000;

/**
 * Provider settings from the environment (for the composition root):
 * STRIPE_API_KEY, STRIPE_API_BASE (e.g. http://127.0.0.1:12111 for the double),
 * PAYPAL_API_BASE, PAYPAL_CLIENT_ID, PAYPAL_CLIENT_SECRET, PROVIDER_TIMEOUT_MS.
 * Webhook secrets (STRIPE_WEBHOOK_SECRET, PAYPAL_WEBHOOK_ID) are read by src/runtime/payouts.ts.
 */
export function providersConfigFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  clock: Clock,
): PayoutProvidersConfig {
  const timeoutText = env['PROVIDER_TIMEOUT_MS'];
  const timeoutMs = timeoutText === undefined ? DEFAULT_PROVIDER_TIMEOUT_MS : Number(timeoutText);
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > 120_000) {
    throw new Error('PROVIDER_TIMEOUT_MS must be an integer within 1..120000');
  }
  let stripe: StripeCardProviderConfig | undefined;
  const stripeKey = env['STRIPE_API_KEY'];
  if (stripeKey !== undefined && stripeKey !== '') {
    const base = env['STRIPE_API_BASE'];
    if (base === undefined || base === '') {
      stripe = { apiKey: stripeKey, timeoutMs };
    } else {
      const url = new URL(base);
      const protocol = url.protocol === 'http:' ? 'http' : 'https';
      stripe = {
        apiKey: stripeKey,
        timeoutMs,
        host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port === '' ? (protocol === 'http' ? 80 : 443) : Number(url.port),
        protocol,
      };
    }
  }
  const paypalId = env['PAYPAL_CLIENT_ID'];
  const paypalSecret = env['PAYPAL_CLIENT_SECRET'];
  const paypal =
    paypalId !== undefined && paypalId !== '' && paypalSecret !== undefined
      ? {
          baseUrl: env['PAYPAL_API_BASE'] ?? 'https://api-m.paypal.com',
          clientId: paypalId,
          clientSecret: paypalSecret,
          timeoutMs,
        }
      : undefined;
  return {
    clock,
    ...(stripe !== undefined ? { stripe } : {}),
    ...(paypal !== undefined ? { paypal } : {}),
  };
}
