/**
 * Outbound webhook endpoints, their delivery log, and inbound mail (routes/webhooks.ts) for the
 * OpenAPI document: request bodies are the schemas the routes validate with, responses the
 * views of app/webhooks (closed objects, every field required).
 */
import {
  newWebhookEndpointSchema,
  WEBHOOK_LIMITS,
  webhookEndpointPatchSchema,
} from '../app/webhooks/endpoints.js';
import { CASE_EVENTS, CASE_STATES } from '../domain/case-state.js';
import {
  asComponent,
  jsonContent,
  limitParameter,
  record,
  ref,
  type Json,
  type Route,
  type Security,
} from './openapi-kit.js';
import type { ProblemCode } from './problems.js';
import {
  inboundMailSchema,
  MAX_INBOUND_MAIL_BYTES,
  MAX_WEBHOOK_BODY_BYTES,
} from './routes/webhooks.js';

const instant: Json = { type: 'string', format: 'date-time', description: 'RFC 3339 in UTC' };
const nullableInstant: Json = { oneOf: [instant, { type: 'null' }] };
const text: Json = { type: 'string' };
const nullableText: Json = { type: ['string', 'null'] };
const nullableStatus: Json = { type: ['integer', 'null'], minimum: 100, maximum: 599 };

const endpoint = {
  id: text,
  url: text,
  description: text,
  enabled: { type: 'boolean' },
  createdBy: { type: 'string', description: 'staff:<id> or api_key:<id>' },
  createdAt: instant,
  updatedAt: instant,
} as const;

export const WEBHOOK_VIEW_SCHEMAS: Readonly<Record<string, Json>> = {
  WebhookEndpoint: record(endpoint),
  CreatedWebhookEndpoint: record({
    endpoint: record(
      {
        ...endpoint,
        secret: {
          type: 'string',
          description: 'the signing secret, shown this once; verify deliveries with it',
        },
      },
      'The endpoint with its secret',
    ),
  }),
  WebhookEndpointEnvelope: record({ endpoint: ref('WebhookEndpoint') }),
  WebhookEndpointList: record({ items: { type: 'array', items: ref('WebhookEndpoint') } }),
  CaseStateChangedEvent: record(
    {
      id: { type: 'string', description: 'the event id; the same for every endpoint' },
      type: { const: 'case.state_changed' },
      createdAt: instant,
      data: record({
        requestId: text,
        from: { oneOf: [{ enum: [...CASE_STATES] }, { type: 'null' }] },
        to: { enum: [...CASE_STATES] },
        event: { enum: [...CASE_EVENTS] },
        seq: { type: 'integer', minimum: 1 },
      }),
    },
    'The body POSTed to an endpoint (signed: Refund-Desk-Signature)',
  ),
  WebhookDelivery: record({
    id: { type: 'string', description: 'sent as Refund-Desk-Delivery' },
    endpointId: text,
    eventId: text,
    eventType: { enum: ['case.state_changed'] },
    requestId: text,
    status: { enum: ['queued', 'delivered', 'failed'] },
    attempts: { type: 'integer', minimum: 0 },
    nextAttemptAt: nullableInstant,
    lastStatusCode: nullableStatus,
    lastError: nullableText,
    createdAt: instant,
    deliveredAt: nullableInstant,
    payload: ref('CaseStateChangedEvent'),
    log: {
      type: 'array',
      items: record({
        attempt: { type: 'integer', minimum: 1 },
        startedAt: instant,
        durationMs: { type: 'integer', minimum: 0 },
        statusCode: nullableStatus,
        error: nullableText,
      }),
    },
  }),
  WebhookDeliveryPage: record({
    items: { type: 'array', items: ref('WebhookDelivery') },
    next: {
      type: ['string', 'null'],
      description: 'pass as `after` for the next page; null on the last page',
    },
  }),
  InboundMailAccepted: record({ caseId: text, infoRequestId: text }),
};

export function webhookBodySchemas(): Record<string, Json> {
  return {
    NewWebhookEndpoint: asComponent(newWebhookEndpointSchema, 'NewWebhookEndpoint'),
    WebhookEndpointPatch: asComponent(webhookEndpointPatchSchema, 'WebhookEndpointPatch'),
    InboundMail: asComponent(inboundMailSchema, 'InboundMail'),
  };
}

const ADMIN: Security = [{ session: ['staff:admin'] }, { apiKey: ['admin'] }];
const GUARDED: readonly ProblemCode[] = ['unauthorized', 'forbidden'];
const JSON_BODY: readonly ProblemCode[] = [
  'unsupported_media_type',
  'invalid_json',
  'invalid_request',
  'payload_too_large',
];

function body(component: string, maxBytes: number): Json {
  return {
    required: true,
    description: `JSON, at most ${maxBytes} bytes.`,
    content: jsonContent(ref(component)),
  };
}

function ok(description: string, component: string): Json {
  return { description, content: jsonContent(ref(component)) };
}

export function webhookRoutes(): Route[] {
  const tags = ['webhooks'];
  const base = '/v1/webhook-endpoints';
  return [
    {
      method: 'post',
      path: base,
      spec: {
        operationId: 'createWebhookEndpoint',
        summary: 'Register a webhook endpoint (its secret is shown once)',
        description:
          'Every later case move is POSTed to each enabled endpoint as a CaseStateChangedEvent, ' +
          'signed with the header `Refund-Desk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(' +
          'secret, t + "." + body)>`, with `Refund-Desk-Delivery` (the delivery id) and ' +
          '`Refund-Desk-Event` (the event id). A 2xx answer delivers; anything else is retried ' +
          'with exponential back-off. Verify with `verifyWebhook` (refund-desk package).',
        tags,
        security: ADMIN,
        requestBody: body('NewWebhookEndpoint', MAX_WEBHOOK_BODY_BYTES),
        responses: { '201': ok('Registered', 'CreatedWebhookEndpoint') },
        problems: [...GUARDED, ...JSON_BODY],
      },
    },
    {
      method: 'get',
      path: base,
      spec: {
        operationId: 'listWebhookEndpoints',
        summary: 'List webhook endpoints (never their secrets)',
        tags,
        security: ADMIN,
        responses: { '200': ok('The endpoints', 'WebhookEndpointList') },
        problems: GUARDED,
      },
    },
    {
      method: 'patch',
      path: `${base}/{id}`,
      spec: {
        operationId: 'updateWebhookEndpoint',
        summary: 'Change the URL, description or enabled flag of an endpoint',
        tags,
        security: ADMIN,
        requestBody: body('WebhookEndpointPatch', MAX_WEBHOOK_BODY_BYTES),
        responses: { '200': ok('The endpoint', 'WebhookEndpointEnvelope') },
        problems: [...GUARDED, ...JSON_BODY, 'not_found'],
      },
    },
    {
      method: 'get',
      path: `${base}/{id}/deliveries`,
      spec: {
        operationId: 'listWebhookDeliveries',
        summary: 'The delivery log of an endpoint, newest first, with every attempt',
        tags,
        security: ADMIN,
        parameters: [
          limitParameter({
            defaultLimit: WEBHOOK_LIMITS.defaultPage,
            maxLimit: WEBHOOK_LIMITS.maxPage,
          }),
          {
            name: 'after',
            in: 'query',
            required: false,
            description: 'the `next` of the previous page',
            schema: { type: 'string', minLength: 1, maxLength: WEBHOOK_LIMITS.maxCursorChars },
          },
        ],
        responses: { '200': ok('A page of deliveries', 'WebhookDeliveryPage') },
        problems: [...GUARDED, 'invalid_request', 'not_found'],
      },
    },
    {
      method: 'post',
      path: '/v1/inbound-mail',
      spec: {
        operationId: 'receiveInboundMail',
        summary: "A customer's reply to case mail, from the mail provider's inbound webhook",
        description:
          'The case is found from the recipient plus address (`…+rr_…@…`, see MAIL_REPLY_TO) or ' +
          'the `[case rr_…]` tag of the subject; the quoted history is dropped and the text ' +
          "answers the case's open question. The sender must be one of the case's addresses " +
          '(else 404, as for a case that does not exist).',
        tags,
        security: [{ apiKey: ['requests:write'] }],
        requestBody: body('InboundMail', MAX_INBOUND_MAIL_BYTES),
        responses: { '200': ok('The answer was recorded', 'InboundMailAccepted') },
        problems: [
          ...GUARDED,
          ...JSON_BODY,
          'not_found',
          'illegal_transition',
          'request_state_conflict',
        ],
      },
    },
  ];
}

export const WEBHOOK_TAG: Json = {
  name: 'webhooks',
  description: 'Signed outbound webhooks on every case move, their delivery log, inbound mail',
};
