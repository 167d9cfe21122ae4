/**
 * Payout configuration from the environment (read once at start, with the rest of config.ts)
 * and the payout side of the composition root (`openPayouts`): provider adapters, the
 * verifiers of provider webhooks, and the delivery / reconciliation / extension loops.
 *
 * Environment:
 * - STRIPE_API_KEY, STRIPE_API_BASE, PAYPAL_CLIENT_ID, PAYPAL_CLIENT_SECRET, PAYPAL_API_BASE,
 *   PROVIDER_TIMEOUT_MS (payouts/providers/config.ts `providersConfigFromEnv`);
 * - STRIPE_WEBHOOK_SECRET, PAYPAL_WEBHOOK_ID: verify provider webhooks;
 * - SELLER_EXTENSION_URL, SELLER_EXTENSION_SECRET: where chosen service extensions are sent,
 *   signed like our case webhooks.
 *
 * A payout whose method has no provider here stays queued with the reason on it
 * (app/payouts/unconfigured.ts); bank transfers and manual payouts need no configuration.
 */
import type { Clock, DeskDeps } from '../app/context.js';
import { PAYOUT_METHODS, type PayoutMethod } from '../app/payouts/provider.js';
import type {
  ProviderWebhookSettings,
  ProviderWebhookVerifiers,
} from '../payouts/provider-webhooks.js';
import { providersConfigFromEnv, type PayoutProvidersConfig } from '../payouts/providers/config.js';
import type { ExtensionTarget } from '../payouts/extension-delivery.js';
import type { OfflinePaymentRecords } from '../payouts/providers/offline.js';
import type { RunningPayoutLoops } from '../payouts/run.js';

export interface PayoutsConfig {
  readonly providers: Omit<PayoutProvidersConfig, 'clock' | 'offlineRecords'>;
  readonly webhooks: ProviderWebhookSettings;
  /** The seller's provisioning endpoint; none: extension commands wait, queued. */
  readonly seller?: ExtensionTarget;
}

/** Nothing configured: card and PayPal payouts wait, extension commands wait. */
export const NO_PAYOUTS_CONFIG: PayoutsConfig = { providers: {}, webhooks: {} };

/** A seller secret shorter than this is refused (it signs every extension command). */
export const MIN_SELLER_SECRET_CHARS = 16;

export type PayoutsConfigResult =
  | { readonly ok: true; readonly config: PayoutsConfig }
  | { readonly ok: false; readonly error: string };

export function payoutsConfigFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  clock: Clock,
): PayoutsConfigResult {
  let providers: PayoutProvidersConfig;
  try {
    providers = providersConfigFromEnv(env, clock);
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  const withoutClock = {
    ...(providers.stripe === undefined ? {} : { stripe: providers.stripe }),
    ...(providers.paypal === undefined ? {} : { paypal: providers.paypal }),
  };
  const sellerUrl = env['SELLER_EXTENSION_URL'];
  const sellerSecret = env['SELLER_EXTENSION_SECRET'];
  let seller: ExtensionTarget | undefined;
  if (sellerUrl !== undefined && sellerUrl !== '') {
    let url: URL;
    try {
      url = new URL(sellerUrl);
    } catch {
      return { ok: false, error: `SELLER_EXTENSION_URL is not a URL: ${sellerUrl}` };
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      return { ok: false, error: 'SELLER_EXTENSION_URL must be an http(s) URL' };
    }
    if (sellerSecret === undefined || sellerSecret.length < MIN_SELLER_SECRET_CHARS) {
      return {
        ok: false,
        error: `SELLER_EXTENSION_SECRET must be set (at least ${MIN_SELLER_SECRET_CHARS} characters) with SELLER_EXTENSION_URL`,
      };
    }
    seller = { url: url.href, secret: sellerSecret };
  }
  const stripeSecret = env['STRIPE_WEBHOOK_SECRET'];
  const paypalWebhookId = env['PAYPAL_WEBHOOK_ID'];
  return {
    ok: true,
    config: {
      providers: withoutClock,
      webhooks: {
        ...(stripeSecret === undefined || stripeSecret === '' ? {} : { stripeSecret }),
        ...(paypalWebhookId === undefined || paypalWebhookId === '' ? {} : { paypalWebhookId }),
      },
      ...(seller === undefined ? {} : { seller }),
    },
  };
}

/** The methods a configuration can pay out through (bank transfer and manual always). */
export function configuredMethods(config: PayoutsConfig): PayoutMethod[] {
  return PAYOUT_METHODS.filter(
    (method) =>
      (method !== 'card' || config.providers.stripe !== undefined) &&
      (method !== 'paypal' || config.providers.paypal !== undefined),
  );
}

/** One line for the start-up log: what pays out, what waits. */
export function describePayouts(config: PayoutsConfig): string {
  const methods = configuredMethods(config);
  const waiting = PAYOUT_METHODS.filter((method) => !methods.includes(method));
  return (
    `payouts: ${methods.join(', ')}` +
    (waiting.length === 0 ? '' : `; no provider for ${waiting.join(', ')} (they wait, queued)`) +
    `; extensions: ${config.seller === undefined ? 'no SELLER_EXTENSION_URL (they wait, queued)' : new URL(config.seller.url).origin}`
  );
}

/** Reads whether staff marked an offline payout paid (for the offline adapters' lookup). */
export function offlineRecordsOf(deps: Pick<DeskDeps, 'store'>): OfflinePaymentRecords {
  return {
    async paidReference(refundId: string): Promise<string | null> {
      const row = await deps.store.db
        .selectFrom('payouts')
        .select(['reference', 'status'])
        .where('id', '=', refundId)
        .executeTakeFirst();
      return row?.status === 'succeeded' ? row.reference : null;
    },
  };
}

export interface OpenPayouts {
  /** For the HTTP app (`providerWebhooks`). */
  readonly verifiers: ProviderWebhookVerifiers;
  /** Starts the delivery, reconciliation and extension loops (stop them before `close`). */
  start(workerId: string, onError?: (error: unknown) => void): RunningPayoutLoops;
  /** Drops the providers' kept-alive connections. */
  close(): void;
}

/**
 * The provider adapters and webhook verifiers for a desk. The adapters (and the Stripe SDK) are
 * loaded here, not when the configuration is read.
 */
export async function openPayouts(config: PayoutsConfig, deps: DeskDeps): Promise<OpenPayouts> {
  const [{ createPayoutProviders }, { providerWebhookVerifiers }, { startPayoutLoops }] =
    await Promise.all([
      import('../payouts/providers/index.js'),
      import('../payouts/provider-webhooks.js'),
      import('../payouts/run.js'),
    ]);
  const providers = createPayoutProviders({
    ...config.providers,
    clock: deps.clock,
    offlineRecords: offlineRecordsOf(deps),
  });
  return {
    verifiers: providerWebhookVerifiers(config.webhooks, providers.paypalClient),
    start: (workerId, onError) =>
      startPayoutLoops(deps, {
        workerId,
        providers,
        ...(config.seller === undefined ? {} : { seller: config.seller }),
        ...(onError === undefined ? {} : { onError }),
      }),
    close: () => providers.close(),
  };
}
