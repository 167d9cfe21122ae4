/**
 * API keys for systems (the seller's billing system feeding facts, integrations):
 * `rdk_<prefix>_<secret>`, stored hashed, scoped, revocable.
 */
import { randomBytes } from 'node:crypto';
import type { Actor, AppContext, Origin } from '../context.js';
import { appendAudit } from '../audit.js';
import { newId } from '../ids.js';
import { safeEqualHex, sha256Hex } from './tokens.js';

export const API_KEY_SCOPES = [
  'facts:write',
  'facts:read',
  'requests:read',
  'requests:write',
  'decisions:write',
  'admin',
] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export interface NewApiKey {
  readonly id: string;
  /** The whole key; shown once, never stored. */
  readonly key: string;
}

/** `rdk_<12 lower-case letters and digits>_<43 base64url characters>`. */
export const API_KEY_PATTERN = /^rdk_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

export async function createApiKey(
  ctx: AppContext,
  origin: Origin,
  input: { readonly name: string; readonly scopes: readonly ApiKeyScope[] },
): Promise<NewApiKey> {
  const nowMs = ctx.clock.nowMs();
  const prefix = randomBytes(9)
    .toString('base64url')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '0')
    .slice(0, 12);
  const secret = randomBytes(32).toString('base64url');
  const id = newId('key', nowMs);
  await ctx.store.db.transaction().execute(async (trx) => {
    const row = {
      id,
      name: input.name,
      prefix,
      secretHash: sha256Hex(secret),
      scopesJson: JSON.stringify([...input.scopes].sort()),
      createdAtMs: nowMs,
      createdBy: `${origin.actor.kind}:${origin.actor.id}`,
      revokedAtMs: null,
    };
    await trx.insertInto('apiKeys').values(row).execute();
    await appendAudit(trx, ctx.store.engine, origin, nowMs, {
      action: 'api_key.created',
      entityKind: 'api_key',
      entityId: id,
      after: { name: row.name, prefix, scopes: input.scopes },
    });
  });
  return { id, key: `rdk_${prefix}_${secret}` };
}

export async function resolveApiKey(ctx: AppContext, key: string): Promise<Actor | undefined> {
  const match = API_KEY_PATTERN.exec(key);
  if (match === null) return undefined;
  const [, prefix = '', secret = ''] = match;
  const row = await ctx.store.db
    .selectFrom('apiKeys')
    .selectAll()
    .where('prefix', '=', prefix)
    .executeTakeFirst();
  if (row === undefined || row.revokedAtMs !== null) return undefined;
  if (!safeEqualHex(row.secretHash, sha256Hex(secret))) return undefined;
  return { kind: 'api_key', id: row.id, scopes: JSON.parse(row.scopesJson) as string[] };
}

export async function revokeApiKey(ctx: AppContext, origin: Origin, id: string): Promise<boolean> {
  const nowMs = ctx.clock.nowMs();
  return ctx.store.db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable('apiKeys')
      .set({ revokedAtMs: nowMs })
      .where('id', '=', id)
      .where('revokedAtMs', 'is', null)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) return false;
    await appendAudit(trx, ctx.store.engine, origin, nowMs, {
      action: 'api_key.revoked',
      entityKind: 'api_key',
      entityId: id,
    });
    return true;
  });
}

/** An API key as people see it: never the secret or its digest. */
export interface ApiKeyInfo {
  readonly id: string;
  readonly name: string;
  /** The `<prefix>` of `rdk_<prefix>_…`, to tell keys apart. */
  readonly prefix: string;
  readonly scopes: readonly string[];
  readonly createdAtMs: number;
  /** `staff:<id>`, `api_key:<id>` or `system:<id>`. */
  readonly createdBy: string;
  readonly revokedAtMs: number | null;
}

export const MAX_API_KEY_NAME_CHARS = 100;
export const MAX_API_KEY_PAGE = 200;

const INFO_COLUMNS = [
  'id',
  'name',
  'prefix',
  'scopesJson',
  'createdAtMs',
  'createdBy',
  'revokedAtMs',
] as const;

function toInfo(row: {
  id: string;
  name: string;
  prefix: string;
  scopesJson: string;
  createdAtMs: number;
  createdBy: string;
  revokedAtMs: number | null;
}): ApiKeyInfo {
  const { scopesJson, ...rest } = row;
  return { ...rest, scopes: JSON.parse(scopesJson) as string[] };
}

export async function getApiKey(ctx: AppContext, id: string): Promise<ApiKeyInfo | undefined> {
  const row = await ctx.store.db
    .selectFrom('apiKeys')
    .select(INFO_COLUMNS)
    .where('id', '=', id)
    .executeTakeFirst();
  return row === undefined ? undefined : toInfo(row);
}

/** Keys in id (creation) order, `limit` (1…200) at a time after the id `after`. */
export async function listApiKeys(
  ctx: AppContext,
  page: { readonly limit: number; readonly after?: string },
): Promise<{ readonly items: readonly ApiKeyInfo[]; readonly next: string | null }> {
  const limit = Math.min(Math.max(1, Math.trunc(page.limit)), MAX_API_KEY_PAGE);
  let query = ctx.store.db
    .selectFrom('apiKeys')
    .select(INFO_COLUMNS)
    .orderBy('id')
    .limit(limit + 1);
  if (page.after !== undefined) query = query.where('id', '>', page.after);
  const rows = await query.execute();
  const items = rows.slice(0, limit).map(toInfo);
  return { items, next: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
}
