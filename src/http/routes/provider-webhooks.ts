/**
 * Payment provider webhooks: `POST /v1/provider-webhooks/stripe` and
 * `POST /v1/provider-webhooks/paypal` (one route, `/v1/provider-webhooks/{provider}`; another
 * name is 404). No session: the provider's signature is the
 * authentication. The raw body is read as received (never re-serialised: the signature covers
 * those bytes), verified by the provider's verifier (src/payouts/provider-webhooks.ts, handed in
 * by the composition root), then applied once (`applyProviderEvent`: de-duplicated by the
 * provider's event id, forward only).
 *
 * 200 `{eventId, result}` for every verified event, a duplicate included (so the provider stops
 * redelivering); 400 `webhook_rejected` for a missing, forged or stale signature or an
 * unreadable event; 503 `provider_unavailable` when the provider's verification service did not
 * answer, or when this desk has no secret configured for that provider (the provider
 * redelivers later either way).
 */
import type { Hono } from 'hono';
import type { DeskDeps } from '../../app/context.js';
import { applyProviderEvent } from '../../app/payouts/webhooks.js';
import type { ProviderWebhookVerifiers, WebhookProvider } from '../../payouts/provider-webhooks.js';
import { MAX_WEBHOOK_BODY_BYTES } from '../../payouts/providers/webhook-result.js';
import type { AuthEnv } from '../auth.js';
import { limitBody, readBodyBytes } from '../media.js';
import { methodNotAllowed, problem, problemResponse } from '../problems.js';

export const MAX_PROVIDER_WEBHOOK_BYTES = MAX_WEBHOOK_BODY_BYTES;

/** The providers with webhooks, and their names in messages. */
export const PROVIDER_WEBHOOK_ROUTES: Readonly<Record<WebhookProvider, string>> = {
  stripe: 'Stripe',
  paypal: 'PayPal',
};

/** Where each provider's secret comes from, for the "not configured" answer. */
const SETTING: Readonly<Record<WebhookProvider, string>> = {
  stripe: 'STRIPE_WEBHOOK_SECRET',
  paypal: 'PAYPAL_WEBHOOK_ID with PAYPAL_CLIENT_ID and PAYPAL_CLIENT_SECRET',
};

export const PROVIDER_WEBHOOK_PATH = '/v1/provider-webhooks/:provider';

function isProvider(name: string): name is WebhookProvider {
  return Object.hasOwn(PROVIDER_WEBHOOK_ROUTES, name);
}

export function registerProviderWebhookRoutes(
  app: Hono<AuthEnv>,
  deps: DeskDeps,
  verifiers: ProviderWebhookVerifiers,
): void {
  app.post(PROVIDER_WEBHOOK_PATH, limitBody(MAX_PROVIDER_WEBHOOK_BYTES), async (c) => {
    const provider = c.req.param('provider');
    if (!isProvider(provider)) {
      return problemResponse(problem('not_found', `No webhooks for a provider named ${provider}.`));
    }
    const name = PROVIDER_WEBHOOK_ROUTES[provider];
    const verify = verifiers[provider];
    if (verify === undefined) {
      return problemResponse(
        problem(
          'provider_unavailable',
          `${name} webhooks are not configured on this desk (${SETTING[provider]}).`,
        ),
      );
    }
    const raw = (await readBodyBytes(c, MAX_PROVIDER_WEBHOOK_BYTES)).toString('utf8');
    const verified = await verify(raw, (header) => c.req.header(header), deps.clock.nowMs());
    if (!verified.ok) {
      const { kind, message } = verified.error;
      return problemResponse(
        problem(
          kind === 'unavailable' ? 'provider_unavailable' : 'webhook_rejected',
          `${name} webhook refused (${kind}): ${message.slice(0, 300)}`,
        ),
      );
    }
    const result = await applyProviderEvent(deps, verified.value);
    return c.json({ eventId: verified.value.eventId, result });
  });
  app.all(PROVIDER_WEBHOOK_PATH, methodNotAllowed('POST'));
}
