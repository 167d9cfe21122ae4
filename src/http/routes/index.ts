/** The case desk's routes, one module per area; each checks the caller's right to the object. */
import type { Hono } from 'hono';
import type { DeskDeps } from '../../app/context.js';
import type { AuthEnv } from '../auth.js';
import { registerAuditRoutes } from './audit.js';
import { registerAuthRoutes } from './auth.js';
import { registerFactRoutes } from './facts.js';
import { registerRequestRoutes } from './requests.js';

export function registerDeskRoutes(app: Hono<AuthEnv>, deps: DeskDeps): void {
  registerAuthRoutes(app, deps);
  registerRequestRoutes(app, deps);
  registerFactRoutes(app, deps);
  registerAuditRoutes(app, deps);
}
