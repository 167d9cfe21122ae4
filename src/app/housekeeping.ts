/**
 * Housekeeping: deletes the short-lived technical rows that can no longer matter, so they do not
 * accumulate forever. The worker runs it every minute (jobs/worker.ts); each call deletes at
 * most `maxRowsPerTable` rows of each table (the oldest first, but for sessions), so one call is
 * short however large a backlog is.
 *
 * - `sessions` that expired or were revoked more than `SESSION_RETENTION_MS` ago (until then a
 *   recent sign-out or expiry can still be matched with its session);
 * - `sign_in_links` created more than `KEEP_LINKS_MS` ago (expired or used long before: links
 *   live 15 minutes, and the per-email rate limit counts the links of the last hour, used or
 *   not, so younger rows stay);
 * - `idempotency_keys` past their retention (`purgeIdempotencyKeys`: finished keys, and keys
 *   abandoned in flight; never a live claim);
 * - `host_token_uses` of tokens refused as expired (`exp` plus the clock skew);
 * - `staff_sign_in_failures` that have left the throttle's window.
 *
 * Each delete takes its batch in a subquery (`… where key in (select key … order by … limit N)`),
 * which runs on both engines; on PostgreSQL the subquery locks with `FOR UPDATE SKIP LOCKED`, so
 * several workers purging at once take disjoint rows instead of waiting for each other, and a
 * row deleted twice is simply not there the second time.
 *
 * No audit entries: these rows are not cases, facts or policies, and deleting them changes no
 * decision; the audit log records changes of those only.
 */
import type { Kysely } from 'kysely';
import type { Engine } from '../store/connect.js';
import { deletePicked } from '../store/purge.js';
import type { Database } from '../store/schema.js';
import { purgeExpiredHostTokenUses } from './auth/host-token.js';
import { KEEP_LINKS_MS } from './auth/sign-in-links.js';
import { purgeExpiredSignInFailures } from './auth/sign-in-throttle.js';
import type { AppContext } from './context.js';
import { purgeIdempotencyKeys } from './idempotency.js';

/** How long a session row is kept after it expired or was revoked. */
export const SESSION_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

export interface HousekeepingLimits {
  /** Rows deleted from each table per call at most. */
  readonly maxRowsPerTable: number;
}

export const HOUSEKEEPING_LIMITS: HousekeepingLimits = { maxRowsPerTable: 500 };

/** Rows deleted by one call, per table. */
export interface PurgeCounts {
  readonly sessions: number;
  readonly signInLinks: number;
  readonly idempotencyKeys: number;
  readonly hostTokenUses: number;
  readonly staffSignInFailures: number;
}

/** Deletes, as of `nowMs`, up to `limits.maxRowsPerTable` rows of each kind (see above). */
export async function purgeExpired(
  ctx: AppContext,
  nowMs: number,
  limits: HousekeepingLimits = HOUSEKEEPING_LIMITS,
): Promise<PurgeCounts> {
  const { maxRowsPerTable } = limits;
  if (!Number.isSafeInteger(maxRowsPerTable) || maxRowsPerTable < 1) {
    throw new RangeError('maxRowsPerTable must be a positive integer');
  }
  const { db, engine } = ctx.store;
  // One statement per table, each its own short transaction: no table waits for another.
  return {
    sessions: await purgeEndedSessions(db, engine, nowMs, maxRowsPerTable),
    signInLinks: await purgeOldSignInLinks(db, engine, nowMs, maxRowsPerTable),
    idempotencyKeys: await purgeIdempotencyKeys(ctx, { nowMs, maxRows: maxRowsPerTable }),
    hostTokenUses: await purgeExpiredHostTokenUses(db, engine, nowMs, maxRowsPerTable),
    staffSignInFailures: await purgeExpiredSignInFailures(db, engine, nowMs, maxRowsPerTable),
  };
}

/** True when some table had at least a full batch to delete (there may be more). */
export function purgedFullBatch(counts: PurgeCounts, limits = HOUSEKEEPING_LIMITS): boolean {
  return Object.values(counts).some((n) => n >= limits.maxRowsPerTable);
}

async function purgeEndedSessions(
  db: Kysely<Database>,
  engine: Engine,
  nowMs: number,
  maxRows: number,
): Promise<number> {
  const cutoffMs = nowMs - SESSION_RETENTION_MS;
  // Two index ranges (sessions_expires, sessions_revoked), in no particular order: ordered by
  // one column, SQLite would walk that whole index looking for rows matched by the other.
  const ended = db
    .selectFrom('sessions')
    .select('tokenHash')
    .where((eb) => eb.or([eb('expiresAtMs', '<=', cutoffMs), eb('revokedAtMs', '<=', cutoffMs)]))
    .limit(maxRows);
  return deletePicked(db, engine, 'sessions', 'tokenHash', ended);
}

async function purgeOldSignInLinks(
  db: Kysely<Database>,
  engine: Engine,
  nowMs: number,
  maxRows: number,
): Promise<number> {
  const old = db
    .selectFrom('signInLinks')
    .select('tokenHash')
    .where('createdAtMs', '<', nowMs - KEEP_LINKS_MS)
    // Always so at that age (links live 15 minutes); said so that no redeemable link goes.
    .where('expiresAtMs', '<=', nowMs)
    .orderBy('createdAtMs')
    .limit(maxRows);
  return deletePicked(db, engine, 'signInLinks', 'tokenHash', old);
}
