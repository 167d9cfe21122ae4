/**
 * Keyset pages: a list is read `limit` rows at a time after the last row's (sort key, id); the
 * cursor the API hands out is that pair, base64url. Parsing names the bad query parameter.
 */
import type { FieldError } from '../engine/index.js';

/** Where the next page starts: after the row with this sort key and id. */
export interface PageKey {
  readonly key: number;
  readonly id: string;
}

export interface PageParams {
  readonly limit: number;
  readonly after: PageKey | undefined;
}

export interface PageLimits {
  readonly defaultLimit: number;
  readonly maxLimit: number;
}

const CURSOR = /^([0-9]{1,16}):([A-Za-z0-9_]{1,64})$/;

export function encodeCursor(key: number, id: string): string {
  return Buffer.from(`${key}:${id}`, 'utf8').toString('base64url');
}

/** Reads `limit` and `cursor`; problems are pushed onto `errors`, pointing at the parameter. */
export function parsePageParams(
  params: { readonly limit?: string | undefined; readonly cursor?: string | undefined },
  limits: PageLimits,
  errors: FieldError[],
): PageParams {
  let limit = limits.defaultLimit;
  if (params.limit !== undefined) {
    limit = /^[0-9]{1,3}$/.test(params.limit) ? Number(params.limit) : Number.NaN;
    if (!(limit >= 1 && limit <= limits.maxLimit)) {
      errors.push({
        pointer: '/limit',
        message: `must be a whole number from 1 to ${limits.maxLimit}`,
      });
    }
  }
  let after: PageKey | undefined;
  if (params.cursor !== undefined) {
    const match = CURSOR.exec(Buffer.from(params.cursor, 'base64url').toString('utf8'));
    if (match === null || Buffer.from(match[0], 'utf8').toString('base64url') !== params.cursor) {
      errors.push({ pointer: '/cursor', message: 'must be a nextCursor this API returned' });
    } else {
      after = { key: Number(match[1]), id: match[2] ?? '' };
    }
  }
  return { limit, after };
}
