/**
 * The `Idempotency-Key` header on every POST under /v1 (mount after `authenticate`):
 * - no header: nothing changes;
 * - an anonymous caller: the header is ignored (there is no caller to scope the key to, and a
 *   shared anonymous scope would let one caller replay another's response);
 * - a key that is not 1..255 visible ASCII characters: 400 `invalid_idempotency_key`;
 * - otherwise the key is scoped to the caller (actor kind and id), the request hashed (method,
 *   path with query, canonical body; see app/idempotency.ts) and:
 *   first use → the route runs and its response is stored (5xx is not stored: the key is
 *   released); the same key and request again → the stored status, body and content type with
 *   `Idempotent-Replayed: true`, without running the route; the same key with another request →
 *   422 `idempotency_key_reused`; the first request still running → the repeat waits briefly for
 *   it and replays it, or answers 409 `idempotency_key_in_flight`.
 *
 * The body is read here (to hash it) with its own size limit, then handed on unchanged.
 * Mounting it twice on a request is harmless: the second instance steps aside.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { AppContext } from '../app/context.js';
import {
  checkIdempotencyKey,
  claimKey,
  completeKey,
  releaseKey,
  requestHash,
  type ClaimOptions,
} from '../app/idempotency.js';
import type { AuthEnv } from './auth.js';
import { problem, problemResponse } from './problems.js';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'idempotent-replayed';
/** Larger than any POST body the desk accepts (evidence uploads: 25 MiB of files and a request). */
export const DEFAULT_IDEMPOTENT_MAX_BODY_BYTES = 27 * 1024 * 1024;
/** Response headers stored with the body and replayed. Never cookies. */
const REPLAYED_HEADERS = ['content-type', 'location', 'content-language'] as const;

export interface IdempotencyOptions extends ClaimOptions {
  readonly maxBodyBytes?: number;
}

const handled = new WeakSet<Context>();

async function readBody(request: Request, maxBytes: number): Promise<Uint8Array | undefined> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) return undefined;
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

export function idempotency(
  ctx: AppContext,
  options: IdempotencyOptions = {},
): MiddlewareHandler<AuthEnv> {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_IDEMPOTENT_MAX_BODY_BYTES;
  return async (c, next) => {
    if (c.req.method !== 'POST' || handled.has(c)) return next();
    handled.add(c);
    const key = c.req.header(IDEMPOTENCY_HEADER);
    const actor = c.get('actor');
    if (key === undefined || actor === undefined || actor.kind === 'system') return next();

    const wrong = checkIdempotencyKey(key);
    if (wrong !== undefined) {
      return problemResponse(
        problem('invalid_idempotency_key', `The Idempotency-Key header ${wrong}.`),
      );
    }
    const body = await readBody(c.req.raw, maxBodyBytes);
    if (body === undefined) {
      return problemResponse(
        problem('payload_too_large', `The request body must be at most ${maxBodyBytes} bytes.`),
      );
    }
    // The stream is spent: hand the routes a request with the same body.
    c.req.raw = new Request(c.req.raw, { body });
    const url = new URL(c.req.url);
    const hash = requestHash('POST', url.pathname + url.search, c.req.header('content-type'), body);
    const scope = `${actor.kind}:${actor.id}`;

    const claim = await claimKey(ctx, scope, key, hash, options);
    switch (claim.kind) {
      case 'reused':
        return problemResponse(
          problem(
            'idempotency_key_reused',
            'This Idempotency-Key was already used with a different request; use a new key for a new request.',
          ),
        );
      case 'in_flight':
        return problemResponse(
          problem(
            'idempotency_key_in_flight',
            'A request with this Idempotency-Key is still being processed; retry later.',
          ),
          { 'retry-after': '1' },
        );
      case 'replay':
        return new Response(claim.response.body, {
          status: claim.response.status,
          headers: { ...claim.response.headers, [REPLAYED_HEADER]: 'true' },
        });
      case 'claimed':
        break;
    }

    try {
      await next();
    } catch (error) {
      await releaseKey(ctx, scope, key, claim.lockedUntilMs);
      throw error;
    }
    const response = c.res;
    if (response.status >= 500) {
      await releaseKey(ctx, scope, key, claim.lockedUntilMs);
      return;
    }
    const headers: Record<string, string> = {};
    for (const name of REPLAYED_HEADERS) {
      const value = response.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    const text = await response.clone().text();
    await completeKey(ctx, scope, key, claim.lockedUntilMs, {
      status: response.status,
      body: text,
      headers,
    });
  };
}
