/**
 * The state machine of a refund case, as one explicit table. Pure: no I/O, no clock.
 *
 * Every move is a row of `TRANSITIONS`: the event, the states it may start from, the state it
 * leads to, who may perform it, and why it is allowed. `transition` is the only way to ask for a
 * move; the app calls it again inside the transaction that performs the move (after locking the
 * case) and audits the result, and maps `illegal_transition` to 409 with the current state.
 * Guards that need stored data — the second approver is not the first, the amount is above the
 * second-approval threshold, the ledger covers a payout — are the app's, in that same
 * transaction; the table says only which moves exist and who may ask for them.
 *
 * Re-running the engine on updated facts during review records a new decision without moving
 * the case: the reviewer then approves, offers pro-rata or denies (possibly overriding the
 * engine with a written reason). The engine moves a case itself only at intake (`submitted`)
 * and when a pending case re-decides itself at `decidableAt` (`pending_remediation`).
 *
 * Each state also says what the SLA clock does there (`CLOCK_BY_STATE`): it runs while the team
 * owes a decision, pauses while the case waits on the customer or on KYC, and stops once a
 * decision is made. `clockHistory` turns a state log into the segments `calendar.ts` counts.
 */
import type { ClockSegment } from './calendar.js';

export const CASE_STATES = [
  'submitted',
  'awaiting_customer',
  'awaiting_kyc',
  'in_review',
  'awaiting_approval',
  'pending_remediation',
  'approved',
  'prorata_offered',
  'denied',
  'withdrawn',
  'payout_pending',
  'paid',
  'payout_failed',
  'extension_pending',
  'extension_granted',
  'extension_failed',
] as const;
export type CaseState = (typeof CASE_STATES)[number];

/** Who performs a move: the desk itself (engine, timers, workers, providers) or a person. */
export const ACTOR_ROLES = ['system', 'customer', 'agent', 'approver', 'admin'] as const;
export type ActorRole = (typeof ACTOR_ROLES)[number];

export const CASE_EVENTS = [
  'decide_full_refund',
  'decide_prorata',
  'decide_pending',
  'decide_manual_review',
  'decide_denied',
  'ask_customer',
  'customer_answered',
  'require_kyc',
  'kyc_completed',
  'take_for_review',
  'approve',
  'request_second_approval',
  'second_approve',
  'return_to_review',
  'offer_prorata',
  'deny',
  'withdraw',
  'start_payout',
  'accept_prorata_refund',
  'choose_extension',
  'payout_confirmed',
  'payout_declined',
  'retry_payout',
  'extension_acknowledged',
  'extension_rejected',
  'retry_extension',
] as const;
export type CaseEvent = (typeof CASE_EVENTS)[number];

export interface TransitionRule {
  readonly from: readonly CaseState[];
  readonly to: CaseState;
  readonly actors: readonly ActorRole[];
  /** Why the move is allowed, in words a reviewer or an auditor reads. */
  readonly reason: string;
}

const STAFF: readonly ActorRole[] = ['agent', 'approver', 'admin'];
/** Where the engine decides a case by itself. */
const ENGINE_DECIDES_IN: readonly CaseState[] = ['submitted', 'pending_remediation'];

/** Every move there is. A move not in this table is illegal. */
export const TRANSITIONS: { readonly [E in CaseEvent]: TransitionRule } = {
  decide_full_refund: {
    from: ENGINE_DECIDES_IN,
    to: 'approved',
    actors: ['system'],
    reason:
      'The engine decided a full refund under the policy version in effect: at intake, or when a pending case re-decides itself at decidableAt.',
  },
  decide_prorata: {
    from: ENGINE_DECIDES_IN,
    to: 'prorata_offered',
    actors: ['system'],
    reason:
      'The engine decided a pro-rata refund (a confirmed incident beyond the window, with usage): the customer is offered the refund or a service extension.',
  },
  decide_pending: {
    from: ENGINE_DECIDES_IN,
    to: 'pending_remediation',
    actors: ['system'],
    reason:
      'The engine decided the case must wait out the remediation window (contract section 4); it re-decides itself at decidableAt, which a re-decision may move.',
  },
  decide_manual_review: {
    from: ENGINE_DECIDES_IN,
    to: 'in_review',
    actors: ['system'],
    reason: 'The engine cannot decide the case alone: it goes to technical review by staff.',
  },
  decide_denied: {
    from: ENGINE_DECIDES_IN,
    to: 'denied',
    actors: ['system'],
    reason: 'The engine denied the refund, citing the clauses it applied.',
  },
  ask_customer: {
    from: ['submitted', 'in_review'],
    to: 'awaiting_customer',
    actors: ['system', ...STAFF],
    reason:
      'Materials are incomplete or the reviewer needs specific details to reproduce the issue (technical review); the SLA clock pauses until the customer answers.',
  },
  customer_answered: {
    from: ['awaiting_customer'],
    to: 'in_review',
    actors: ['customer', 'system', ...STAFF],
    reason:
      'The customer answered (in the portal, by a reply email matched to the case, or through another official channel recorded by staff); review resumes and the clock runs again.',
  },
  require_kyc: {
    from: ['submitted', 'in_review'],
    to: 'awaiting_kyc',
    actors: ['system', ...STAFF],
    reason:
      'Risk controls or a reviewer require identity verification before a refund; the SLA clock pauses while KYC is pending.',
  },
  kyc_completed: {
    from: ['awaiting_kyc'],
    to: 'in_review',
    actors: ['system', ...STAFF],
    reason:
      'KYC finished, passed or failed; the review continues with its result and the clock runs again.',
  },
  take_for_review: {
    from: ['pending_remediation'],
    to: 'in_review',
    actors: STAFF,
    reason:
      'Staff take a pending case into review before its window closes, for example when the remediation is reported to have failed.',
  },
  approve: {
    from: ['in_review'],
    to: 'approved',
    actors: STAFF,
    reason:
      "A reviewer approves a full refund at or below the second-approval amount, following the engine's decision or overriding it with a written reason.",
  },
  request_second_approval: {
    from: ['in_review'],
    to: 'awaiting_approval',
    actors: STAFF,
    reason: 'An approval above the configured amount needs a second approver.',
  },
  second_approve: {
    from: ['awaiting_approval'],
    to: 'approved',
    actors: ['approver', 'admin'],
    reason:
      'A second approver, never the person who asked, confirms an approval above the configured amount.',
  },
  return_to_review: {
    from: ['awaiting_approval'],
    to: 'in_review',
    actors: ['approver', 'admin'],
    reason: 'The second approver does not confirm the approval; the case returns to review.',
  },
  offer_prorata: {
    from: ['in_review'],
    to: 'prorata_offered',
    actors: STAFF,
    reason:
      'A reviewer offers a pro-rata refund or a service extension for a confirmed system incident beyond the window with some usage.',
  },
  deny: {
    from: ['in_review', 'awaiting_customer', 'awaiting_kyc'],
    to: 'denied',
    actors: STAFF,
    reason:
      'A reviewer denies the refund with a written reason: after review, or when the information or KYC asked for does not come.',
  },
  withdraw: {
    from: [
      'submitted',
      'awaiting_customer',
      'awaiting_kyc',
      'in_review',
      'awaiting_approval',
      'pending_remediation',
      'approved',
      'prorata_offered',
    ],
    to: 'withdrawn',
    actors: ['customer'],
    reason:
      'The customer withdraws a case that is still open, before any money or extension is in flight.',
  },
  start_payout: {
    from: ['approved'],
    to: 'payout_pending',
    actors: ['system'],
    reason:
      'The payout instruction for an approved refund commits together with this change; a worker delivers it to the original payment method.',
  },
  accept_prorata_refund: {
    from: ['prorata_offered'],
    to: 'payout_pending',
    actors: ['customer'],
    reason:
      'The customer accepts the pro-rata refund; its payout instruction commits together with this change.',
  },
  choose_extension: {
    from: ['prorata_offered'],
    to: 'extension_pending',
    actors: ['customer'],
    reason:
      "The customer chooses the service extension instead; a signed command to the seller's system commits together with this change.",
  },
  payout_confirmed: {
    from: ['payout_pending'],
    to: 'paid',
    actors: ['system', ...STAFF],
    reason:
      'The provider confirmed the refund (directly or through reconciliation), or staff marked a bank transfer or manual payout paid with its reference.',
  },
  payout_declined: {
    from: ['payout_pending'],
    to: 'payout_failed',
    actors: ['system'],
    reason:
      "The provider declined the refund, or reconciliation found it failed; it goes back to staff with the provider's reason.",
  },
  retry_payout: {
    from: ['payout_failed'],
    to: 'payout_pending',
    actors: STAFF,
    reason:
      'Staff retry a failed payout once its cause is fixed; the ledger checks again that the order still covers it.',
  },
  extension_acknowledged: {
    from: ['extension_pending'],
    to: 'extension_granted',
    actors: ['system'],
    reason: "The seller's provisioning system acknowledged the service extension.",
  },
  extension_rejected: {
    from: ['extension_pending'],
    to: 'extension_failed',
    actors: ['system'],
    reason:
      "The seller's provisioning system refused the extension or never acknowledged it; it goes back to staff.",
  },
  retry_extension: {
    from: ['extension_failed'],
    to: 'extension_pending',
    actors: STAFF,
    reason: "Staff send the extension again once the seller's system can take it.",
  },
};

export type TransitionError =
  | {
      readonly code: 'illegal_transition';
      readonly from: CaseState;
      readonly event: CaseEvent;
    }
  | {
      readonly code: 'actor_not_allowed';
      readonly from: CaseState;
      readonly event: CaseEvent;
      readonly actor: ActorRole;
      readonly allowed: readonly ActorRole[];
    };

export interface TransitionMove {
  readonly from: CaseState;
  readonly event: CaseEvent;
  readonly to: CaseState;
  readonly reason: string;
}

export type TransitionResult =
  | { readonly ok: true; readonly value: TransitionMove }
  | { readonly ok: false; readonly error: TransitionError };

/**
 * The move `event` makes from `state` when `actor` asks for it. An event that does not start
 * from `state` is `illegal_transition` (409, with the current state); an allowed move asked for
 * by someone who may not perform it is `actor_not_allowed` (403).
 */
export function transition(state: CaseState, event: CaseEvent, actor: ActorRole): TransitionResult {
  const rule = TRANSITIONS[event];
  if (!rule.from.includes(state)) {
    return { ok: false, error: { code: 'illegal_transition', from: state, event } };
  }
  if (!rule.actors.includes(actor)) {
    return {
      ok: false,
      error: { code: 'actor_not_allowed', from: state, event, actor, allowed: rule.actors },
    };
  }
  return { ok: true, value: { from: state, event, to: rule.to, reason: rule.reason } };
}

/** The events that may start from `state` (for `actor`, when given), in table order. */
export function eventsFrom(state: CaseState, actor?: ActorRole): CaseEvent[] {
  return CASE_EVENTS.filter((event) => {
    const rule = TRANSITIONS[event];
    return rule.from.includes(state) && (actor === undefined || rule.actors.includes(actor));
  });
}

/** Final states: no move starts from them. Derived from the table, so it cannot drift. */
export const FINAL_STATES: ReadonlySet<CaseState> = new Set(
  CASE_STATES.filter((state) => eventsFrom(state).length === 0),
);

export function isFinal(state: CaseState): boolean {
  return FINAL_STATES.has(state);
}

export function isCaseState(value: string): value is CaseState {
  return (CASE_STATES as readonly string[]).includes(value);
}

export function isCaseEvent(value: string): value is CaseEvent {
  return (CASE_EVENTS as readonly string[]).includes(value);
}

export function isActorRole(value: string): value is ActorRole {
  return (ACTOR_ROLES as readonly string[]).includes(value);
}

// ---------------------------------------------------------------------------------------------
// Decisions of the engine.

/** The decision outcomes (decision.schema.json), restated so the domain depends on nothing. */
export type DecisionOutcome = 'full_refund' | 'prorata' | 'pending' | 'manual_review' | 'denied';

/** The event by which the engine's decision moves a case. */
export const DECISION_EVENT: { readonly [O in DecisionOutcome]: CaseEvent } = {
  full_refund: 'decide_full_refund',
  prorata: 'decide_prorata',
  pending: 'decide_pending',
  manual_review: 'decide_manual_review',
  denied: 'decide_denied',
};

/** The states a first decision puts a case in. */
export type InitialState =
  'approved' | 'prorata_offered' | 'pending_remediation' | 'in_review' | 'denied';

const INITIAL_STATE: { readonly [O in DecisionOutcome]: InitialState } = {
  full_refund: 'approved',
  prorata: 'prorata_offered',
  pending: 'pending_remediation',
  manual_review: 'in_review',
  denied: 'denied',
};

/**
 * The state a case starts in, from the outcome of its first decision: the state that
 * `DECISION_EVENT[outcome]` leads to from `submitted` (a test holds the two together).
 */
export function initialState(outcome: DecisionOutcome): InitialState {
  return INITIAL_STATE[outcome];
}

// ---------------------------------------------------------------------------------------------
// The SLA clock.

/**
 * `running`: the team owes a decision (the clock starts at intake, whose form requires the
 * materials; a case found incomplete moves to awaiting_customer and its clock waits there).
 * `paused`: waiting on the customer or on KYC. `stopped`: a decision has been made — including
 * pending_remediation, where the policy, not the team, sets when the case re-decides.
 */
export type ClockMode = 'running' | 'paused' | 'stopped';

export const CLOCK_BY_STATE: { readonly [S in CaseState]: ClockMode } = {
  submitted: 'running',
  awaiting_customer: 'paused',
  awaiting_kyc: 'paused',
  in_review: 'running',
  awaiting_approval: 'running',
  pending_remediation: 'stopped',
  approved: 'stopped',
  prorata_offered: 'stopped',
  denied: 'stopped',
  withdrawn: 'stopped',
  payout_pending: 'stopped',
  paid: 'stopped',
  payout_failed: 'stopped',
  extension_pending: 'stopped',
  extension_granted: 'stopped',
  extension_failed: 'stopped',
};

/** One row of a case's state log: the case entered `state` at `atMs`. */
export interface StateLogEntry {
  readonly state: CaseState;
  readonly atMs: number;
}

/**
 * The SLA clock segments of a state log (oldest first): each state runs from its entry to the
 * next entry, the last one open-ended; the clock runs only in `running` states. Feed the result
 * to `dueInstant` — the due instant is recomputed from the log, never kept as a counter.
 */
export function clockHistory(log: readonly StateLogEntry[]): ClockSegment[] {
  return log.map((entry, index) => {
    const next = log[index + 1];
    if (!Number.isSafeInteger(entry.atMs)) {
      throw new RangeError(`log[${index}].atMs must be an integer instant`);
    }
    if (next !== undefined && next.atMs < entry.atMs) {
      throw new RangeError(`log[${index + 1}] is older than log[${index}]`);
    }
    return {
      startsAtMs: entry.atMs,
      endsAtMs: next === undefined ? null : next.atMs,
      running: CLOCK_BY_STATE[entry.state] === 'running',
    };
  });
}
