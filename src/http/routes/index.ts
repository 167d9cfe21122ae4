/** The case desk's routes, one module per area; each checks the caller's right to the object. */
import type { Hono } from 'hono';
import type { DeskDeps } from '../../app/context.js';
import type { ProviderWebhookVerifiers } from '../../payouts/provider-webhooks.js';
import type { AuthEnv } from '../auth.js';
import { registerAuditRoutes } from './audit.js';
import { registerAuthRoutes } from './auth.js';
import { registerCaseRoutes } from './cases.js';
import { registerFactRoutes } from './facts.js';
import { registerPayoutRoutes } from './payouts.js';
import { registerProviderWebhookRoutes } from './provider-webhooks.js';
import { registerRequestRoutes } from './requests.js';
import { registerWebhookRoutes } from './webhooks.js';

export function registerDeskRoutes(
  app: Hono<AuthEnv>,
  deps: DeskDeps,
  providerWebhooks: ProviderWebhookVerifiers = {},
): void {
  registerAuthRoutes(app, deps);
  registerRequestRoutes(app, deps);
  registerFactRoutes(app, deps);
  registerAuditRoutes(app, deps);
  registerCaseRoutes(app, deps);
  registerWebhookRoutes(app, deps);
  registerPayoutRoutes(app, deps);
  registerProviderWebhookRoutes(app, deps, providerWebhooks);
}
