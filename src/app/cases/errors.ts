/** Expected outcomes of the case use cases, as values (the HTTP layer maps the codes). */
import type { CaseState } from '../../domain/case-state.js';
import type { FieldError, Result } from '../../engine/index.js';

export type CaseErrorCode =
  | 'not_found'
  | 'forbidden'
  | 'invalid_request'
  | 'illegal_transition'
  | 'request_state_conflict'
  | 'case_not_decidable';

export interface CaseError {
  readonly code: CaseErrorCode;
  readonly detail: string;
  readonly errors?: readonly FieldError[];
  /** For `illegal_transition` and `request_state_conflict`: the state the case is in. */
  readonly state?: CaseState;
}

export type CaseResult<T> = Result<T, CaseError>;

export function caseNotFound(what = 'refund request'): CaseError {
  return { code: 'not_found', detail: `No ${what} with that id.` };
}

export function invalidField(pointer: string, message: string): CaseError {
  return {
    code: 'invalid_request',
    detail: `The request has 1 invalid field; see errors.`,
    errors: [{ pointer, message }],
  };
}

export function stateConflict(state: CaseState, detail: string): CaseError {
  return { code: 'request_state_conflict', detail, state };
}
