/**
 * Sign-in from a host platform: the platform signs a short-lived HS256 JWT with the shared
 * secret (`DeskDeps.hostTokenSecret`) naming the customer. Claims: `sub` = customer id (must
 * exist), `aud` = "refund-desk", `exp` required, at most 10 minutes after `iat` (when given)
 * and after now. The signature, algorithm and audience are checked by hono/jwt; times against
 * the injected clock.
 */
import { verify } from 'hono/jwt';
import type { Result } from '../../engine/index.js';
import type { AppContext } from '../context.js';
import { createSession } from './sessions.js';
import { findCustomerSummary, type CustomerSignIn } from './sign-in-links.js';

export const HOST_TOKEN_AUDIENCE = 'refund-desk';
export const MAX_HOST_TOKEN_LIFETIME_MS = 10 * 60 * 1000;
/** Allowed difference between the platform's clock and ours. */
export const HOST_TOKEN_CLOCK_SKEW_MS = 30 * 1000;
export const MAX_HOST_TOKEN_CHARS = 4096;

export type HostTokenError = {
  readonly code: 'invalid' | 'expired' | 'too_long_lived' | 'unknown_customer';
  readonly detail: string;
};

function fail(code: HostTokenError['code'], detail: string): { ok: false; error: HostTokenError } {
  return { ok: false, error: { code, detail } };
}

export async function signInWithHostToken(
  ctx: AppContext,
  secret: string,
  token: string,
): Promise<Result<CustomerSignIn, HostTokenError>> {
  if (token.length > MAX_HOST_TOKEN_CHARS) return fail('invalid', 'The token is too long.');
  let payload: Record<string, unknown>;
  try {
    payload = await verify(token, secret, {
      alg: 'HS256',
      aud: HOST_TOKEN_AUDIENCE,
      // Times are checked below against the injected clock.
      exp: false,
      nbf: false,
      iat: false,
    });
  } catch {
    return fail(
      'invalid',
      `The token is not an HS256 JWT signed by the host platform for audience "${HOST_TOKEN_AUDIENCE}".`,
    );
  }
  const nowMs = ctx.clock.nowMs();
  const { sub, exp, iat, nbf } = payload;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) {
    return fail('invalid', 'The token has no exp claim.');
  }
  const expMs = exp * 1000;
  if (expMs <= nowMs - HOST_TOKEN_CLOCK_SKEW_MS) return fail('expired', 'The token has expired.');
  if (typeof nbf === 'number' && nbf * 1000 > nowMs + HOST_TOKEN_CLOCK_SKEW_MS) {
    return fail('invalid', 'The token is not valid yet (nbf).');
  }
  if (
    iat !== undefined &&
    (typeof iat !== 'number' || iat * 1000 > nowMs + HOST_TOKEN_CLOCK_SKEW_MS)
  ) {
    return fail('invalid', 'The token was issued in the future (iat).');
  }
  const startMs = typeof iat === 'number' ? Math.min(iat * 1000, nowMs) : nowMs;
  if (expMs - startMs > MAX_HOST_TOKEN_LIFETIME_MS) {
    return fail(
      'too_long_lived',
      `The token may live at most ${MAX_HOST_TOKEN_LIFETIME_MS / 60_000} minutes (exp - iat).`,
    );
  }
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 200) {
    return fail('invalid', 'The token has no sub claim naming the customer.');
  }
  const customer = await findCustomerSummary(ctx, sub);
  if (customer === undefined) return fail('unknown_customer', 'The token names no known customer.');
  const session = await createSession(ctx, { kind: 'customer', id: customer.id });
  return { ok: true, value: { customer, session } };
}
