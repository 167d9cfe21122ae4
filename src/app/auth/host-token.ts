/**
 * Sign-in from a host platform: the platform signs a short-lived HS256 JWT with the shared
 * secret (`DeskDeps.hostTokenSecret`) naming the customer. Claims: `sub` = customer id (must
 * exist), `aud` = "refund-desk", `exp` required, at most 10 minutes after `iat` (when given)
 * and after now, `jti` required: an id unique to the token (1 to 128 printable ASCII
 * characters). The signature, algorithm and audience are checked by hono/jwt; times against
 * the injected clock.
 *
 * Each token works once, so that one leaked from a URL, a log or a browser history signs nobody
 * in: its first use records the `jti` in `host_token_uses`, whose primary key refuses any later
 * use (`replayed`), two concurrent ones included; the session is created after that record
 * (sessions are not created in a transaction), so a failure in between spends the token and the
 * platform signs a new one. A row is needed only until the token is refused as expired (`exp`
 * plus the clock skew): each sign-in deletes, in the transaction that records its own use, up to
 * `HOST_TOKEN_USES_PURGED_PER_SIGN_IN` rows past that point, so the table holds about the tokens
 * used in the last 10 minutes; the worker's housekeeping deletes the rest when sign-ins stop.
 */
import { verify } from 'hono/jwt';
import type { Kysely } from 'kysely';
import type { Result } from '../../engine/index.js';
import type { Engine } from '../../store/connect.js';
import { deleteOldest } from '../../store/purge.js';
import type { Database, HostTokenUseTable } from '../../store/schema.js';
import type { AppContext } from '../context.js';
import { createSession } from './sessions.js';
import { findCustomerSummary, type CustomerSignIn } from './sign-in-links.js';
import { isUniqueViolation } from './staff.js';

export const HOST_TOKEN_AUDIENCE = 'refund-desk';
export const MAX_HOST_TOKEN_LIFETIME_MS = 10 * 60 * 1000;
/** Allowed difference between the platform's clock and ours. */
export const HOST_TOKEN_CLOCK_SKEW_MS = 30 * 1000;
export const MAX_HOST_TOKEN_CHARS = 4096;
export const MAX_HOST_TOKEN_JTI_CHARS = 128;
/** Rows of expired tokens one sign-in deletes at most (each sign-in adds one). */
export const HOST_TOKEN_USES_PURGED_PER_SIGN_IN = 100;

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

export type HostTokenError = {
  readonly code: 'invalid' | 'expired' | 'too_long_lived' | 'unknown_customer' | 'replayed';
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
  const { sub, exp, iat, nbf, jti } = payload;
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
  if (
    typeof jti !== 'string' ||
    jti.length === 0 ||
    jti.length > MAX_HOST_TOKEN_JTI_CHARS ||
    !PRINTABLE_ASCII.test(jti)
  ) {
    const what = jti === undefined ? 'has no jti claim' : 'has an invalid jti claim';
    return fail(
      'invalid',
      `The token ${what}: each token needs an id of its own (1 to ${MAX_HOST_TOKEN_JTI_CHARS} printable ASCII characters).`,
    );
  }
  const customer = await findCustomerSummary(ctx, sub);
  if (customer === undefined) return fail('unknown_customer', 'The token names no known customer.');
  const firstUse = await recordFirstUse(ctx, {
    jti,
    customerId: customer.id,
    usedAtMs: nowMs,
    expiresAtMs: Math.ceil(expMs),
  });
  if (!firstUse) return fail('replayed', 'This sign-in token has already been used.');
  const session = await createSession(ctx, { kind: 'customer', id: customer.id });
  return { ok: true, value: { customer, session } };
}

/**
 * Records a token's use; false when its jti was used before. The primary key decides, so of
 * two concurrent uses exactly one records. In the same transaction, deletes the oldest rows of
 * tokens refused as expired by now (bounded; concurrent sign-ins on PostgreSQL skip each other's
 * rows instead of waiting for them).
 */
async function recordFirstUse(ctx: AppContext, use: HostTokenUseTable): Promise<boolean> {
  try {
    await ctx.store.db.transaction().execute(async (trx) => {
      await trx.insertInto('hostTokenUses').values(use).execute();
      await purgeExpiredHostTokenUses(
        trx,
        ctx.store.engine,
        use.usedAtMs,
        HOST_TOKEN_USES_PURGED_PER_SIGN_IN,
      );
    });
    return true;
  } catch (error) {
    if (isUniqueViolation(error)) return false;
    throw error;
  }
}

/**
 * Deletes up to `maxRows` rows of tokens refused as expired at `nowMs`, the oldest first;
 * returns how many. Sign-ins call it as they go, the worker's housekeeping every minute
 * (app/housekeeping.ts).
 */
export async function purgeExpiredHostTokenUses(
  db: Kysely<Database>,
  engine: Engine,
  nowMs: number,
  maxRows: number,
): Promise<number> {
  return deleteOldest(db, engine, {
    table: 'hostTokenUses',
    key: 'jti',
    timeColumn: 'expiresAtMs',
    // Expired means before now minus the skew; the integer instant just before it still is.
    atOrBeforeMs: nowMs - HOST_TOKEN_CLOCK_SKEW_MS - 1,
    maxRows,
  });
}
