/**
 * RFC 9457 problem details: every error the HTTP API returns. Each error carries a stable
 * machine `code` from a closed set; the table below maps every code to its HTTP status and
 * title, and the compiler rejects a code without an entry.
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { FieldError } from '../engine/index.js';

export const PROBLEM_CODES = [
  'invalid_case',
  'invalid_json',
  'unsupported_media_type',
  'payload_too_large',
  'not_found',
  'method_not_allowed',
  'internal',
  'unauthorized',
  'token_replayed',
  'forbidden',
  'invalid_request',
  'email_taken',
  'too_many_attempts',
  'payment_method_mismatch',
  'request_already_open',
  'request_state_conflict',
  'case_not_decidable',
  'unsupported_evidence',
  'evidence_too_large',
  'too_many_evidence_files',
  'evidence_missing',
  'invalid_idempotency_key',
  'idempotency_key_reused',
  'idempotency_key_in_flight',
  'unknown_reference',
  'inconsistent_facts',
  'illegal_transition',
  'ledger_refused',
  'payout_state_conflict',
  'nothing_to_batch',
  'webhook_rejected',
  'provider_unavailable',
] as const;

export type ProblemCode = (typeof PROBLEM_CODES)[number];

export interface ProblemKind {
  readonly status: ContentfulStatusCode;
  readonly title: string;
}

/** The one table from code to status: exhaustive over `ProblemCode`. */
export const PROBLEMS: { readonly [C in ProblemCode]: ProblemKind } = {
  invalid_case: { status: 400, title: 'Invalid case' },
  invalid_json: { status: 400, title: 'Malformed JSON' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  internal: { status: 500, title: 'Internal error' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  token_replayed: { status: 401, title: 'Sign-in token already used' },
  forbidden: { status: 403, title: 'Forbidden' },
  invalid_request: { status: 400, title: 'Invalid request' },
  email_taken: { status: 409, title: 'Email already in use' },
  too_many_attempts: { status: 429, title: 'Too many failed attempts' },
  payment_method_mismatch: { status: 422, title: "Payment method does not match the order's" },
  request_already_open: { status: 409, title: 'A request on this order is already open' },
  request_state_conflict: { status: 409, title: 'Not allowed in the current state' },
  case_not_decidable: { status: 422, title: 'The stored facts cannot be decided' },
  unsupported_evidence: { status: 415, title: 'Unsupported evidence file' },
  evidence_too_large: { status: 413, title: 'Evidence file too large' },
  too_many_evidence_files: { status: 422, title: 'Too many evidence files' },
  evidence_missing: { status: 410, title: 'Evidence file no longer stored' },
  invalid_idempotency_key: { status: 400, title: 'Invalid Idempotency-Key' },
  idempotency_key_reused: { status: 422, title: 'Idempotency-Key reused with another request' },
  idempotency_key_in_flight: { status: 409, title: 'Idempotency-Key still in flight' },
  unknown_reference: { status: 422, title: 'Refers to facts that are not stored' },
  inconsistent_facts: { status: 422, title: 'Contradicts the stored facts' },
  illegal_transition: { status: 409, title: 'The case cannot make this move from its state' },
  ledger_refused: { status: 409, title: 'The order does not cover this refund' },
  payout_state_conflict: { status: 409, title: "Not allowed in the payout's current state" },
  nothing_to_batch: { status: 409, title: 'No payout waits to be put in a batch' },
  webhook_rejected: { status: 400, title: 'Webhook signature or event refused' },
  provider_unavailable: { status: 503, title: 'Payment provider unavailable' },
};

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** Problem types are URNs: stable identifiers, not links to dereference. */
export function problemType(code: ProblemCode): string {
  return `urn:refund-desk:problem:${code}`;
}

export interface ProblemFieldError {
  /** JSON Pointer (RFC 6901) into the request body; "" is the whole body. */
  readonly pointer: string;
  readonly detail: string;
}

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: ProblemCode;
  readonly errors?: readonly ProblemFieldError[];
}

export function problem(
  code: ProblemCode,
  detail: string,
  errors?: readonly FieldError[],
): Problem {
  const { status, title } = PROBLEMS[code];
  const body: Problem = { type: problemType(code), title, status, detail, code };
  return errors === undefined
    ? body
    : { ...body, errors: errors.map((e) => ({ pointer: e.pointer, detail: e.message })) };
}

/** The problem as an HTTP response, `application/problem+json`. */
export function problemResponse(
  body: Problem,
  headers: Readonly<Record<string, string>> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status: body.status,
    headers: { ...headers, 'content-type': PROBLEM_MEDIA_TYPE },
  });
}

/** "The case has 2 invalid fields; see errors." */
export function invalidFieldsDetail(what: string, count: number): string {
  return `The ${what} has ${count} invalid field${count === 1 ? '' : 's'}; see errors.`;
}

/** A handler for the other methods on a path: 405 `method_not_allowed` with `Allow`. */
export function methodNotAllowed(allow: string) {
  return (c: { readonly req: { readonly method: string; readonly path: string } }): Response =>
    problemResponse(
      problem('method_not_allowed', `${c.req.method} is not allowed on ${c.req.path}.`),
      { allow },
    );
}
