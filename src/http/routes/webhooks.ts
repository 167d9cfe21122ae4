/**
 * Outbound webhooks and inbound mail over HTTP:
 *
 * - `POST /v1/webhook-endpoints` registers an endpoint (the secret is answered this once),
 *   `GET /v1/webhook-endpoints` lists them, `PATCH /v1/webhook-endpoints/:id` changes the URL,
 *   description or enabled flag, `GET /v1/webhook-endpoints/:id/deliveries` reads the delivery
 *   log (newest first, every attempt with status code, error and duration): a staff admin or an
 *   API key with the `admin` scope.
 * - `POST /v1/inbound-mail`: the mail provider's inbound webhook (or a relay in front of it)
 *   hands over a reply to case mail as JSON `{from, to, subject, text}`, authenticated with an
 *   API key with `requests:write`. The case is found from the plus address or the subject's
 *   `[case rr_…]` tag (app/notify/settings.ts), the quoted part of the reply is dropped, and the
 *   text answers the case's open question (`answerInfoRequestByEmail`: the sender must be one of
 *   the case's addresses, else 404).
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { Context, Hono } from 'hono';
import { answerInfoRequestByEmail } from '../../app/cases/info.js';
import type { DeskDeps } from '../../app/context.js';
import { caseIdOfReply } from '../../app/notify/settings.js';
import {
  createWebhookEndpoint,
  listDeliveries,
  listWebhookEndpoints,
  newWebhookEndpointSchema,
  updateWebhookEndpoint,
  WEBHOOK_LIMITS,
  webhookEndpointPatchSchema,
  type EndpointError,
  type NewWebhookEndpointBody,
  type WebhookEndpointPatchBody,
} from '../../app/webhooks/endpoints.js';
import { toFieldErrors } from '../../engine/json-schema.js';
import type { AuthEnv } from '../auth.js';
import { ProblemException, requireActor, requireScope } from '../guards.js';
import { limitBody, readJsonBody } from '../media.js';
import { invalidFieldsDetail, methodNotAllowed } from '../problems.js';
import { caseFailure } from './cases.js';

export const MAX_WEBHOOK_BODY_BYTES = 16 * 1024;
/** A reply is a few kilobytes of text; quoted history is dropped. */
export const MAX_INBOUND_MAIL_BYTES = 256 * 1024;
export const INBOUND_MAIL_LIMITS = {
  maxAddressChars: 320,
  maxRecipients: 50,
  maxSubjectChars: 1_000,
  maxTextChars: 200_000,
} as const;

export const inboundMailSchema = {
  title: 'Inbound mail (a reply to case mail)',
  type: 'object',
  properties: {
    from: {
      type: 'string',
      minLength: 3,
      maxLength: INBOUND_MAIL_LIMITS.maxAddressChars,
      description: "the sender's address (a bare address, or `Name <address>`)",
    },
    to: {
      type: 'array',
      minItems: 1,
      maxItems: INBOUND_MAIL_LIMITS.maxRecipients,
      items: { type: 'string', minLength: 1, maxLength: INBOUND_MAIL_LIMITS.maxAddressChars },
    },
    subject: { type: 'string', maxLength: INBOUND_MAIL_LIMITS.maxSubjectChars },
    text: { type: 'string', maxLength: INBOUND_MAIL_LIMITS.maxTextChars },
  },
  required: ['from', 'to', 'subject', 'text'],
  additionalProperties: false,
} as const;
export interface InboundMailBody {
  from: string;
  to: string[];
  subject: string;
  text: string;
}

type Ctx = Context<AuthEnv>;

const ajv = new Ajv2020({ allErrors: true, strict: true, useDefaults: false });
const validateNew = ajv.compile<NewWebhookEndpointBody>(newWebhookEndpointSchema);
const validatePatch = ajv.compile<WebhookEndpointPatchBody>(webhookEndpointPatchSchema);
const validateInbound = ajv.compile<InboundMailBody>(inboundMailSchema);

async function readBody<T>(c: Ctx, validate: ValidateFunction<T>): Promise<T> {
  const body = await readJsonBody(c);
  if (!validate(body)) {
    const errors = toFieldErrors(validate.errors ?? []);
    throw new ProblemException(
      'invalid_request',
      invalidFieldsDetail('request', errors.length),
      errors,
    );
  }
  return body;
}

function failure(error: EndpointError): never {
  throw error.code === 'invalid_request'
    ? new ProblemException('invalid_request', error.detail, error.errors)
    : new ProblemException('not_found', error.detail);
}

function readPage(c: Ctx): { limit: number; after?: string } {
  const limitText = c.req.query('limit');
  const after = c.req.query('after');
  const limit = limitText === undefined ? WEBHOOK_LIMITS.defaultPage : Number(limitText);
  if (!/^\d+$/.test(limitText ?? '1') || limit < 1 || limit > WEBHOOK_LIMITS.maxPage) {
    throw new ProblemException(
      'invalid_request',
      `The query parameter limit must be an integer from 1 to ${WEBHOOK_LIMITS.maxPage}.`,
    );
  }
  if (after !== undefined && (after.length === 0 || after.length > WEBHOOK_LIMITS.maxCursorChars)) {
    throw new ProblemException(
      'invalid_request',
      `The query parameter after must be 1 to ${WEBHOOK_LIMITS.maxCursorChars} characters.`,
    );
  }
  return after === undefined ? { limit } : { limit, after };
}

/** `Ada <ada@example.com>` → `ada@example.com`. */
export function bareAddress(address: string): string {
  const angle = /<([^<>]+)>\s*$/.exec(address);
  return (angle?.[1] ?? address).trim();
}

/**
 * The new part of a reply: everything before the first quoted line (`> …`) or the
 * `On … wrote:` line that introduces the quote.
 */
export function replyText(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const kept: string[] = [];
  for (const line of lines) {
    if (/^\s*>/.test(line) || /^On .+ wrote:\s*$/.test(line.trim())) break;
    kept.push(line);
  }
  return kept.join('\n').trim();
}

export function registerWebhookRoutes(app: Hono<AuthEnv>, deps: DeskDeps): void {
  const base = '/v1/webhook-endpoints';
  const limit = limitBody(MAX_WEBHOOK_BODY_BYTES);

  app.post(base, limit, async (c) => {
    requireScope(c, 'admin');
    const body = await readBody(c, validateNew);
    const created = await createWebhookEndpoint(deps, c.get('origin'), body);
    if (!created.ok) failure(created.error);
    // The secret is shown this once; receivers verify deliveries with it.
    return c.json({ endpoint: created.value }, 201);
  });

  app.get(base, async (c) => {
    requireScope(c, 'admin');
    return c.json({ items: await listWebhookEndpoints(deps.store.db) });
  });

  app.patch(`${base}/:id`, limit, async (c) => {
    requireScope(c, 'admin');
    const body = await readBody(c, validatePatch);
    const updated = await updateWebhookEndpoint(deps, c.get('origin'), c.req.param('id'), body);
    if (!updated.ok) failure(updated.error);
    return c.json({ endpoint: updated.value });
  });

  app.get(`${base}/:id/deliveries`, async (c) => {
    requireScope(c, 'admin');
    const page = await listDeliveries(deps.store.db, c.req.param('id'), readPage(c));
    if (!page.ok) failure(page.error);
    return c.json(page.value);
  });

  app.post('/v1/inbound-mail', limitBody(MAX_INBOUND_MAIL_BYTES), async (c) => {
    const actor = requireActor(c);
    if (!(actor.kind === 'api_key' && actor.scopes.includes('requests:write'))) {
      throw new ProblemException(
        'forbidden',
        'This needs an API key with the requests:write scope.',
      );
    }
    const mail = await readBody(c, validateInbound);
    const caseId = caseIdOfReply({ to: mail.to, subject: mail.subject });
    if (caseId === undefined) {
      throw new ProblemException(
        'not_found',
        'The mail names no case (plus address or [case …] tag).',
      );
    }
    const answered = await answerInfoRequestByEmail(deps, {
      requestId: caseId,
      fromEmail: bareAddress(mail.from),
      text: replyText(mail.text),
    });
    if (!answered.ok) return caseFailure(answered.error);
    return c.json({ caseId, infoRequestId: answered.value.id });
  });

  const allowed: ReadonlyArray<readonly [string, string]> = [
    [base, 'GET, HEAD, POST'],
    [`${base}/:id`, 'PATCH'],
    [`${base}/:id/deliveries`, 'GET, HEAD'],
    ['/v1/inbound-mail', 'POST'],
  ];
  for (const [path, allow] of allowed) app.all(path, methodNotAllowed(allow));
}
