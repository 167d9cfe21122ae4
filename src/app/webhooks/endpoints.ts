/**
 * Webhook endpoints (registered by admins) and their delivery log. An endpoint is a URL, a
 * secret (generated when none is given, shown once at creation, used to sign every delivery)
 * and an enabled flag; only enabled endpoints receive deliveries of later case moves. Every
 * change is audited (never the secret).
 */
import type { Kysely } from 'kysely';
import { formatInstant } from '../../domain/time.js';
import type { FieldError, Result } from '../../engine/index.js';
import type { Database, WebhookDeliveryStatus, WebhookEndpointTable } from '../../store/schema.js';
import { appendAudit } from '../audit.js';
import type { DeskDeps, Origin } from '../context.js';
import { newId, newSecret } from '../ids.js';

export const WEBHOOK_LIMITS = {
  maxEndpoints: 50,
  maxUrlChars: 2_000,
  maxDescriptionChars: 200,
  minSecretChars: 32,
  maxSecretChars: 200,
  defaultPage: 50,
  maxPage: 200,
  maxCursorChars: 100,
} as const;

const urlField = {
  type: 'string',
  minLength: 1,
  maxLength: WEBHOOK_LIMITS.maxUrlChars,
  pattern: '^https?://',
  description: 'http or https, without credentials',
} as const;
const descriptionField = {
  type: 'string',
  maxLength: WEBHOOK_LIMITS.maxDescriptionChars,
} as const;

export const newWebhookEndpointSchema = {
  title: 'New webhook endpoint',
  type: 'object',
  properties: {
    url: urlField,
    description: descriptionField,
    secret: {
      type: 'string',
      minLength: WEBHOOK_LIMITS.minSecretChars,
      maxLength: WEBHOOK_LIMITS.maxSecretChars,
      pattern: '^[\\x21-\\x7e]+$',
      description: 'the signing secret; generated (and shown once) when left out',
    },
    enabled: { type: 'boolean', default: true },
  },
  required: ['url'],
  additionalProperties: false,
} as const;
export interface NewWebhookEndpointBody {
  url: string;
  description?: string;
  secret?: string;
  enabled?: boolean;
}

export const webhookEndpointPatchSchema = {
  title: 'Webhook endpoint changes',
  type: 'object',
  properties: { url: urlField, description: descriptionField, enabled: { type: 'boolean' } },
  minProperties: 1,
  additionalProperties: false,
} as const;
export interface WebhookEndpointPatchBody {
  url?: string;
  description?: string;
  enabled?: boolean;
}

export interface WebhookEndpointView {
  readonly id: string;
  readonly url: string;
  readonly description: string;
  readonly enabled: boolean;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export function endpointView(row: WebhookEndpointTable): WebhookEndpointView {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    enabled: row.enabled === 1,
    createdBy: row.createdBy,
    createdAt: formatInstant(row.createdAtMs),
    updatedAt: formatInstant(row.updatedAtMs),
  };
}

export type EndpointError =
  | { readonly code: 'invalid_request'; readonly detail: string; readonly errors: FieldError[] }
  | { readonly code: 'not_found'; readonly detail: string };

/** An http(s) URL without credentials or a fragment; the error names `/url`. */
export function checkEndpointUrl(url: string): FieldError | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { pointer: '/url', message: 'is not a URL' };
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    return { pointer: '/url', message: 'must be http or https' };
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return { pointer: '/url', message: 'must not carry credentials' };
  }
  if (parsed.hash !== '') return { pointer: '/url', message: 'must not have a fragment' };
  return undefined;
}

function invalid(errors: FieldError[]): EndpointError {
  return {
    code: 'invalid_request',
    detail: 'The webhook endpoint is not valid; see errors.',
    errors,
  };
}

function actorRef(origin: Origin): string {
  return `${origin.actor.kind}:${origin.actor.id}`;
}

export async function createWebhookEndpoint(
  deps: DeskDeps,
  origin: Origin,
  body: NewWebhookEndpointBody,
): Promise<Result<WebhookEndpointView & { readonly secret: string }, EndpointError>> {
  const urlError = checkEndpointUrl(body.url);
  if (urlError !== undefined) return { ok: false, error: invalid([urlError]) };
  const nowMs = deps.clock.nowMs();
  const row: WebhookEndpointTable = {
    id: newId('whe', nowMs),
    url: body.url,
    secret: body.secret ?? `whsec_${newSecret()}`,
    description: body.description ?? '',
    enabled: body.enabled === false ? 0 : 1,
    createdBy: actorRef(origin),
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
  };
  return deps.store.db.transaction().execute(async (trx) => {
    const count = await trx
      .selectFrom('webhookEndpoints')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    if (Number(count.n) >= WEBHOOK_LIMITS.maxEndpoints) {
      return {
        ok: false,
        error: invalid([
          { pointer: '', message: `at most ${WEBHOOK_LIMITS.maxEndpoints} endpoints may exist` },
        ]),
      };
    }
    await trx.insertInto('webhookEndpoints').values(row).execute();
    const view = endpointView(row);
    await appendAudit(trx, deps.store.engine, origin, nowMs, {
      action: 'webhook_endpoint.created',
      entityKind: 'webhook_endpoint',
      entityId: row.id,
      after: view,
    });
    return { ok: true, value: { ...view, secret: row.secret } };
  });
}

export async function updateWebhookEndpoint(
  deps: DeskDeps,
  origin: Origin,
  id: string,
  patch: WebhookEndpointPatchBody,
): Promise<Result<WebhookEndpointView, EndpointError>> {
  if (patch.url !== undefined) {
    const urlError = checkEndpointUrl(patch.url);
    if (urlError !== undefined) return { ok: false, error: invalid([urlError]) };
  }
  const nowMs = deps.clock.nowMs();
  return deps.store.db.transaction().execute(async (trx) => {
    let query = trx.selectFrom('webhookEndpoints').selectAll().where('id', '=', id);
    if (deps.store.engine === 'postgres') query = query.forUpdate();
    const before = await query.executeTakeFirst();
    if (before === undefined) {
      return { ok: false, error: { code: 'not_found', detail: `No webhook endpoint ${id}.` } };
    }
    const after: WebhookEndpointTable = {
      ...before,
      ...(patch.url === undefined ? {} : { url: patch.url }),
      ...(patch.description === undefined ? {} : { description: patch.description }),
      ...(patch.enabled === undefined ? {} : { enabled: patch.enabled ? 1 : 0 }),
      updatedAtMs: nowMs,
    };
    await trx
      .updateTable('webhookEndpoints')
      .set({
        url: after.url,
        description: after.description,
        enabled: after.enabled,
        updatedAtMs: nowMs,
      })
      .where('id', '=', id)
      .execute();
    const view = endpointView(after);
    await appendAudit(trx, deps.store.engine, origin, nowMs, {
      action: 'webhook_endpoint.updated',
      entityKind: 'webhook_endpoint',
      entityId: id,
      before: endpointView(before),
      after: view,
    });
    return { ok: true, value: view };
  });
}

export async function listWebhookEndpoints(db: Kysely<Database>): Promise<WebhookEndpointView[]> {
  const rows = await db
    .selectFrom('webhookEndpoints')
    .selectAll()
    .orderBy('createdAtMs')
    .orderBy('id')
    .limit(WEBHOOK_LIMITS.maxEndpoints)
    .execute();
  return rows.map(endpointView);
}

export async function getWebhookEndpoint(
  db: Kysely<Database>,
  id: string,
): Promise<WebhookEndpointView | undefined> {
  const row = await db
    .selectFrom('webhookEndpoints')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  return row === undefined ? undefined : endpointView(row);
}

export interface DeliveryAttemptView {
  readonly attempt: number;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly statusCode: number | null;
  readonly error: string | null;
}

export interface DeliveryView {
  readonly id: string;
  readonly endpointId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly requestId: string;
  readonly status: WebhookDeliveryStatus;
  readonly attempts: number;
  /** When the next attempt is due; null once delivered or given up. */
  readonly nextAttemptAt: string | null;
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly deliveredAt: string | null;
  /** The body posted. */
  readonly payload: unknown;
  /** Every attempt, oldest first. */
  readonly log: readonly DeliveryAttemptView[];
}

export interface DeliveryPage {
  readonly items: readonly DeliveryView[];
  /** Pass as `after` for the next page; null on the last page. */
  readonly next: string | null;
}

function cursorOf(createdAtMs: number, id: string): string {
  return `${createdAtMs}.${id}`;
}

function parseCursor(cursor: string): { createdAtMs: number; id: string } | undefined {
  const match = /^(\d{1,16})\.([A-Za-z0-9_]{1,80})$/.exec(cursor);
  if (match === null) return undefined;
  return { createdAtMs: Number(match[1]), id: match[2] ?? '' };
}

/** A page of an endpoint's deliveries, newest first, each with its attempts. */
export async function listDeliveries(
  db: Kysely<Database>,
  endpointId: string,
  page: { readonly limit: number; readonly after?: string },
): Promise<Result<DeliveryPage, EndpointError>> {
  const endpoint = await getWebhookEndpoint(db, endpointId);
  if (endpoint === undefined) {
    return {
      ok: false,
      error: { code: 'not_found', detail: `No webhook endpoint ${endpointId}.` },
    };
  }
  const limit = Math.min(Math.max(1, page.limit), WEBHOOK_LIMITS.maxPage);
  let query = db
    .selectFrom('webhookDeliveries')
    .selectAll()
    .where('endpointId', '=', endpointId)
    .orderBy('createdAtMs', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1);
  if (page.after !== undefined) {
    const after = parseCursor(page.after);
    if (after === undefined) {
      return {
        ok: false,
        error: invalid([{ pointer: '', message: 'the after cursor is not one this desk gave' }]),
      };
    }
    query = query.where((eb) =>
      eb.or([
        eb('createdAtMs', '<', after.createdAtMs),
        eb.and([eb('createdAtMs', '=', after.createdAtMs), eb('id', '<', after.id)]),
      ]),
    );
  }
  const rows = await query.execute();
  const items = rows.slice(0, limit);
  const attempts =
    items.length === 0
      ? []
      : await db
          .selectFrom('webhookAttempts')
          .selectAll()
          .where(
            'deliveryId',
            'in',
            items.map((row) => row.id),
          )
          .orderBy('deliveryId')
          .orderBy('attempt')
          .execute();
  const last = items[items.length - 1];
  return {
    ok: true,
    value: {
      items: items.map((row) => ({
        id: row.id,
        endpointId: row.endpointId,
        eventId: row.eventId,
        eventType: row.eventType,
        requestId: row.requestId,
        status: row.status,
        attempts: row.attempts,
        nextAttemptAt: row.status === 'queued' ? formatInstant(row.nextAttemptAtMs) : null,
        lastStatusCode: row.lastStatusCode,
        lastError: row.lastError,
        createdAt: formatInstant(row.createdAtMs),
        deliveredAt: row.deliveredAtMs === null ? null : formatInstant(row.deliveredAtMs),
        payload: JSON.parse(row.payloadJson) as unknown,
        log: attempts
          .filter((a) => a.deliveryId === row.id)
          .map((a) => ({
            attempt: a.attempt,
            startedAt: formatInstant(a.startedAtMs),
            durationMs: a.durationMs,
            statusCode: a.statusCode,
            error: a.error,
          })),
      })),
      next: rows.length > limit && last !== undefined ? cursorOf(last.createdAtMs, last.id) : null,
    },
  };
}
