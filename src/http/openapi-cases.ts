/**
 * The review and queue operations (routes/cases.ts) for the OpenAPI document: request bodies
 * are the very schemas the routes validate with (app/cases/input.ts), responses the views of
 * app/cases (closed objects, every field required). openapi-desk.ts lists the routes and
 * bodies, openapi-views.ts the views.
 */
import { INFO_LIMITS } from '../app/cases/info.js';
import { REVIEW_SCHEMAS, type ReviewSchemaName } from '../app/cases/input.js';
import { QUEUE_LIMITS } from '../app/cases/queue.js';
import { CASE_EVENTS, CASE_STATES } from '../domain/case-state.js';
import { SLA_STATUSES } from '../domain/sla.js';
import {
  CLAUSE_IDS,
  CONDITION_CODES,
  OUTCOME_REASON_CODES,
  REPORT_CAUSES,
} from '../engine/index.js';
import {
  bodyComponents,
  jsonContent,
  limitParameter,
  record,
  ref,
  type Json,
  type OperationSpec,
  type Route,
  type Security,
} from './openapi-kit.js';
import type { ProblemCode } from './problems.js';
import { MAX_CASE_BODY_BYTES } from './routes/cases.js';

const instant: Json = { type: 'string', format: 'date-time', description: 'RFC 3339 in UTC' };
const nullableInstant: Json = { oneOf: [instant, { type: 'null' }] };
const text: Json = { type: 'string' };
const nullableText: Json = { type: ['string', 'null'] };
const seq: Json = { type: 'integer', minimum: 1 };
const state: Json = { enum: [...CASE_STATES] };

const list = (item: string): Json => ({ type: 'array', items: ref(item) });

/** Body components by name, from the schemas the routes validate with. */
const BODY_COMPONENT: { readonly [N in ReviewSchemaName]: string } = {
  finding: 'ReviewFinding',
  infoRequest: 'InfoRequestBody',
  answer: 'InfoRequestAnswer',
  note: 'ReviewNote',
  kycCompletion: 'KycCompletion',
  approval: 'Approval',
  prorataOffer: 'ProrataOffer',
  denial: 'Denial',
  secondApproval: 'SecondApproval',
};

export function caseBodySchemas(): Record<string, Json> {
  return bodyComponents(REVIEW_SCHEMAS, BODY_COMPONENT);
}

export const CASE_VIEW_SCHEMAS: Readonly<Record<string, Json>> = {
  InfoRequest: record({
    id: text,
    requestId: text,
    questions: { type: 'array', maxItems: INFO_LIMITS.maxQuestions, items: text },
    askedBy: { type: 'string', description: 'kind:id of who asked (system:… when intake did)' },
    askedAt: instant,
    answer: nullableText,
    answeredVia: { enum: ['portal', 'email', 'staff', null] },
    answeredBy: nullableText,
    answeredAt: nullableInstant,
  }),
  InfoRequestList: record({ items: list('InfoRequest') }),
  InfoRequestEnvelope: record({ infoRequest: ref('InfoRequest') }),
  CaseQueueItem: record({
    requestId: text,
    orderId: text,
    customerId: text,
    state,
    submittedAt: instant,
    updatedAt: instant,
    targetAt: nullableInstant,
    deadlineAt: nullableInstant,
    status: { enum: [...SLA_STATUSES] },
  }),
  CaseQueuePage: record({
    items: {
      type: 'array',
      items: ref('CaseQueueItem'),
      description: 'soonest deadline first; unknown last',
    },
    nextCursor: {
      type: ['string', 'null'],
      description: 'pass as `cursor` for the next page; null on the last page',
    },
  }),
  ReviewCase: record({
    request: ref('RefundRequest'),
    state,
    sla: record(
      {
        status: { enum: [...SLA_STATUSES] },
        targetAt: nullableInstant,
        deadlineAt: nullableInstant,
        targetBusinessDays: { type: 'integer', minimum: 1 },
        deadlineBusinessDays: { type: 'integer', minimum: 1 },
        calendar: { type: 'string', description: 'the id of the desk’s business calendar' },
      },
      'Recomputed from the state log at the time of the answer.',
    ),
    nextEvents: {
      type: 'array',
      items: { enum: [...CASE_EVENTS] },
      description: 'the moves the caller may ask for from the current state',
    },
    decisions: {
      type: 'array',
      description: "oldest first: the engine's decisions and staff overrides",
      items: record({
        seq,
        decidedAt: instant,
        source: { enum: ['engine', 'override'] },
        decidedBy: nullableText,
        note: nullableText,
        decision: ref('Decision'),
        explanation: record({
          headline: text,
          policyVersion: text,
          reasons: {
            type: 'array',
            items: record({
              code: { enum: [...CONDITION_CODES, ...OUTCOME_REASON_CODES] },
              clause: { enum: [...CLAUSE_IDS] },
              clauseTitle: text,
              clauseText: text,
              message: text,
            }),
          },
        }),
      }),
    },
    transitions: {
      type: 'array',
      description: 'the state log, oldest first',
      items: record({
        seq,
        event: { enum: [...CASE_EVENTS] },
        fromState: { enum: [...CASE_STATES, null] },
        toState: state,
        actor: record({ kind: text, id: text }),
        reason: text,
        at: instant,
      }),
    },
    reports: {
      type: 'array',
      items: record({
        id: text,
        reportedAt: instant,
        cause: { enum: [...REPORT_CAUSES] },
        remediatedAt: nullableInstant,
        description: text,
      }),
    },
    findings: {
      type: 'array',
      items: record({
        id: text,
        requestId: text,
        reportId: text,
        cause: { enum: [...REPORT_CAUSES] },
        remediation: text,
        remediatedAt: nullableInstant,
        recordedBy: text,
        recordedAt: instant,
      }),
    },
    infoRequests: list('InfoRequest'),
    approvals: {
      type: 'array',
      items: record({
        id: text,
        decisionSeq: seq,
        amountMinor: { type: 'integer', minimum: 0 },
        currency: { type: 'string', pattern: '^[A-Z]{3}$' },
        requestedBy: text,
        requestedAt: instant,
        reason: text,
        status: { enum: ['pending', 'confirmed', 'returned'] },
        decidedBy: nullableText,
        decidedAt: nullableInstant,
        note: nullableText,
      }),
    },
  }),
};

const GUARDED: readonly ProblemCode[] = ['unauthorized', 'forbidden'];
const JSON_BODY: readonly ProblemCode[] = [
  'unsupported_media_type',
  'invalid_json',
  'invalid_request',
  'payload_too_large',
];
const CASE_READER: Security = [{ session: ['staff'] }, { apiKey: ['requests:read'] }];
const CASE_WORKER: Security = [{ session: ['staff'] }, { apiKey: ['requests:write'] }];
const STAFF: Security = [{ session: ['staff'] }];

function body(name: ReviewSchemaName, required = true): Json {
  return {
    required,
    description: `JSON, at most ${MAX_CASE_BODY_BYTES} bytes.`,
    content: jsonContent(ref(BODY_COMPONENT[name])),
  };
}

const theCase = {
  '200': { description: 'The case after the action', content: jsonContent(ref('ReviewCase')) },
};

export function caseRoutes(): Route[] {
  const tags = ['review'];
  const base = '/v1/cases';
  const post = (
    path: string,
    spec: Omit<OperationSpec, 'tags' | 'responses'> & { responses?: OperationSpec['responses'] },
  ): Route => ({
    method: 'post',
    path: `${base}/{id}/${path}`,
    spec: { tags, responses: theCase, ...spec },
  });
  const moves: readonly ProblemCode[] = [
    ...GUARDED,
    ...JSON_BODY,
    'not_found',
    'illegal_transition',
  ];
  return [
    {
      method: 'get',
      path: base,
      spec: {
        operationId: 'listCaseQueue',
        summary: 'The staff queue: open cases by SLA deadline, warned and breached marked',
        description:
          'Cases whose SLA clock runs or is paused, soonest deadline first (a deadline not ' +
          'known yet sorts last), paged by `cursor`.',
        tags,
        security: CASE_READER,
        parameters: [
          limitParameter(QUEUE_LIMITS),
          {
            name: 'cursor',
            in: 'query',
            required: false,
            description: 'the `nextCursor` of the previous page',
            schema: { type: 'string', minLength: 1 },
          },
        ],
        responses: {
          '200': { description: 'A page of the queue', content: jsonContent(ref('CaseQueuePage')) },
        },
        problems: [...GUARDED, 'invalid_request'],
      },
    },
    {
      method: 'get',
      path: `${base}/{id}`,
      spec: {
        operationId: 'getCase',
        summary: 'A case for review: decisions explained with clause texts, log, SLA',
        tags,
        security: CASE_READER,
        responses: { '200': { description: 'The case', content: jsonContent(ref('ReviewCase')) } },
        problems: [...GUARDED, 'not_found'],
      },
    },
    post('findings', {
      operationId: 'recordFinding',
      summary: "Record a report's cause and remediation (updates the report's facts)",
      security: CASE_WORKER,
      requestBody: body('finding'),
      problems: [...GUARDED, ...JSON_BODY, 'not_found', 'request_state_conflict'],
    }),
    post('info-requests', {
      operationId: 'askCustomer',
      summary: 'Ask the customer for specific information (the SLA clock pauses)',
      security: CASE_WORKER,
      requestBody: body('infoRequest'),
      problems: moves,
    }),
    post('kyc/require', {
      operationId: 'requireKyc',
      summary: 'Require KYC (the SLA clock pauses)',
      security: CASE_WORKER,
      requestBody: body('note', false),
      problems: moves,
    }),
    post('kyc/complete', {
      operationId: 'completeKyc',
      summary: 'Record the KYC result; the review resumes',
      security: CASE_WORKER,
      requestBody: body('kycCompletion'),
      problems: moves,
    }),
    post('re-decide', {
      operationId: 'reDecideCase',
      summary: 'Re-run the engine on the facts as stored now (a new decision)',
      description:
        'In review the case stays where it is; a submitted or pending case moves as the ' +
        'decision says. Not while an approval waits for its second approver.',
      security: CASE_WORKER,
      requestBody: body('note', false),
      problems: [...moves, 'request_state_conflict', 'case_not_decidable'],
    }),
    post('approve', {
      operationId: 'approveCase',
      summary: 'Approve a full refund (above the configured amount: awaits a second approver)',
      description:
        "Without `refundMinor`, the engine's full-refund amount. Another amount, or approving " +
        'against another outcome, overrides the engine and needs a written `reason`.',
      security: STAFF,
      requestBody: body('approval', false),
      problems: moves,
    }),
    post('offer-prorata', {
      operationId: 'offerProrata',
      summary: 'Offer a pro-rata refund or a service extension',
      security: STAFF,
      requestBody: body('prorataOffer', false),
      problems: moves,
    }),
    post('deny', {
      operationId: 'denyCase',
      summary: 'Deny, with a written reason',
      security: STAFF,
      requestBody: body('denial'),
      problems: moves,
    }),
    post('second-approval', {
      operationId: 'secondApproveCase',
      summary: 'Confirm an approval as second approver, or return the case to review',
      description: 'Approvers and admins only, and never the person who approved first (403).',
      security: STAFF,
      requestBody: body('secondApproval'),
      problems: moves,
    }),
    {
      method: 'get',
      path: '/v1/refund-requests/{id}/info-requests',
      spec: {
        operationId: 'listInfoRequests',
        summary: 'The questions asked about a request, and their answers',
        description: "Another customer's request is 404, as one that does not exist.",
        tags: ['refund-requests'],
        security: [
          { session: ['customer'] },
          { session: ['staff'] },
          { apiKey: ['requests:read'] },
        ],
        responses: {
          '200': { description: 'The questions', content: jsonContent(ref('InfoRequestList')) },
        },
        problems: [...GUARDED, 'not_found'],
      },
    },
    {
      method: 'post',
      path: '/v1/refund-requests/{id}/info-requests/{infoRequestId}/answer',
      spec: {
        operationId: 'answerInfoRequest',
        summary: 'Answer a question (the owner); the review resumes',
        tags: ['refund-requests'],
        security: [{ session: ['customer'] }],
        requestBody: body('answer'),
        responses: {
          '200': {
            description: 'The answered question',
            content: jsonContent(ref('InfoRequestEnvelope')),
          },
        },
        problems: [...moves, 'request_state_conflict'],
      },
    },
  ];
}

export const CASE_TAG: Json = {
  name: 'review',
  description: 'Technical review, decisions by staff, second approval and the SLA queue',
};
