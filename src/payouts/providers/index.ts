/**
 * The payout adapters, assembled from configuration, and how an order's payment method picks
 * one: card (Stripe), PayPal, bank transfer, manual (crypto).
 */
import type { PayoutMethod, PayoutProvider } from '../../app/payouts/provider.js';
import { BankTransferProvider } from './bank-transfer.js';
import { ManualPayoutProvider } from './manual.js';
import type { PayoutProvidersConfig } from './config.js';
import { PayPalClient, PayPalProvider } from './paypal.js';
import { StripeCardProvider } from './stripe.js';

export { BankTransferProvider, writePayoutBatchFile } from './bank-transfer.js';
export {
  DEFAULT_PROVIDER_TIMEOUT_MS,
  providersConfigFromEnv,
  type PayoutProvidersConfig,
} from './config.js';
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
