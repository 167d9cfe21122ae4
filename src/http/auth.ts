/**
 * Who is calling: a staff or customer session cookie, or an API key in
 * `Authorization: Bearer rdk_…`. Sets `c.var.actor` (undefined when anonymous) and
 * `c.var.origin` for the audit log. Routes then check the caller's right to the exact object.
 */
import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Actor, AppContext, Origin } from '../app/context.js';
import { resolveApiKey } from '../app/auth/api-keys.js';
import { SESSION_COOKIE, resolveSession } from '../app/auth/sessions.js';

export interface AuthEnv {
  Variables: {
    actor: Actor | undefined;
    origin: Origin;
  };
}

function clientIp(c: Parameters<MiddlewareHandler>[0]): string | null {
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    return null; // not served by @hono/node-server (in-process tests)
  }
}

export function authenticate(ctx: AppContext): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    let actor: Actor | undefined;
    const authorization = c.req.header('authorization');
    if (authorization?.startsWith('Bearer ') === true) {
      actor = await resolveApiKey(ctx, authorization.slice('Bearer '.length).trim());
    } else {
      const token = getCookie(c, SESSION_COOKIE);
      if (token !== undefined) actor = await resolveSession(ctx, token);
    }
    c.set('actor', actor);
    c.set('origin', { actor: actor ?? { kind: 'system', id: 'anonymous' }, ip: clientIp(c) });
    await next();
  };
}
