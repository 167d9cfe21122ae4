/**
 * Idempotency keys: the same key with the same request returns the stored response without
 * doing the work twice; the same key with a different request is refused; a key whose first
 * request is still running is refused too (after a short wait for it to finish). State lives in
 * the database, so several instances share it.
 *
 * A key belongs to a scope (the caller: actor kind and id). The first request inserts an
 * `in_flight` row holding a lock until `lockedUntilMs`; when it finishes the row becomes `done`
 * with the response, or is deleted (5xx: nothing stored, the key may be used again). A row whose
 * lock expired (its instance crashed) is taken over by the next request with the same body.
 * `done` rows older than the retention are forgotten (taken over, and purged by the worker's
 * housekeeping, app/housekeeping.ts).
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExpressionBuilder } from 'kysely';
import type { Database } from '../store/schema.js';
import { canonicalJson } from './audit.js';
import type { AppContext } from './context.js';

export const IDEMPOTENCY_LIMITS = {
  keyMaxChars: 255,
  /** How long a first request may run before another instance may take its key over. */
  lockTtlMs: 60_000,
  /** How long a repeat waits for a running first request before answering 409. */
  inFlightWaitMs: 2_000,
  /** How long a finished key is remembered. */
  retentionMs: 24 * 60 * 60 * 1000,
} as const;

/** Visible ASCII, no spaces. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]+$/;

/** Undefined when `key` is 1..255 visible ASCII characters; else what is wrong with it. */
export function checkIdempotencyKey(key: string): string | undefined {
  if (key.length === 0 || key.length > IDEMPOTENCY_LIMITS.keyMaxChars) {
    return `must be 1 to ${IDEMPOTENCY_LIMITS.keyMaxChars} characters long`;
  }
  return IDEMPOTENCY_KEY_PATTERN.test(key)
    ? undefined
    : 'must be visible ASCII characters only (no spaces)';
}

function essenceOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
}

function boundaryOf(contentType: string): string | undefined {
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

function replaceAll(bytes: Buffer, search: Buffer, replacement: Buffer): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  for (let at = bytes.indexOf(search, from); at >= 0; at = bytes.indexOf(search, from)) {
    parts.push(bytes.subarray(from, at), replacement);
    from = at + search.length;
  }
  parts.push(bytes.subarray(from));
  return Buffer.concat(parts);
}

/**
 * The body in a form that does not depend on how the client wrote it: JSON with its keys
 * sorted (whitespace and key order do not matter); multipart with its boundary replaced by a
 * fixed one (clients pick a random boundary per request); anything else byte for byte.
 */
export function canonicalBody(contentType: string | undefined, body: Uint8Array): Buffer {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const essence = essenceOf(contentType);
  if (essence === 'application/json' || /^application\/[^/]+\+json$/.test(essence)) {
    try {
      return Buffer.from(`json:${canonicalJson(JSON.parse(bytes.toString('utf8')))}`, 'utf8');
    } catch {
      return bytes; // not JSON: the route will refuse it; hash what was sent
    }
  }
  if (essence === 'multipart/form-data' && contentType !== undefined) {
    const boundary = boundaryOf(contentType);
    if (boundary !== undefined) {
      return replaceAll(bytes, Buffer.from(`--${boundary}`), Buffer.from('--idempotency-boundary'));
    }
  }
  return bytes;
}

/** SHA-256 over method, path (with query) and the canonical body. */
export function requestHash(
  method: string,
  pathWithQuery: string,
  contentType: string | undefined,
  body: Uint8Array,
): string {
  return createHash('sha256')
    .update(method.toUpperCase())
    .update('\n')
    .update(pathWithQuery)
    .update('\n')
    .update(canonicalBody(contentType, body))
    .digest('hex');
}

export interface StoredResponse {
  readonly status: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

export type Claim =
  /** Go ahead; finish with `completeKey` or `releaseKey`, passing `lockedUntilMs`. */
  | { readonly kind: 'claimed'; readonly lockedUntilMs: number }
  | { readonly kind: 'replay'; readonly response: StoredResponse }
  | { readonly kind: 'reused' }
  | { readonly kind: 'in_flight' };

export interface ClaimOptions {
  readonly lockTtlMs?: number;
  readonly inFlightWaitMs?: number;
  readonly retentionMs?: number;
}

const POLL_MS = 10;
const MAX_POLL_MS = 100;

/**
 * Claims `key` in `scope` for a request with `hash`. While another request holds the key, polls
 * for up to `inFlightWaitMs` (real time) for it to finish and then replays its response.
 */
export async function claimKey(
  ctx: AppContext,
  scope: string,
  key: string,
  hash: string,
  options: ClaimOptions = {},
): Promise<Claim> {
  const lockTtlMs = options.lockTtlMs ?? IDEMPOTENCY_LIMITS.lockTtlMs;
  const retentionMs = options.retentionMs ?? IDEMPOTENCY_LIMITS.retentionMs;
  let waitLeftMs = options.inFlightWaitMs ?? IDEMPOTENCY_LIMITS.inFlightWaitMs;
  let pollMs = POLL_MS;
  const db = ctx.store.db;
  for (;;) {
    const nowMs = ctx.clock.nowMs();
    const lockedUntilMs = nowMs + lockTtlMs;
    // A claim: this request's hash, in flight under a lock until lockedUntilMs, no response.
    const claim = {
      requestHash: hash,
      state: 'in_flight',
      responseStatus: null,
      responseBody: null,
      responseHeadersJson: null,
      createdAtMs: nowMs,
      lockedUntilMs,
    } as const;
    const inserted = await db
      .insertInto('idempotencyKeys')
      .values({ scope, key, ...claim })
      .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1) {
      return { kind: 'claimed', lockedUntilMs };
    }
    const row = await db
      .selectFrom('idempotencyKeys')
      .selectAll()
      .where('scope', '=', scope)
      .where('key', '=', key)
      .executeTakeFirst();
    if (row === undefined) continue; // released meanwhile: try to insert again

    const forgotten = row.state === 'done' && row.createdAtMs + retentionMs <= nowMs;
    const abandoned = row.state === 'in_flight' && row.lockedUntilMs <= nowMs;
    if (!forgotten && row.requestHash !== hash) return { kind: 'reused' };
    if (forgotten || abandoned) {
      // Compare-and-set on what we read: of several takers, exactly one wins.
      const taken = await db
        .updateTable('idempotencyKeys')
        .set(claim)
        .where('scope', '=', scope)
        .where('key', '=', key)
        .where('state', '=', row.state)
        .where('createdAtMs', '=', row.createdAtMs)
        .where('lockedUntilMs', '=', row.lockedUntilMs)
        .executeTakeFirst();
      if (taken.numUpdatedRows === 1n) return { kind: 'claimed', lockedUntilMs };
      continue;
    }
    if (row.state === 'done') {
      return {
        kind: 'replay',
        response: {
          status: row.responseStatus ?? 200,
          body: row.responseBody ?? '',
          headers: JSON.parse(row.responseHeadersJson ?? '{}') as Record<string, string>,
        },
      };
    }
    if (waitLeftMs <= 0) return { kind: 'in_flight' };
    const delayMs = Math.min(pollMs, waitLeftMs);
    await sleep(delayMs);
    waitLeftMs -= delayMs;
    pollMs = Math.min(pollMs * 2, MAX_POLL_MS);
  }
}

/** The row of a key this request claimed, as long as nobody took it over (lock unchanged). */
function heldClaim(scope: string, key: string, lockedUntilMs: number) {
  return { scope, key, state: 'in_flight', lockedUntilMs } as const;
}

/** Stores the response of a claimed key (unless another instance took the key over). */
export async function completeKey(
  ctx: AppContext,
  scope: string,
  key: string,
  lockedUntilMs: number,
  response: StoredResponse,
): Promise<void> {
  await ctx.store.db
    .updateTable('idempotencyKeys')
    .set({
      state: 'done',
      responseStatus: response.status,
      responseBody: response.body,
      responseHeadersJson: JSON.stringify(response.headers),
    })
    .where((eb) => eb.and(heldClaim(scope, key, lockedUntilMs)))
    .execute();
}

/** Forgets a claimed key (the request failed with a server error): it may be used again. */
export async function releaseKey(
  ctx: AppContext,
  scope: string,
  key: string,
  lockedUntilMs: number,
): Promise<void> {
  await ctx.store.db
    .deleteFrom('idempotencyKeys')
    .where((eb) => eb.and(heldClaim(scope, key, lockedUntilMs)))
    .execute();
}

export interface PurgeKeysOptions {
  readonly nowMs: number;
  /** Rows deleted at most (the oldest first). */
  readonly maxRows: number;
  readonly retentionMs?: number;
}

/**
 * Deletes up to `maxRows` keys that `claimKey` no longer honours: finished keys older than the
 * retention, and keys left in flight whose lock ran out longer than the retention ago (an
 * abandoned key is kept as long as a finished one, so that another body under it is still
 * refused; a live or recently abandoned claim is never deleted). Returns how many. A request
 * taking a key over at the same moment either finds it gone and claims it afresh, or has renewed
 * it first and it stays (the delete re-checks the condition). Concurrent purges on PostgreSQL
 * skip each other's rows instead of waiting for them. The worker's housekeeping calls this
 * (app/housekeeping.ts).
 */
export async function purgeIdempotencyKeys(
  ctx: AppContext,
  options: PurgeKeysOptions,
): Promise<number> {
  const cutoffMs = options.nowMs - (options.retentionMs ?? IDEMPOTENCY_LIMITS.retentionMs);
  // An in-flight key's lock ends after its creation, so both kinds are older than the cutoff:
  // the first term reads an index range (idempotency_keys_created).
  const forgotten = (eb: ExpressionBuilder<Database, 'idempotencyKeys'>) =>
    eb.and([
      eb('createdAtMs', '<=', cutoffMs),
      eb.or([eb('state', '=', 'done'), eb('lockedUntilMs', '<=', cutoffMs)]),
    ]);
  const db = ctx.store.db;
  let oldest = db
    .selectFrom('idempotencyKeys')
    .select(['scope', 'key'])
    .where(forgotten)
    .orderBy('createdAtMs')
    .limit(options.maxRows);
  if (ctx.store.engine === 'postgres') oldest = oldest.forUpdate().skipLocked();
  const result = await db
    .deleteFrom('idempotencyKeys')
    .where((eb) => eb(eb.refTuple('scope', 'key'), 'in', oldest.$asTuple('scope', 'key')))
    .where(forgotten)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
