/**
 * The states of a refund request and the moves between them. Pure: no I/O, no clock.
 *
 * A request starts in the state its first decision puts it in (`initialState`). The table
 * `TRANSITIONS` lists every move allowed so far; a later issue grows it into the full state
 * machine (review, approval, payout, appeal). Until payouts exist, `approved` counts as open: the
 * money has not been paid, so the customer may still withdraw.
 */

export const REQUEST_STATES = [
  'approved',
  'prorata_offered',
  'pending_remediation',
  'in_review',
  'denied',
  'withdrawn',
] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

/** The decision outcomes (decision.schema.json), restated so the domain depends on nothing. */
export type DecisionOutcome = 'full_refund' | 'prorata' | 'pending' | 'manual_review' | 'denied';

const INITIAL_STATE: { readonly [O in DecisionOutcome]: RequestState } = {
  full_refund: 'approved',
  prorata: 'prorata_offered',
  pending: 'pending_remediation',
  manual_review: 'in_review',
  denied: 'denied',
};

/** The state a request starts in, from the outcome of its first decision. */
export function initialState(outcome: DecisionOutcome): RequestState {
  return INITIAL_STATE[outcome];
}

/**
 * Open states: the request is still being handled, so it blocks another request on the same
 * order and may be withdrawn. `approved` is open until payouts exist (nothing is paid yet).
 */
export const OPEN_STATES: ReadonlySet<RequestState> = new Set<RequestState>([
  'approved',
  'prorata_offered',
  'pending_remediation',
  'in_review',
]);

export function isOpen(state: RequestState): boolean {
  return OPEN_STATES.has(state);
}

export function isRequestState(value: string): value is RequestState {
  return (REQUEST_STATES as readonly string[]).includes(value);
}

export type RequestEvent = 'withdraw';

/** Every allowed move: event → the states it may start from → the state it leads to. */
export const TRANSITIONS: {
  readonly [E in RequestEvent]: {
    readonly from: ReadonlySet<RequestState>;
    readonly to: RequestState;
  };
} = {
  withdraw: { from: OPEN_STATES, to: 'withdrawn' },
};

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
