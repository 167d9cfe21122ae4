/**
 * JSON Schemas of what the desk answers (the views in app/facts/views.ts, app/requests/views.ts,
 * app/requests/read.ts, app/audit.ts and the auth routes), for the OpenAPI document. Closed objects with every
 * field required, so a view that grows or loses a field without its schema fails the document
 * tests, which validate served bodies against these.
 */
import { API_KEY_PATTERN, API_KEY_SCOPES } from '../app/auth/api-keys.js';
import { STAFF_ROLES } from '../app/auth/staff.js';
import { KYC_STATUSES, REFUND_KINDS } from '../app/facts/schemas.js';
import { REQUEST_STATES } from '../domain/request-state.js';
import {
  CHANNELS,
  CHARGEBACK_STATUSES,
  CLAUSE_IDS,
  CONDITION_CODES,
  OUTCOME_REASON_CODES,
  PAYMENT_METHODS,
  PRODUCTS,
  REPORT_CAUSES,
} from '../engine/index.js';
import { CASE_VIEW_SCHEMAS } from './openapi-cases.js';
import { PAYOUT_VIEW_SCHEMAS } from './openapi-payouts.js';
import { PROVIDER_WEBHOOK_VIEW_SCHEMAS } from './openapi-provider-webhooks.js';
import { WEBHOOK_VIEW_SCHEMAS } from './openapi-webhooks.js';
import { record, ref, type Json } from './openapi-kit.js';

const instant: Json = {
  type: 'string',
  format: 'date-time',
  description: 'RFC 3339 in UTC, millisecond precision',
};
const nullableInstant: Json = { oneOf: [instant, { type: 'null' }] };
const text: Json = { type: 'string' };
const nullableText: Json = { type: ['string', 'null'] };
const count: Json = { type: 'integer', minimum: 0 };
const minor: Json = {
  type: 'integer',
  minimum: 0,
  description: 'money in integer minor units of the currency',
};
const strings: Json = { type: 'array', items: text };
const sha256: Json = { type: 'string', pattern: '^[0-9a-f]{64}$' };

/** A closed object whose every property is required. */

function page(item: string, cursor: 'next' | 'nextCursor'): Json {
  return record({
    items: { type: 'array', items: ref(item) },
    [cursor]: {
      type: ['string', 'null'],
      description: `pass as \`${cursor === 'next' ? 'after' : 'cursor'}\` for the next page; null on the last page`,
    },
  });
}

const staffSummary = {
  id: text,
  email: text,
  name: text,
  role: { enum: [...STAFF_ROLES] },
} as const satisfies Record<string, Json>;

const customerSummary = record({ id: text, email: text, name: text });

const apiKeyView = {
  id: text,
  name: text,
  prefix: { type: 'string', description: 'the <prefix> of rdk_<prefix>_…, to tell keys apart' },
  scopes: { type: 'array', items: { enum: [...API_KEY_SCOPES] } },
  createdAt: instant,
  createdBy: { type: 'string', description: 'staff:<id>, api_key:<id> or system:<id>' },
  revokedAt: nullableInstant,
} as const satisfies Record<string, Json>;

const reasonCode: Json = { enum: [...CONDITION_CODES, ...OUTCOME_REASON_CODES] };

const refundRequestView = record({
  id: text,
  orderId: text,
  customerId: text,
  state: { enum: [...REQUEST_STATES] },
  description: text,
  paymentMethod: { enum: [...PAYMENT_METHODS] },
  networkContext: record({
    targetSites: strings,
    timestamps: strings,
    egressCidrs: strings,
    clientConfig: text,
  }),
  contact: record({ email: nullableText, im: nullableText }),
  submittedAt: instant,
  policyId: text,
  policyVersion: { type: 'integer', minimum: 1 },
  createdAt: instant,
  updatedAt: instant,
});

/** Response components by name. */
export const VIEW_SCHEMAS: Readonly<Record<string, Json>> = {
  // ── People ──────────────────────────────────────────────────────────────────────────────
  StaffSummary: record(staffSummary),
  StaffUser: record({ ...staffSummary, createdAt: instant, disabledAt: nullableInstant }),
  StaffUserPage: page('StaffUser', 'next'),
  CustomerSummary: customerSummary,
  SignedInStaff: record({ staff: ref('StaffSummary') }),
  SignedInCustomer: record({ customer: ref('CustomerSummary') }),
  StaffUserEnvelope: record({ staff: ref('StaffUser') }),
  SignInLinkAccepted: record({ status: { const: 'accepted' }, detail: text }),
  Me: {
    oneOf: [
      record({ kind: { const: 'staff' }, staff: ref('StaffSummary') }),
      record({ kind: { const: 'customer' }, customer: ref('CustomerSummary') }),
      record({
        kind: { const: 'api_key' },
        apiKey: record({ id: text, name: text, scopes: apiKeyView.scopes }),
      }),
    ],
  },
  ApiKey: record(apiKeyView),
  CreatedApiKey: record(
    {
      ...apiKeyView,
      key: {
        type: 'string',
        pattern: API_KEY_PATTERN.source,
        description: 'the whole key, shown this once (only its digest is stored)',
      },
    },
    'The new key; send it as Authorization: Bearer <key>.',
  ),
  ApiKeyEnvelope: record({ apiKey: ref('ApiKey') }),
  ApiKeyPage: page('ApiKey', 'next'),

  // ── Billing facts ───────────────────────────────────────────────────────────────────────
  Customer: record({
    id: text,
    email: text,
    name: text,
    kycStatus: { enum: [...KYC_STATUSES] },
    tosBreach: { type: 'boolean' },
    stressTesting: { type: 'boolean' },
  }),
  Plan: record({
    id: text,
    product: { enum: [...PRODUCTS] },
    name: text,
    servicePeriodDays: { type: 'integer', minimum: 1 },
  }),
  Order: record({
    id: text,
    customerId: text,
    planId: text,
    product: { enum: [...PRODUCTS] },
    channel: { enum: [...CHANNELS] },
    paymentMethod: { enum: [...PAYMENT_METHODS] },
    provider: text,
    chargeRef: text,
    amountMinor: minor,
    currency: { type: 'string', pattern: '^[A-Z]{3}$' },
    promoCreditsMinor: minor,
    purchasedAt: instant,
    servicePeriodDays: { type: 'integer', minimum: 1 },
    email: text,
  }),
  UsageReading: record({ orderId: text, asOf: instant, trafficBytes: count, requests: count }),
  Report: record({
    id: text,
    orderId: text,
    reportedAt: instant,
    cause: { enum: [...REPORT_CAUSES] },
    remediatedAt: nullableInstant,
    description: text,
  }),
  Incident: record({
    id: text,
    title: text,
    products: { type: 'array', items: { enum: [...PRODUCTS, 'all'] } },
    widelyImpacting: { type: 'boolean' },
    startsAt: instant,
    endsAt: nullableInstant,
    confirmedAt: nullableInstant,
  }),
  Chargeback: record({
    id: text,
    orderId: text,
    status: { enum: [...CHARGEBACK_STATUSES] },
    openedAt: instant,
  }),
  Refund: record({
    id: text,
    orderId: text,
    amountMinor: minor,
    kind: { enum: [...REFUND_KINDS] },
    refundedAt: instant,
    incidentId: nullableText,
  }),
  OrderFacts: record(
    {
      order: ref('Order'),
      plan: ref('Plan'),
      refundedMinor: minor,
      usage: { type: 'array', items: ref('UsageReading'), description: 'newest first' },
      reports: { type: 'array', items: ref('Report') },
      chargebacks: { type: 'array', items: ref('Chargeback') },
      refunds: { type: 'array', items: ref('Refund') },
      compensations: {
        type: 'array',
        items: record({ incidentId: text, kind: { enum: ['refund', 'extension'] }, at: instant }),
      },
    },
    'An order with its facts; each list is bounded.',
  ),

  // ── Refund requests ─────────────────────────────────────────────────────────────────────
  RefundRequest: refundRequestView,
  RefundRequestPage: page('RefundRequest', 'nextCursor'),
  RefundRequestEnvelope: record({ request: ref('RefundRequest') }),
  Evidence: record({
    id: text,
    requestId: text,
    originalName: { type: 'string', description: "the client's file name, sanitised" },
    mediaType: { type: 'string', description: 'sniffed from the content, not the name' },
    sizeBytes: count,
    sha256,
    uploadedBy: text,
    createdAt: instant,
  }),
  EvidenceList: record({ items: { type: 'array', items: ref('Evidence') } }),
  EvidenceAdded: record({ evidence: { type: 'array', items: ref('Evidence') } }),
  SubmittedRefundRequest: record({
    request: ref('RefundRequest'),
    decision: ref('Decision'),
    evidence: { type: 'array', items: ref('Evidence') },
  }),
  ExplainedDecision: record({
    requestId: text,
    seq: { type: 'integer', minimum: 1, description: '1, 2, …: the highest is current' },
    decidedAt: instant,
    source: { enum: ['engine', 'override'] },
    decision: ref('Decision'),
    explanation: record({
      headline: text,
      policyVersion: text,
      reasons: {
        type: 'array',
        items: record({
          code: reasonCode,
          clause: { enum: [...CLAUSE_IDS] },
          clauseTitle: text,
          clauseText: text,
          message: text,
        }),
      },
    }),
  }),

  // ── Audit log ───────────────────────────────────────────────────────────────────────────
  AuditEntry: record({
    seq: { type: 'integer', minimum: 1 },
    at: instant,
    actor: record({ kind: text, id: text }),
    ip: nullableText,
    action: text,
    entity: record({ kind: text, id: text }),
    before: { description: 'the entity before the change (any JSON), or null' },
    after: { description: 'the entity after the change (any JSON), or null' },
    prevHash: sha256,
    hash: sha256,
  }),
  AuditPage: record({
    items: { type: 'array', items: ref('AuditEntry'), description: 'oldest first' },
    next: {
      type: ['integer', 'null'],
      description: 'pass as `after` for the next page; null on the last page',
    },
  }),
  AuditVerification: {
    oneOf: [
      record({ ok: { const: true }, entries: count }),
      record({
        ok: { const: false },
        entries: count,
        brokenAtSeq: { type: 'integer', minimum: 1 },
        reason: text,
      }),
    ],
  },

  // ── Review and the SLA queue (openapi-cases.ts) ─────────────────────────────────────────
  ...CASE_VIEW_SCHEMAS,

  // ── Webhooks and inbound mail (openapi-webhooks.ts) ─────────────────────────────────────
  ...WEBHOOK_VIEW_SCHEMAS,

  // ── Payouts (openapi-payouts.ts) ───────────────────────────────────────────────────────
  ...PAYOUT_VIEW_SCHEMAS,
  ...PROVIDER_WEBHOOK_VIEW_SCHEMAS,
};
