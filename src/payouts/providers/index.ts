/**
 * The payout adapters, assembled from configuration, and how an order's payment method picks
 * one: card (Stripe), PayPal, bank transfer, manual (crypto).
 */
import type { Clock } from '../../app/context.js';
import type { PayoutMethod, PayoutProvider } from '../../app/payouts/provider.js';
import { BankTransferProvider } from './bank-transfer.js';
import { ManualPayoutProvider } from './manual.js';
import type { OfflinePaymentRecords } from './offline.js';
import { PayPalClient, PayPalProvider, type PayPalConfig } from './paypal.js';
import { StripeCardProvider, type StripeCardProviderConfig } from './stripe.js';

export { BankTransferProvider, writePayoutBatchFile } from './bank-transfer.js';
export { ManualPayoutProvider } from './manual.js';
export {
  OfflinePayoutProvider,
  offlinePayoutId,
  parseMarkPaid,
  renderPayoutBatchCsv,
} from './offline.js';
export { PayPalClient, PayPalProvider } from './paypal.js';
export { verifyPayPalWebhook } from './paypal-webhooks.js';
export { StripeCardProvider } from './stripe.js';
export { verifyStripeWebhook } from './stripe-webhooks.js';

export interface PayoutProvidersConfig {
  /** None: card payouts are not configured (`get('card')` is null). */
  readonly stripe?: StripeCardProviderConfig;
  /** None: PayPal payouts are not configured. */
  readonly paypal?: Omit<PayPalConfig, 'clock'>;
  readonly clock: Clock;
  readonly offlineRecords?: OfflinePaymentRecords;
}

export interface PayoutProviders {
  /** The adapter for a method, or null when that method is not configured. */
  get(method: PayoutMethod): PayoutProvider | null;
  /** The PayPal client (webhook verification shares its token cache), if configured. */
  readonly paypalClient: PayPalClient | null;
  /** Drops kept-alive connections. */
  close(): void;
}

export function createPayoutProviders(config: PayoutProvidersConfig): PayoutProviders {
  const stripe = config.stripe === undefined ? null : new StripeCardProvider(config.stripe);
  const paypalClient =
    config.paypal === undefined
      ? null
      : new PayPalClient({ ...config.paypal, clock: config.clock });
  const byMethod: Record<PayoutMethod, PayoutProvider | null> = {
    card: stripe,
    paypal: paypalClient === null ? null : new PayPalProvider(paypalClient),
    bank_transfer: new BankTransferProvider(config.offlineRecords),
    manual: new ManualPayoutProvider(config.offlineRecords),
  };
  return {
    get: (method) => byMethod[method],
    paypalClient,
    close: () => stripe?.close(),
  };
}

/**
 * The payout method for an order: back through the method it was paid with (orders.
 * payment_method and orders.provider). Null: no payout path (an unknown method or a card
 * charge held by a provider we have no adapter for).
 */
export function payoutMethodForOrder(order: {
  readonly paymentMethod: string;
  readonly provider: string;
}): PayoutMethod | null {
  switch (order.paymentMethod) {
    case 'card':
      return order.provider === 'stripe' ? 'card' : null;
    case 'paypal':
      return order.provider === 'paypal' ? 'paypal' : null;
    case 'bank':
    case 'bank_transfer':
      return 'bank_transfer';
    case 'crypto':
      return 'manual';
    default:
      return null;
  }
}

/** Time-out of one provider call when none is configured. */
export const DEFAULT_PROVIDER_TIMEOUT_MS = 10_000;

/**
 * Provider settings from the environment (for the composition root):
 * STRIPE_API_KEY, STRIPE_API_BASE (e.g. http://127.0.0.1:12111 for the double),
 * PAYPAL_API_BASE, PAYPAL_CLIENT_ID, PAYPAL_CLIENT_SECRET, PROVIDER_TIMEOUT_MS.
 * Webhook secrets (STRIPE_WEBHOOK_SECRET, PAYPAL_WEBHOOK_ID) are read by the webhook route.
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
