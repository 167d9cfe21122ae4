/**
 * The payout operations (routes/payouts.ts) for the OpenAPI document: request bodies are the
 * schemas the routes validate with (app/payouts/input.ts), responses the views of
 * app/payouts/desk.ts. openapi-desk.ts lists the routes and bodies, openapi-views.ts the views.
 */
import { MAX_LINES_PER_BATCH, PAYOUT_BATCH_LIST_LIMITS } from '../app/payouts/batches.js';
import { PAYOUT_LIST_LIMITS } from '../app/payouts/desk.js';
import { PAYOUT_SCHEMAS, type PayoutSchemaName } from '../app/payouts/input.js';
import { CASE_STATES } from '../domain/case-state.js';
import {
  bodyComponents,
  jsonContent,
  limitParameter,
  record,
  ref,
  type Json,
  type Route,
  type Security,
} from './openapi-kit.js';
import type { ProblemCode } from './problems.js';
import { BATCH_FILE_MEDIA_TYPE, MAX_PAYOUT_BODY_BYTES, PAYOUT_STATUSES } from './routes/payouts.js';

const instant: Json = { type: 'string', format: 'date-time', description: 'RFC 3339 in UTC' };
const minor: Json = { type: 'integer', minimum: 0, description: 'integer minor units' };
const nullableText: Json = { type: ['string', 'null'] };

const BODY_COMPONENT: { readonly [N in PayoutSchemaName]: string } = {
  prorataChoice: 'ProrataChoice',
  payoutRetry: 'PayoutRetry',
  payoutMarkPaid: 'PayoutMarkPaid',
  payoutBatch: 'NewPayoutBatch',
};

export function payoutBodySchemas(): Record<string, Json> {
  return bodyComponents(PAYOUT_SCHEMAS, BODY_COMPONENT);
}

export const PAYOUT_VIEW_SCHEMAS: Readonly<Record<string, Json>> = {
  Payout: record(
    {
      id: { type: 'string' },
      requestId: { type: 'string' },
      orderId: { type: 'string' },
      source: { enum: ['approved', 'prorata'] },
      method: { enum: ['card', 'paypal', 'bank_transfer', 'manual'] },
      amountMinor: minor,
      currency: { type: 'string', pattern: '^[A-Z]{3}$' },
      status: { enum: [...PAYOUT_STATUSES] },
      providerRefundId: nullableText,
      failureCode: nullableText,
      failureReason: { ...nullableText, description: "the provider's (or the ledger's) reason" },
      reference: nullableText,
      attempts: { type: 'integer', minimum: 0 },
      createdAt: instant,
      settledAt: { oneOf: [instant, { type: 'null' }] },
      batchId: { ...nullableText, description: 'the payout batch (file for finance) it is in' },
    },
    'A refund to the original payment method',
  ),
  PayoutPage: record({
    items: { type: 'array', items: ref('Payout') },
    next: { ...nullableText, description: 'the `before` of the next page' },
  }),
  ProrataChoiceOutcome: record({
    requestId: { type: 'string' },
    state: { enum: [...CASE_STATES] },
    payout: { oneOf: [ref('Payout'), { type: 'null' }] },
    extension: {
      oneOf: [
        record({ id: { type: 'string' }, extensionDays: { type: 'integer', minimum: 0 } }),
        { type: 'null' },
      ],
    },
  }),
  PayoutBatch: record(
    {
      id: { type: 'string' },
      method: { enum: ['bank_transfer', 'manual'] },
      lineCount: { type: 'integer', minimum: 1, maximum: MAX_LINES_PER_BATCH },
      totals: {
        type: 'object',
        description: 'per currency (ISO 4217), in integer minor units',
        propertyNames: { pattern: '^[A-Z]{3}$' },
        additionalProperties: { type: 'integer', minimum: 1 },
      },
      sha256: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'of the file’s bytes' },
      fileName: { type: 'string' },
      createdAt: instant,
      createdBy: { type: 'string', description: '`<actor kind>:<actor id>`' },
    },
    'Waiting bank transfer or manual payouts, as one file for finance',
  ),
  PayoutBatchPage: record({
    items: { type: 'array', items: ref('PayoutBatch') },
    next: { ...nullableText, description: 'the `before` of the next page' },
  }),
  OrderLedger: record(
    {
      orderId: { type: 'string' },
      currency: { type: 'string' },
      paidMinor: minor,
      refundedMinor: minor,
      inFlightMinor: minor,
      availableMinor: { type: 'integer' },
      openChargebacks: { type: 'integer', minimum: 0 },
      payouts: { type: 'array', items: ref('Payout') },
      refunds: {
        type: 'array',
        items: record({
          id: { type: 'string' },
          amountMinor: minor,
          kind: { type: 'string' },
          refundedAt: instant,
        }),
      },
    },
    'Paid, refunded (refund rows, including succeeded payouts) and in flight',
  ),
};

const GUARDED: readonly ProblemCode[] = ['unauthorized', 'forbidden'];
const JSON_BODY: readonly ProblemCode[] = [
  'unsupported_media_type',
  'invalid_json',
  'invalid_request',
  'payload_too_large',
];
const STAFF: Security = [{ session: ['staff'] }];
const STAFF_ADMIN: Security = [{ session: ['staff:admin'] }];
/** Approvers and admins (the roles that release money). */
const STAFF_APPROVER: Security = [{ session: ['staff:approver'] }];
const NO_BANK_DETAILS =
  'The desk holds no bank details (no IBAN, no account number): each line names the refund, ' +
  'the order, the customer, the amount and the reference the transfer must carry; finance ' +
  'pays the account they hold for that customer and order in their own system, then staff ' +
  'mark the payout paid with the bank’s reference (`POST /v1/payouts/{id}/mark-paid`).';
const CUSTOMER: Security = [{ session: ['customer'] }];

function body(name: PayoutSchemaName): Json {
  return {
    required: true,
    description: `JSON, at most ${MAX_PAYOUT_BODY_BYTES} bytes.`,
    content: jsonContent(ref(BODY_COMPONENT[name])),
  };
}
const ok = (description: string, component: string): Json => ({
  description,
  content: jsonContent(ref(component)),
});

export function payoutRoutes(): Route[] {
  const tags = ['payouts'];
  return [
    {
      method: 'post',
      path: '/v1/refund-requests/{id}/prorata-choice',
      spec: {
        operationId: 'chooseOnProrataOffer',
        summary: 'The customer takes the pro-rata refund or the service extension',
        description:
          'Only on a prorata_offered case, by its owner (another customer’s is 404). The payout ' +
          'or the command to the seller’s system is written together with the move.',
        tags,
        security: CUSTOMER,
        requestBody: body('prorataChoice'),
        responses: {
          '200': ok('The case’s new state and what was queued', 'ProrataChoiceOutcome'),
        },
        problems: [...GUARDED, ...JSON_BODY, 'not_found', 'illegal_transition'],
      },
    },
    {
      method: 'get',
      path: '/v1/payouts',
      spec: {
        operationId: 'listPayouts',
        summary: 'Payouts newest first; `status=declined` lists the failed ones with the reason',
        tags,
        security: STAFF,
        parameters: [
          { name: 'status', in: 'query', required: false, schema: { enum: [...PAYOUT_STATUSES] } },
          limitParameter(PAYOUT_LIST_LIMITS),
          {
            name: 'before',
            in: 'query',
            required: false,
            description: 'the `next` of the previous page',
            schema: { type: 'string', minLength: 1, maxLength: 200 },
          },
        ],
        responses: { '200': ok('A page of payouts', 'PayoutPage') },
        problems: [...GUARDED, 'invalid_request'],
      },
    },
    {
      method: 'get',
      path: '/v1/payouts/{id}',
      spec: {
        operationId: 'getPayout',
        summary: 'One payout',
        tags,
        security: STAFF,
        responses: { '200': ok('The payout', 'Payout') },
        problems: [...GUARDED, 'not_found'],
      },
    },
    {
      method: 'post',
      path: '/v1/payouts/{id}/retry',
      spec: {
        operationId: 'retryPayout',
        summary: 'Retry a declined payout (a new payout, after the ledger checks the order again)',
        tags,
        security: STAFF,
        requestBody: body('payoutRetry'),
        responses: { '200': ok('The new payout', 'Payout') },
        problems: [
          ...GUARDED,
          ...JSON_BODY,
          'not_found',
          'illegal_transition',
          'ledger_refused',
          'payout_state_conflict',
        ],
      },
    },
    {
      method: 'post',
      path: '/v1/payouts/{id}/mark-paid',
      spec: {
        operationId: 'markPayoutPaid',
        summary: 'Mark a bank transfer or manual payout paid, with its reference',
        tags,
        security: STAFF,
        requestBody: body('payoutMarkPaid'),
        responses: { '200': ok('The payout, paid', 'Payout') },
        problems: [...GUARDED, ...JSON_BODY, 'not_found', 'payout_state_conflict'],
      },
    },
    {
      method: 'post',
      path: '/v1/payout-batches',
      spec: {
        operationId: 'createPayoutBatch',
        summary: 'Put the waiting bank transfer (or manual) payouts into a new batch file',
        description:
          'Takes the payouts of the method that were handed to the offline provider and wait to ' +
          `be marked paid, and are in no batch yet (oldest first, at most ${MAX_LINES_PER_BATCH}; ` +
          'more go into the next batch). A payout is never in two batches. ' +
          NO_BANK_DETAILS,
        tags,
        security: STAFF_APPROVER,
        requestBody: body('payoutBatch'),
        responses: { '201': ok('The new batch', 'PayoutBatch') },
        problems: [...GUARDED, ...JSON_BODY, 'nothing_to_batch'],
      },
    },
    {
      method: 'get',
      path: '/v1/payout-batches',
      spec: {
        operationId: 'listPayoutBatches',
        summary: 'Payout batches, newest first',
        tags,
        security: STAFF_APPROVER,
        parameters: [
          limitParameter(PAYOUT_BATCH_LIST_LIMITS),
          {
            name: 'before',
            in: 'query',
            required: false,
            description: 'the `next` of the previous page',
            schema: { type: 'string', minLength: 1, maxLength: 200 },
          },
        ],
        responses: { '200': ok('A page of batches', 'PayoutBatchPage') },
        problems: [...GUARDED, 'invalid_request'],
      },
    },
    {
      method: 'get',
      path: '/v1/payout-batches/{id}/file',
      spec: {
        operationId: 'downloadPayoutBatchFile',
        summary: 'The batch’s CSV for finance, as an attachment',
        description:
          'RFC 4180 CSV (CRLF, a header row), lines ordered by currency then refund id, amounts ' +
          'in the currency’s major unit and in minor units. Rendered again from the batch’s ' +
          'payouts on every request: the same bytes, whose SHA-256 is the batch’s `sha256`. ' +
          NO_BANK_DETAILS,
        tags,
        security: STAFF_APPROVER,
        responses: {
          '200': {
            description: 'The CSV file',
            headers: {
              'Content-Disposition': {
                description: 'attachment; filename="payouts-<method>-<batch id>.csv"',
                schema: { type: 'string', pattern: '^attachment;' },
              },
              'Repr-Digest': {
                description: 'RFC 9530: `sha-256=:<base64 of the SHA-256>:`',
                schema: { type: 'string' },
              },
            },
            content: { [BATCH_FILE_MEDIA_TYPE]: { schema: { type: 'string' } } },
          },
        },
        problems: [...GUARDED, 'not_found'],
      },
    },
    {
      method: 'get',
      path: '/v1/orders/{id}/ledger',
      spec: {
        operationId: 'getOrderLedger',
        summary: 'The ledger of an order: paid, refunded, in flight, payouts and refunds',
        tags,
        security: STAFF_ADMIN,
        responses: { '200': ok('The ledger', 'OrderLedger') },
        problems: [...GUARDED, 'not_found'],
      },
    },
  ];
}

export const PAYOUT_TAG: Json = {
  name: 'payouts',
  description: 'Refunds to the original payment method, pro-rata choices, the order ledger',
};
