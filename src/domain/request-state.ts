/**
 * The states a refund request is stored in, and the moves the request use cases perform on
 * them. Pure: no I/O, no clock. A view over the one transition table in `case-state.ts`: a
 * request is stored in any case state (`REQUEST_STATES` is `CASE_STATES`), and every move after
 * intake goes through `moveCase` (src/app/cases/move.ts), which re-checks it with that table.
 *
 * A request starts in the state its first decision puts it in (`initialState`). It is *open*
 * while its customer may still withdraw it (the table's `withdraw` row): open requests accept
 * evidence. It *blocks* another request on the same order while it is not final — including the
 * payout and extension states, when money or an extension is in flight.
 */
import {
  CASE_STATES,
  initialState as caseInitialState,
  isCaseState,
  isFinal,
  TRANSITIONS as CASE_TRANSITIONS,
  type CaseState,
  type DecisionOutcome,
  type InitialState,
} from './case-state.js';

export type { DecisionOutcome } from './case-state.js';

/** The stored states: every state of the case table. */
export const REQUEST_STATES = CASE_STATES;
export type RequestState = CaseState;

/** The state a request starts in, from the outcome of its first decision. */
export function initialState(outcome: DecisionOutcome): RequestState & InitialState {
  return caseInitialState(outcome);
}

export function isRequestState(value: string): value is RequestState {
  return isCaseState(value);
}

export type RequestEvent = 'withdraw';

/** The moves the request use cases perform, from the case table. */
export const TRANSITIONS: {
  readonly [E in RequestEvent]: {
    readonly from: ReadonlySet<RequestState>;
    readonly to: RequestState;
  };
} = {
  withdraw: {
    from: new Set(CASE_TRANSITIONS.withdraw.from),
    to: CASE_TRANSITIONS.withdraw.to,
  },
};

/** Open states: the customer may still withdraw the request, and add evidence to it. */
export const OPEN_STATES: ReadonlySet<RequestState> = TRANSITIONS.withdraw.from;

export function isOpen(state: RequestState): boolean {
  return OPEN_STATES.has(state);
}

/** States that block another request on the same order: every state that is not final. */
export const BLOCKING_STATES: ReadonlySet<RequestState> = new Set(
  CASE_STATES.filter((state) => !isFinal(state)),
);

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
