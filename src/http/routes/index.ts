/** The case desk's routes, one module per area; each checks the caller's right to the object. */
import type { Hono } from 'hono';
import type { DeskDeps } from '../../app/context.js';
import type { AuthEnv } from '../auth.js';

export function registerDeskRoutes(app: Hono<AuthEnv>, deps: DeskDeps): void {
  // Areas register here: facts, auth, refund requests, audit.
  void app;
  void deps;
}
