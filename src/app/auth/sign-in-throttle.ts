/**
 * Staff password sign-in is limited against online guessing, from rows in the database (not
 * memory), so the limit holds across every instance on one PostgreSQL.
 *
 * Every attempt is recorded in `staff_sign_in_failures` before its password is checked, in a
 * short transaction of its own that first counts the email's and the client's recent rows (under
 * advisory locks on PostgreSQL; SQLite has one writer): concurrent guesses cannot all slip in
 * under the limit while their password checks run, and nothing the sign-in does afterwards can
 * roll the row back. A successful sign-in deletes its email's rows; a failed one leaves its row,
 * which is the failure. When the email or the client has reached its limit within the window,
 * the attempt is refused without checking the password and without a row, until the oldest
 * counted failure leaves the window.
 *
 * Each recorded attempt also deletes up to `purgeBatchRows` rows older than the window, so the
 * table holds about one window of attempts however many emails are tried; the worker's
 * housekeeping deletes the rest when attempts stop.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Result } from '../../engine/index.js';
import type { AppContext } from '../context.js';
import type { Engine } from '../../store/connect.js';
import { deleteOldest } from '../../store/purge.js';
import type { Database } from '../../store/schema.js';
import { newId } from '../ids.js';

export const STAFF_SIGN_IN_LIMITS = {
  /** Failures count for this long after they happen. */
  windowMs: 15 * 60 * 1000,
  /** Failed attempts per (normalized) email address within the window; then refused. */
  maxFailuresPerEmail: 5,
  /** Failed attempts per client address (IPv4, or IPv6 /64) within the window; then refused. */
  maxFailuresPerIp: 50,
  /** Expired rows deleted by each recorded attempt (bounds the work of one sign-in). */
  purgeBatchRows: 100,
} as const;

const { windowMs, maxFailuresPerEmail, maxFailuresPerIp, purgeBatchRows } = STAFF_SIGN_IN_LIMITS;

/** Longest client key stored; longer (malformed) addresses are cut. */
const MAX_IP_KEY_CHARS = 64;

/**
 * The client a limit counts against: an IPv4 address (IPv4-mapped IPv6 included), or the /64
 * prefix of an IPv6 address (one host or site holds a whole /64, so counting single IPv6
 * addresses would let it rotate through them); null when the address is unknown.
 */
export function clientKey(ip: string | null): string | null {
  if (ip === null || ip === '') return null;
  const address = ip.replace(/%.*$/, ''); // the zone of a link-local address
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped?.[1] !== undefined && isIPv4(mapped[1])) return mapped[1];
  if (isIPv6(address)) return `${ipv6Groups(address).slice(0, 4).join(':')}::/64`;
  return ip.slice(0, MAX_IP_KEY_CHARS);
}

/** The eight 16-bit groups of a valid IPv6 address, in lower-case hex without leading zeros. */
function ipv6Groups(address: string): string[] {
  const groupsOf = (part: string): string[] =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          if (!group.includes('.')) return [group];
          const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number);
          return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
        });
  const [head = '', tail] = address.toLowerCase().split('::');
  const first = groupsOf(head);
  const last = tail === undefined ? [] : groupsOf(tail);
  const zeros = Array.from({ length: 8 - first.length - last.length }, () => '0');
  return [...first, ...zeros, ...last].map((group) => parseInt(group, 16).toString(16));
}

export type SignInRefusal = { readonly code: 'too_many_attempts'; readonly retryAfterMs: number };

/**
 * The most recent failures of one email or one address in the window, as many as its limit:
 * when there are that many, the attempt is refused until the oldest of them leaves the window.
 */
function recentFailures(
  trx: Transaction<Database>,
  column: 'email' | 'ip',
  value: string,
  sinceMs: number,
  limit: number,
): Promise<{ atMs: number }[]> {
  return trx
    .selectFrom('staffSignInFailures')
    .select('atMs')
    .where(column, '=', value)
    .where('atMs', '>', sinceMs)
    .orderBy('atMs', 'desc')
    .limit(limit)
    .execute();
}

/**
 * Records a sign-in attempt for `email` (normalized) from `ip` (a `clientKey`), or refuses it
 * when either has reached its limit of failures within the window: then `retryAfterMs` is how
 * long until the attempt would be accepted. The row stays as a failure unless the sign-in
 * succeeds and calls `clearSignInFailures`.
 */
export async function recordSignInAttempt(
  ctx: AppContext,
  email: string,
  ip: string | null,
): Promise<Result<void, SignInRefusal>> {
  const nowMs = ctx.clock.nowMs();
  const sinceMs = nowMs - windowMs;
  return ctx.store.db.transaction().execute(async (trx) => {
    if (ctx.store.engine === 'postgres') {
      // Serialise attempts for one email, then one client, across instances: the counts below
      // are exact. Always in this order, so two attempts never wait for each other in a cycle.
      await sql`select pg_advisory_xact_lock(hashtext(${`staff-sign-in:email:${email}`}))`.execute(
        trx,
      );
      if (ip !== null) {
        await sql`select pg_advisory_xact_lock(hashtext(${`staff-sign-in:ip:${ip}`}))`.execute(trx);
      }
    }
    const byEmail = await recentFailures(trx, 'email', email, sinceMs, maxFailuresPerEmail);
    const byIp = ip === null ? [] : await recentFailures(trx, 'ip', ip, sinceMs, maxFailuresPerIp);
    const openAtMs = Math.max(
      byEmail.length >= maxFailuresPerEmail ? (byEmail.at(-1)?.atMs ?? 0) + windowMs : 0,
      byIp.length >= maxFailuresPerIp ? (byIp.at(-1)?.atMs ?? 0) + windowMs : 0,
    );
    if (openAtMs > nowMs) {
      return { ok: false, error: { code: 'too_many_attempts', retryAfterMs: openAtMs - nowMs } };
    }
    await purgeExpiredSignInFailures(trx, ctx.store.engine, nowMs, purgeBatchRows);
    await trx
      .insertInto('staffSignInFailures')
      .values({ id: newId('ssf', nowMs), email, ip, atMs: nowMs })
      .execute();
    return { ok: true, value: undefined };
  });
}

/**
 * Deletes up to `maxRows` attempts that have left the window at `nowMs`, the oldest first;
 * returns how many. Concurrent purges on PostgreSQL skip each other's rows instead of waiting
 * (or deadlocking) for them. Each recorded attempt calls it, and the worker's housekeeping
 * every minute (app/housekeeping.ts).
 */
export async function purgeExpiredSignInFailures(
  db: Kysely<Database>,
  engine: Engine,
  nowMs: number,
  maxRows: number,
): Promise<number> {
  return deleteOldest(db, engine, {
    table: 'staffSignInFailures',
    key: 'id',
    timeColumn: 'atMs',
    atOrBeforeMs: nowMs - windowMs,
    maxRows,
  });
}

/** Forgets the failures of `email` (normalized) after it signed in. */
export async function clearSignInFailures(ctx: AppContext, email: string): Promise<void> {
  await ctx.store.db.deleteFrom('staffSignInFailures').where('email', '=', email).execute();
}
