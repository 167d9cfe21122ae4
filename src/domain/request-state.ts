/**
 * The states a refund request is stored in today, and the moves the desk performs on them so
 * far. Pure: no I/O, no clock. A view over the one transition table in `case-state.ts`, kept
 * so the request use cases (src/app/requests) keep their narrower types while the case desk
 * grows into the full state machine there.
 *
 * A request starts in the state its first decision puts it in (`initialState`). Until payouts
 * exist, `approved` counts as open: the money has not been paid, so the customer may still
 * withdraw.
 */
import {
  initialState as caseInitialState,
  TRANSITIONS as CASE_TRANSITIONS,
  type DecisionOutcome,
  type InitialState,
} from './case-state.js';

export type { DecisionOutcome } from './case-state.js';

/** The stored states: the initial states of every outcome, plus withdrawn. */
export const REQUEST_STATES = [
  'approved',
  'prorata_offered',
  'pending_remediation',
  'in_review',
  'denied',
  'withdrawn',
] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

/** The state a request starts in, from the outcome of its first decision. */
export function initialState(outcome: DecisionOutcome): RequestState & InitialState {
  return caseInitialState(outcome);
}

export function isRequestState(value: string): value is RequestState {
  return (REQUEST_STATES as readonly string[]).includes(value);
}

export type RequestEvent = 'withdraw';

/** Every move the request use cases perform, from the case table, limited to stored states. */
export const TRANSITIONS: {
  readonly [E in RequestEvent]: {
    readonly from: ReadonlySet<RequestState>;
    readonly to: RequestState;
  };
} = {
  withdraw: {
    from: new Set(REQUEST_STATES.filter((s) => CASE_TRANSITIONS.withdraw.from.includes(s))),
    to: 'withdrawn',
  },
};

/**
 * Open states: the request is still being handled, so it blocks another request on the same
 * order, accepts evidence and may be withdrawn. `approved` is open until payouts exist.
 */
export const OPEN_STATES: ReadonlySet<RequestState> = TRANSITIONS.withdraw.from;

export function isOpen(state: RequestState): boolean {
  return OPEN_STATES.has(state);
}

export type Transition =
  | { readonly ok: true; readonly from: RequestState; readonly to: RequestState }
  | { readonly ok: false; readonly from: RequestState; readonly event: RequestEvent };

/** The move `event` makes from `state`, or a refusal naming the state it is not allowed from. */
export function transition(state: RequestState, event: RequestEvent): Transition {
  const move = TRANSITIONS[event];
  return move.from.has(state)
    ? { ok: true, from: state, to: move.to }
    : { ok: false, from: state, event };
}
