/**
 * The case desk's operations for the OpenAPI document: people and permissions (routes/auth.ts),
 * billing facts (routes/facts.ts), refund requests (routes/requests.ts) and the audit log
 * (routes/audit.ts). Request bodies are the very schema objects the routes validate with;
 * responses are the views' schemas (openapi-views.ts); problems are listed per operation from
 * the problem table. The document tests check this list against the routes the app registers,
 * and every desk test's exchanges against the document (test/support/openapi.ts).
 */
import { API_KEY_SCOPES, type ApiKeyScope } from '../app/auth/api-keys.js';
import {
  hostTokenSchema,
  newApiKeySchema,
  newStaffUserSchema,
  signInLinkRedeemSchema,
  signInLinkRequestSchema,
  staffSignInSchema,
} from '../app/auth/schemas.js';
import { SESSION_COOKIE } from '../app/auth/sessions.js';
import { STAFF_SIGN_IN_LIMITS } from '../app/auth/sign-in-throttle.js';
import { MAX_AUDIT_PAGE } from '../app/audit.js';
import { EVIDENCE_LIMITS, EVIDENCE_MEDIA_TYPES } from '../app/evidence.js';
import { FACT_REQUEST_SCHEMAS, type FactKind } from '../app/facts/schemas.js';
import { IDEMPOTENCY_KEY_PATTERN, IDEMPOTENCY_LIMITS } from '../app/idempotency.js';
import { refundRequestSchema, withdrawSchema } from '../app/requests/input.js';
import { LIST_LIMITS } from '../app/requests/read.js';
import { REQUEST_STATES } from '../domain/request-state.js';
import {
  asComponent,
  jsonContent,
  limitParameter,
  ref,
  type Json,
  type OperationSpec,
  type Route,
  type Security,
} from './openapi-kit.js';
import { CASE_TAG, caseBodySchemas, caseRoutes } from './openapi-cases.js';
import { PAYOUT_TAG, payoutBodySchemas, payoutRoutes } from './openapi-payouts.js';
import { providerWebhookRoutes } from './openapi-provider-webhooks.js';
import { WEBHOOK_TAG, webhookBodySchemas, webhookRoutes } from './openapi-webhooks.js';
import type { ProblemCode } from './problems.js';
import { MAX_ID_CHARS as MAX_AUDIT_QUERY_ID_CHARS } from './routes/audit.js';
import { AUTH_PAGE_LIMITS, MAX_AUTH_BODY_BYTES } from './routes/auth.js';
import { MAX_FACT_BODY_BYTES } from './routes/facts.js';
import { MAX_REQUEST_JSON_BYTES, MAX_UPLOAD_BODY_BYTES } from './routes/requests.js';

// ── Security ─────────────────────────────────────────────────────────────────────────────
// Role names in a `session` requirement: customer, staff (any role), staff:approver (approver
// or admin), staff:admin.
// Names in an `apiKey` requirement: the scope the key must hold.

const PUBLIC: Security = [];
const SIGNED_IN: Security = [{ session: [] }, { apiKey: [] }];
const SESSION_ONLY: Security = [{ session: [] }];
const CUSTOMER: Security = [{ session: ['customer'] }];
const STAFF_ADMIN: Security = [{ session: ['staff:admin'] }];
/** `requireScope`: a key with the scope, or a staff admin. */
const scoped = (scope: ApiKeyScope): Security => [
  { session: ['staff:admin'] },
  { apiKey: [scope] },
];
const FACTS_READER: Security = [{ session: ['staff'] }, { apiKey: ['facts:read'] }];
const REQUESTS_READER: Security = [
  { session: ['customer'] },
  { session: ['staff'] },
  { apiKey: ['requests:read'] },
];

export const SECURITY_SCHEMES: Readonly<Record<string, Json>> = {
  session: {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description:
      'The session cookie set by POST /v1/staff/sessions (staff), /v1/auth/sign-in-links/redeem ' +
      'or /v1/auth/host-token (customers): HttpOnly, SameSite=Lax, Secure behind https. Roles ' +
      'named in requirements: `customer`, `staff` (any role), `staff:approver` (approver or ' +
      'admin), `staff:admin`.',
  },
  apiKey: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'rdk_<prefix>_<secret>',
    description:
      'An API key (`Authorization: Bearer rdk_…`), stored hashed, scoped, revocable. Names in ' +
      `requirements are the scope the key must hold: ${API_KEY_SCOPES.join(', ')}.`,
  },
};

// ── Parameters and headers ───────────────────────────────────────────────────────────────

export const PARAMETERS: Readonly<Record<string, Json>> = {
  IdempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description:
      'Scoped to the caller (ignored for anonymous callers). The same key and request again ' +
      'return the stored response (`Idempotent-Replayed: true`) without doing the work twice; ' +
      'the same key with another request is 422 `idempotency_key_reused`; a key whose first ' +
      'request is still running is 409 `idempotency_key_in_flight`.',
    schema: {
      type: 'string',
      minLength: 1,
      maxLength: IDEMPOTENCY_LIMITS.keyMaxChars,
      pattern: IDEMPOTENCY_KEY_PATTERN.source,
    },
  },
};

export const HEADERS: Readonly<Record<string, Json>> = {
  IdempotentReplayed: {
    description: 'Present (`true`) when this is the stored response of an earlier request.',
    schema: { const: 'true' },
  },
  SetSessionCookie: {
    description: `Sets the \`${SESSION_COOKIE}\` session cookie (and revokes the session the browser held before).`,
    schema: { type: 'string' },
  },
  NoStore: { schema: { const: 'no-store' } },
};

const AUTH_PAGE: Json[] = [
  limitParameter(AUTH_PAGE_LIMITS),
  {
    name: 'after',
    in: 'query',
    required: false,
    description: 'the `next` of the previous page',
    schema: { type: 'string', minLength: 1, maxLength: AUTH_PAGE_LIMITS.afterMaxChars },
  },
];

const REQUEST_PAGE: Json[] = [
  limitParameter(LIST_LIMITS),
  {
    name: 'cursor',
    in: 'query',
    required: false,
    description: 'the `nextCursor` of the previous page',
    schema: { type: 'string', minLength: 1 },
  },
  { name: 'state', in: 'query', required: false, schema: { enum: [...REQUEST_STATES] } },
];

// ── Bodies and responses ─────────────────────────────────────────────────────────────────

function jsonBody(component: string, maxBytes: number, required = true): Json {
  return {
    required,
    description: `JSON, at most ${maxBytes} bytes.`,
    content: jsonContent(ref(component)),
  };
}

function ok(description: string, component: string, headers?: Record<string, Json>): Json {
  return {
    description,
    ...(headers === undefined ? {} : { headers }),
    content: jsonContent(ref(component)),
  };
}

const SETS_COOKIE = { 'Set-Cookie': { $ref: '#/components/headers/SetSessionCookie' } };
const NO_STORE = { 'Cache-Control': { $ref: '#/components/headers/NoStore' } };

const EVIDENCE_FILES_NOTE =
  `Logs, screenshots, PDFs and HAR files: at most ${EVIDENCE_LIMITS.maxFilesPerUpload} files ` +
  `per upload, ${EVIDENCE_LIMITS.maxFileBytes} bytes each and ${EVIDENCE_LIMITS.maxUploadBytes} ` +
  `together, ${EVIDENCE_LIMITS.maxFilesPerRequest} per request. The type is sniffed from the ` +
  `content, never taken from the name or the part's content type; accepted: ` +
  `${EVIDENCE_MEDIA_TYPES.join(', ')}.`;

const evidenceFiles = (minItems: number): Json => ({
  type: 'array',
  minItems,
  maxItems: EVIDENCE_LIMITS.maxFilesPerUpload,
  items: { type: 'string', contentMediaType: 'application/octet-stream' },
  description: EVIDENCE_FILES_NOTE,
});

const evidenceEncoding: Json = { contentType: EVIDENCE_MEDIA_TYPES.join(', ') };

/** Names of the request-body components, by fact kind. */
const FACT_BODY: { readonly [K in FactKind]: string } = {
  customer: 'CustomerBody',
  plan: 'PlanBody',
  order: 'OrderBody',
  usage: 'UsageBody',
  report: 'ReportBody',
  incident: 'IncidentBody',
  chargeback: 'ChargebackBody',
  refund: 'RefundBody',
  flags: 'FlagsBody',
};

/** Request-body components: the schema objects the routes validate with. */
export function requestBodySchemas(): Record<string, Json> {
  const facts = Object.fromEntries(
    (Object.keys(FACT_BODY) as FactKind[]).map((kind) => [
      FACT_BODY[kind],
      asComponent(FACT_REQUEST_SCHEMAS[kind], FACT_BODY[kind]),
    ]),
  );
  return {
    StaffSignIn: asComponent(staffSignInSchema, 'StaffSignIn'),
    NewStaffUser: asComponent(newStaffUserSchema, 'NewStaffUser'),
    SignInLinkRequest: asComponent(signInLinkRequestSchema, 'SignInLinkRequest'),
    SignInLinkRedemption: asComponent(signInLinkRedeemSchema, 'SignInLinkRedemption'),
    HostToken: asComponent(hostTokenSchema, 'HostToken'),
    NewApiKey: asComponent(newApiKeySchema, 'NewApiKey'),
    ...facts,
    RefundRequestBody: asComponent(refundRequestSchema, 'RefundRequestBody'),
    RefundRequestUpload: {
      title: 'Refund request with evidence (multipart/form-data)',
      type: 'object',
      additionalProperties: false,
      required: ['request'],
      properties: { request: ref('RefundRequestBody'), evidence: evidenceFiles(0) },
    },
    EvidenceUpload: {
      title: 'Evidence files (multipart/form-data)',
      type: 'object',
      additionalProperties: false,
      required: ['evidence'],
      properties: { evidence: evidenceFiles(1) },
    },
    Withdrawal: asComponent(withdrawSchema, 'Withdrawal'),
    ...caseBodySchemas(),
    ...webhookBodySchemas(),
    ...payoutBodySchemas(),
  };
}

// ── Operations ───────────────────────────────────────────────────────────────────────────

const JSON_BODY: readonly ProblemCode[] = [
  'unsupported_media_type',
  'invalid_json',
  'invalid_request',
  'payload_too_large',
];
const GUARDED: readonly ProblemCode[] = ['unauthorized', 'forbidden'];

function route(method: Route['method'], path: string, spec: OperationSpec): Route {
  return { method, path, spec };
}

function authRoutes(): Route[] {
  const authBody = (component: string) => jsonBody(component, MAX_AUTH_BODY_BYTES);
  const tags = ['people'];
  return [
    route('post', '/v1/staff/sessions', {
      operationId: 'signInStaff',
      summary: 'Staff sign-in with email and password',
      tags,
      security: PUBLIC,
      description:
        `After ${STAFF_SIGN_IN_LIMITS.maxFailuresPerEmail} failed attempts for one email, or ` +
        `${STAFF_SIGN_IN_LIMITS.maxFailuresPerIp} from one client, within ` +
        `${STAFF_SIGN_IN_LIMITS.windowMs / 60_000} minutes, sign-in is 429 too_many_attempts ` +
        '(the password is not checked) until the window has passed; Retry-After gives the ' +
        "seconds. A successful sign-in clears the email's failures.",
      requestBody: authBody('StaffSignIn'),
      responses: { '200': ok('Signed in', 'SignedInStaff', SETS_COOKIE) },
      problems: [...JSON_BODY, 'unauthorized', 'too_many_attempts'],
    }),
    route('post', '/v1/staff-users', {
      operationId: 'createStaffUser',
      summary: 'Create a staff account',
      tags,
      security: STAFF_ADMIN,
      requestBody: authBody('NewStaffUser'),
      responses: { '201': ok('Created', 'StaffUserEnvelope') },
      problems: [...GUARDED, ...JSON_BODY, 'email_taken'],
    }),
    route('get', '/v1/staff-users', {
      operationId: 'listStaffUsers',
      summary: 'List staff accounts',
      tags,
      security: STAFF_ADMIN,
      parameters: AUTH_PAGE,
      responses: { '200': ok('A page of staff accounts', 'StaffUserPage') },
      problems: [...GUARDED, 'invalid_request'],
    }),
    route('post', '/v1/staff-users/{id}/disable', {
      operationId: 'disableStaffUser',
      summary: 'Disable a staff account and revoke its sessions (idempotent)',
      description: 'Nobody disables their own account (403).',
      tags,
      security: STAFF_ADMIN,
      responses: { '200': ok('The account, disabled', 'StaffUserEnvelope') },
      problems: [...GUARDED, 'not_found'],
    }),
    route('post', '/v1/auth/sign-in-links', {
      operationId: 'requestSignInLink',
      summary: "Mail a one-time sign-in link to an order's email",
      description: 'Always 202, so nobody learns which emails have accounts.',
      tags,
      security: PUBLIC,
      requestBody: authBody('SignInLinkRequest'),
      responses: { '202': ok('Accepted', 'SignInLinkAccepted') },
      problems: JSON_BODY,
    }),
    route('post', '/v1/auth/sign-in-links/redeem', {
      operationId: 'redeemSignInLink',
      summary: 'Redeem a sign-in link (once) for a customer session',
      tags,
      security: PUBLIC,
      requestBody: authBody('SignInLinkRedemption'),
      responses: { '200': ok('Signed in', 'SignedInCustomer', SETS_COOKIE) },
      problems: [...JSON_BODY, 'unauthorized'],
    }),
    route('post', '/v1/auth/host-token', {
      operationId: 'signInWithHostToken',
      summary: "Exchange a host platform's signed token for a customer session",
      description:
        'Each token works once (its jti is recorded): a second use is 401 token_replayed. ' +
        '404 when no host-platform secret is configured.',
      tags,
      security: PUBLIC,
      requestBody: authBody('HostToken'),
      responses: { '200': ok('Signed in', 'SignedInCustomer', SETS_COOKIE) },
      problems: [...JSON_BODY, 'unauthorized', 'token_replayed', 'not_found'],
    }),
    route('get', '/v1/me', {
      operationId: 'getMe',
      summary: 'Who the caller is',
      tags,
      security: SIGNED_IN,
      responses: { '200': ok('The caller', 'Me') },
      problems: ['unauthorized'],
    }),
    route('delete', '/v1/sessions/current', {
      operationId: 'signOut',
      summary: 'Sign out (revoke the session and clear its cookie)',
      tags,
      security: SESSION_ONLY,
      responses: {
        '204': {
          description: 'Signed out',
          headers: {
            'Set-Cookie': {
              description: `Clears the \`${SESSION_COOKIE}\` cookie.`,
              schema: { type: 'string' },
            },
          },
        },
      },
      problems: ['unauthorized'],
    }),
    route('post', '/v1/api-keys', {
      operationId: 'createApiKey',
      summary: 'Create an API key (shown once)',
      tags: ['api-keys'],
      security: scoped('admin'),
      requestBody: authBody('NewApiKey'),
      responses: { '201': ok('Created', 'CreatedApiKey') },
      problems: [...GUARDED, ...JSON_BODY],
    }),
    route('get', '/v1/api-keys', {
      operationId: 'listApiKeys',
      summary: 'List API keys (never their secrets)',
      tags: ['api-keys'],
      security: scoped('admin'),
      parameters: AUTH_PAGE,
      responses: { '200': ok('A page of API keys', 'ApiKeyPage') },
      problems: [...GUARDED, 'invalid_request'],
    }),
    route('post', '/v1/api-keys/{id}/revoke', {
      operationId: 'revokeApiKey',
      summary: 'Revoke an API key (idempotent)',
      tags: ['api-keys'],
      security: scoped('admin'),
      responses: { '200': ok('The key, revoked', 'ApiKeyEnvelope') },
      problems: [...GUARDED, 'not_found'],
    }),
  ];
}

/** The PUT routes of facts kept by their own id, and what each can be refused for. */
const PUT_FACTS: ReadonlyArray<{
  readonly kind: FactKind;
  readonly collection: string;
  readonly view: string;
  readonly problems: readonly ProblemCode[];
}> = [
  { kind: 'customer', collection: 'customers', view: 'Customer', problems: [] },
  { kind: 'plan', collection: 'plans', view: 'Plan', problems: ['inconsistent_facts'] },
  {
    kind: 'order',
    collection: 'orders',
    view: 'Order',
    problems: ['unknown_reference', 'inconsistent_facts'],
  },
  { kind: 'report', collection: 'reports', view: 'Report', problems: ['unknown_reference'] },
  { kind: 'incident', collection: 'incidents', view: 'Incident', problems: [] },
  {
    kind: 'chargeback',
    collection: 'chargebacks',
    view: 'Chargeback',
    problems: ['unknown_reference'],
  },
  {
    kind: 'refund',
    collection: 'refunds',
    view: 'Refund',
    problems: ['unknown_reference', 'inconsistent_facts'],
  },
];

const capitalized = (word: string): string => word.charAt(0).toUpperCase() + word.slice(1);

function factRoutes(): Route[] {
  const tags = ['facts'];
  const factBody = (kind: FactKind) => jsonBody(FACT_BODY[kind], MAX_FACT_BODY_BYTES);
  const written = (view: string, created: boolean): Record<string, Json> => ({
    ...(created ? { '201': ok('Created', view, NO_STORE) } : {}),
    '200': ok('Replaced (or unchanged)', view, NO_STORE),
  });
  const puts = PUT_FACTS.map(({ kind, collection, view, problems }) =>
    route('put', `/v1/${collection}/{id}`, {
      operationId: `put${capitalized(kind)}`,
      summary: `Create or replace the ${kind} with this id`,
      description:
        'The body may leave out `id`; when it carries one, it must be the id in the path. ' +
        'Card numbers are refused.',
      tags,
      security: scoped('facts:write'),
      requestBody: factBody(kind),
      responses: written(view, true),
      problems: [...GUARDED, ...JSON_BODY, ...problems],
    }),
  );
  const customerDenied =
    'A customer gets 404 for anything not theirs and 403 for their own records.';
  return [
    ...puts,
    route('get', '/v1/customers/{id}', {
      operationId: 'getCustomer',
      summary: 'Read a customer',
      description: customerDenied,
      tags,
      security: FACTS_READER,
      responses: { '200': ok('The customer', 'Customer', NO_STORE) },
      problems: [...GUARDED, 'not_found'],
    }),
    route('patch', '/v1/customers/{id}/flags', {
      operationId: 'patchCustomerFlags',
      summary: 'Change account flags (ToS breach, stress testing, KYC status)',
      description: 'Flags left out are unchanged.',
      tags,
      security: scoped('facts:write'),
      requestBody: factBody('flags'),
      responses: written('Customer', false),
      problems: [...GUARDED, ...JSON_BODY, 'not_found'],
    }),
    route('get', '/v1/orders/{id}', {
      operationId: 'getOrderFacts',
      summary: 'Read an order with its facts',
      description: customerDenied,
      tags,
      security: FACTS_READER,
      responses: { '200': ok('The order and its facts', 'OrderFacts', NO_STORE) },
      problems: [...GUARDED, 'not_found'],
    }),
    route('post', '/v1/orders/{id}/usage', {
      operationId: 'postUsageReading',
      summary: 'Record a usage reading of the order (by its asOf instant)',
      tags,
      security: scoped('facts:write'),
      requestBody: factBody('usage'),
      responses: written('UsageReading', true),
      problems: [...GUARDED, ...JSON_BODY, 'not_found'],
    }),
  ];
}

function requestRoutes(): Route[] {
  const tags = ['refund-requests'];
  const base = '/v1/refund-requests';
  const notTheirs = "Another customer's request is 404, as one that does not exist.";
  const crossSite = 'A POST from a browser on another origin is 403.';
  return [
    route('post', base, {
      operationId: 'submitRefundRequest',
      summary: 'File a refund request (decided at once)',
      description:
        'As JSON, or as multipart/form-data with the request as JSON in the part `request` and ' +
        'evidence files in parts `evidence`. The facts are assembled from storage, decided by ' +
        `the engine, and the decision stored with its facts snapshot. ${crossSite}`,
      tags,
      security: CUSTOMER,
      requestBody: {
        required: true,
        description: `JSON of at most ${MAX_REQUEST_JSON_BYTES} bytes, or an upload of at most ${MAX_UPLOAD_BODY_BYTES} bytes.`,
        content: {
          ...jsonContent(ref('RefundRequestBody')),
          'multipart/form-data': {
            schema: ref('RefundRequestUpload'),
            encoding: { request: { contentType: 'application/json' }, evidence: evidenceEncoding },
          },
        },
      },
      responses: {
        '201': ok('Filed and decided', 'SubmittedRefundRequest', {
          Location: { description: 'the new request', schema: { type: 'string' } },
        }),
      },
      problems: [
        ...GUARDED,
        ...JSON_BODY,
        'unsupported_evidence',
        'evidence_too_large',
        'too_many_evidence_files',
        'not_found',
        'payment_method_mismatch',
        'request_already_open',
        'case_not_decidable',
      ],
    }),
    route('get', base, {
      operationId: 'listRefundRequests',
      summary: 'List refund requests, newest first',
      description: 'A customer sees their own; staff and keys with requests:read see all.',
      tags,
      security: REQUESTS_READER,
      parameters: REQUEST_PAGE,
      responses: { '200': ok('A page of requests', 'RefundRequestPage') },
      problems: [...GUARDED, 'invalid_request'],
    }),
    route('get', `${base}/{id}`, {
      operationId: 'getRefundRequest',
      summary: 'Read a refund request',
      description: notTheirs,
      tags,
      security: REQUESTS_READER,
      responses: { '200': ok('The request', 'RefundRequest') },
      problems: [...GUARDED, 'not_found'],
    }),
    route('get', `${base}/{id}/decision`, {
      operationId: 'getRefundDecision',
      summary: 'The current decision of a request, with its reasons explained',
      description: notTheirs,
      tags,
      security: REQUESTS_READER,
      responses: { '200': ok('The current decision', 'ExplainedDecision') },
      problems: [...GUARDED, 'not_found'],
    }),
    route('post', `${base}/{id}/evidence`, {
      operationId: 'addEvidence',
      summary: 'Add evidence files to an open request (its owner)',
      description: `${notTheirs} ${crossSite}`,
      tags,
      security: CUSTOMER,
      requestBody: {
        required: true,
        description: `An upload of at most ${MAX_UPLOAD_BODY_BYTES} bytes.`,
        content: {
          'multipart/form-data': {
            schema: ref('EvidenceUpload'),
            encoding: { evidence: evidenceEncoding },
          },
        },
      },
      responses: { '201': ok('Added', 'EvidenceAdded') },
      problems: [
        ...GUARDED,
        'unsupported_media_type',
        'invalid_request',
        'payload_too_large',
        'unsupported_evidence',
        'evidence_too_large',
        'too_many_evidence_files',
        'not_found',
        'request_state_conflict',
      ],
    }),
    route('get', `${base}/{id}/evidence`, {
      operationId: 'listEvidence',
      summary: 'The evidence files of a request, oldest first',
      description: notTheirs,
      tags,
      security: REQUESTS_READER,
      responses: { '200': ok('The evidence', 'EvidenceList') },
      problems: [...GUARDED, 'not_found'],
    }),
    route('get', `${base}/{id}/evidence/{evidenceId}`, {
      operationId: 'downloadEvidence',
      summary: 'The bytes of one evidence file, as an attachment',
      description:
        `${notTheirs} A file an earlier version stored in the evidence folder and that is no ` +
        'longer there is 410 (evidence_missing).',
      tags,
      security: REQUESTS_READER,
      responses: {
        '200': {
          description: 'The file, with the media type sniffed when it was uploaded',
          headers: {
            'Content-Disposition': {
              description: 'attachment, with the sanitised original name',
              schema: { type: 'string', pattern: '^attachment;' },
            },
          },
          content: Object.fromEntries(
            EVIDENCE_MEDIA_TYPES.map((type) => [
              type,
              { schema: { description: 'the bytes as they were uploaded' } },
            ]),
          ),
        },
      },
      problems: [...GUARDED, 'not_found', 'evidence_missing'],
    }),
    route('post', `${base}/{id}/withdraw`, {
      operationId: 'withdrawRefundRequest',
      summary: 'Withdraw an open request (its owner)',
      description: `The body is optional. ${notTheirs} ${crossSite}`,
      tags,
      security: CUSTOMER,
      requestBody: jsonBody('Withdrawal', MAX_REQUEST_JSON_BYTES, false),
      responses: { '200': ok('The request, withdrawn', 'RefundRequestEnvelope') },
      problems: [...GUARDED, ...JSON_BODY, 'not_found', 'request_state_conflict'],
    }),
  ];
}

function auditRoutes(): Route[] {
  const tags = ['audit'];
  const idQuery = (name: string, description: string): Json => ({
    name,
    in: 'query',
    required: false,
    description,
    schema: { type: 'string', minLength: 1, maxLength: MAX_AUDIT_QUERY_ID_CHARS },
  });
  return [
    route('get', '/v1/audit-log', {
      operationId: 'listAuditLog',
      summary: 'A page of the audit log, oldest first, optionally for one entity',
      tags,
      security: scoped('admin'),
      parameters: [
        idQuery('entityKind', 'only entries about entities of this kind (order, customer, …)'),
        idQuery('entityId', 'only entries about the entity with this id'),
        {
          name: 'after',
          in: 'query',
          required: false,
          description: 'the `next` of the previous page: entries after this sequence number',
          schema: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
        },
        {
          name: 'limit',
          in: 'query',
          required: false,
          schema: { type: 'integer', minimum: 1, maximum: MAX_AUDIT_PAGE, default: 50 },
        },
      ],
      responses: { '200': ok('A page of entries', 'AuditPage') },
      problems: [...GUARDED, 'invalid_request'],
    }),
    route('get', '/v1/audit-log/verification', {
      operationId: 'verifyAuditLog',
      summary: 'Walk the hash chain and report the first broken link',
      tags,
      security: scoped('admin'),
      responses: { '200': ok('The verdict', 'AuditVerification') },
      problems: GUARDED,
    }),
  ];
}

/** Every operation the desk adds to the app. */
export function deskRoutes(): Route[] {
  return [
    ...authRoutes(),
    ...factRoutes(),
    ...requestRoutes(),
    ...auditRoutes(),
    ...caseRoutes(),
    ...webhookRoutes(),
    ...payoutRoutes(),
    ...providerWebhookRoutes(),
  ];
}

export const DESK_TAGS: readonly Json[] = [
  { name: 'people', description: 'Staff and customer sign-in, sessions, staff accounts' },
  { name: 'api-keys', description: 'API keys for systems (hashed, scoped, revocable)' },
  { name: 'facts', description: "Billing facts fed by the seller's billing system" },
  { name: 'refund-requests', description: 'Refund requests, decisions and evidence' },
  { name: 'audit', description: 'The hash-chained audit log of every change' },
  CASE_TAG,
  WEBHOOK_TAG,
  PAYOUT_TAG,
];
