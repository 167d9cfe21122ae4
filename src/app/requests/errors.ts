/** Expected outcomes of the refund-request use cases, as values (the HTTP layer maps codes). */
import type { RequestState } from '../../domain/request-state.js';
import type { FieldError } from '../../engine/index.js';
import type { EvidenceErrorCode } from '../evidence.js';

export type RequestErrorCode =
  | 'not_found'
  | 'invalid_request'
  | 'payment_method_mismatch'
  | 'request_already_open'
  | 'request_state_conflict'
  | 'case_not_decidable'
  /** An evidence row of an earlier version whose file is gone from the evidence folder. */
  | 'evidence_missing'
  | EvidenceErrorCode;

export interface RequestError {
  readonly code: RequestErrorCode;
  readonly detail: string;
  readonly errors?: readonly FieldError[];
  /** For `request_state_conflict`: the state the request is in. */
  readonly state?: RequestState;
}

export function notFound(what: string): RequestError {
  return { code: 'not_found', detail: `No ${what} with that id.` };
}
