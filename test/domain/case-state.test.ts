/** The case state machine (pure): one table, who may move a case, and what its SLA clock does. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dueInstant, parseCalendar } from '../../src/domain/calendar.js';
import {
  ACTOR_ROLES,
  CASE_EVENTS,
  CASE_STATES,
  CLOCK_BY_STATE,
  clockHistory,
  DECISION_EVENT,
  eventsFrom,
  FINAL_STATES,
  initialState,
  isCaseEvent,
  isCaseState,
  isFinal,
  transition,
  TRANSITIONS,
  type ActorRole,
  type CaseEvent,
  type CaseState,
  type DecisionOutcome,
  type StateLogEntry,
} from '../../src/domain/case-state.js';
import * as requestState from '../../src/domain/request-state.js';

const OUTCOMES: DecisionOutcome[] = [
  'full_refund',
  'prorata',
  'pending',
  'manual_review',
  'denied',
];

/** Every state reachable from `start` by any move of the table. */
function reachableFrom(start: CaseState): Set<CaseState> {
  const seen = new Set<CaseState>([start]);
  const queue: CaseState[] = [start];
  for (let state = queue.shift(); state !== undefined; state = queue.shift()) {
    for (const event of eventsFrom(state)) {
      const to = TRANSITIONS[event].to;
      if (!seen.has(to)) {
        seen.add(to);
        queue.push(to);
      }
    }
  }
  return seen;
}

describe('the transition table', () => {
  it('gives every move its states, its actors and a reason', () => {
    for (const event of CASE_EVENTS) {
      const rule = TRANSITIONS[event];
      expect(rule.from.length, event).toBeGreaterThan(0);
      expect(new Set(rule.from).size, event).toBe(rule.from.length);
      expect(rule.actors.length, event).toBeGreaterThan(0);
      expect(new Set(rule.actors).size, event).toBe(rule.actors.length);
      expect(rule.reason, event).toMatch(/^[A-Z].{20,}\.$/);
    }
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...CASE_EVENTS].sort());
  });

  it('ends in exactly these final states, from which nothing moves', () => {
    expect([...FINAL_STATES]).toEqual(['denied', 'withdrawn', 'paid', 'extension_granted']);
    for (const state of FINAL_STATES) {
      for (const event of CASE_EVENTS) {
        for (const actor of ACTOR_ROLES) {
          expect(transition(state, event, actor)).toEqual({
            ok: false,
            error: { code: 'illegal_transition', from: state, event },
          });
        }
      }
    }
  });

  it('reaches every state from submitted, and a final state from every state', () => {
    expect([...reachableFrom('submitted')].sort()).toEqual([...CASE_STATES].sort());
    for (const state of CASE_STATES) {
      const finals = [...reachableFrom(state)].filter(isFinal);
      expect(finals.length, state).toBeGreaterThan(0);
    }
    // Nothing moves a case back to submitted.
    expect(CASE_EVENTS.filter((e) => TRANSITIONS[e].to === 'submitted')).toEqual([]);
  });

  it('moves exactly as the table says, refusing the state before the actor', () => {
    for (const state of CASE_STATES) {
      for (const event of CASE_EVENTS) {
        for (const actor of ACTOR_ROLES) {
          const rule = TRANSITIONS[event];
          const result = transition(state, event, actor);
          if (!rule.from.includes(state)) {
            expect(result).toEqual({
              ok: false,
              error: { code: 'illegal_transition', from: state, event },
            });
          } else if (!rule.actors.includes(actor)) {
            expect(result).toEqual({
              ok: false,
              error: { code: 'actor_not_allowed', from: state, event, actor, allowed: rule.actors },
            });
          } else {
            expect(result).toEqual({
              ok: true,
              value: { from: state, event, to: rule.to, reason: rule.reason },
            });
          }
        }
      }
    }
  });

  it('lets the right people make the moves that matter', () => {
    expect(transition('in_review', 'approve', 'customer')).toMatchObject({
      ok: false,
      error: { code: 'actor_not_allowed' },
    });
    expect(transition('awaiting_approval', 'second_approve', 'agent')).toMatchObject({
      ok: false,
      error: { code: 'actor_not_allowed', allowed: ['approver', 'admin'] },
    });
    expect(transition('awaiting_approval', 'second_approve', 'approver')).toMatchObject({
      ok: true,
      value: { to: 'approved' },
    });
    expect(transition('in_review', 'withdraw', 'agent')).toMatchObject({ ok: false });
    expect(transition('payout_pending', 'withdraw', 'customer')).toEqual({
      ok: false,
      error: { code: 'illegal_transition', from: 'payout_pending', event: 'withdraw' },
    });
    expect(transition('approved', 'start_payout', 'system')).toMatchObject({
      ok: true,
      value: { to: 'payout_pending' },
    });
    expect(eventsFrom('prorata_offered', 'customer')).toEqual([
      'withdraw',
      'accept_prorata_refund',
      'choose_extension',
    ]);
  });

  it('starts each decision outcome where the engine’s move from submitted leads', () => {
    expect(Object.fromEntries(OUTCOMES.map((o) => [o, initialState(o)]))).toEqual({
      full_refund: 'approved',
      prorata: 'prorata_offered',
      pending: 'pending_remediation',
      manual_review: 'in_review',
      denied: 'denied',
    });
    for (const outcome of OUTCOMES) {
      const move = transition('submitted', DECISION_EVENT[outcome], 'system');
      expect(move).toMatchObject({ ok: true, value: { to: initialState(outcome) } });
      // A pending case re-decides itself the same way when its window closes.
      const redecided = transition('pending_remediation', DECISION_EVENT[outcome], 'system');
      expect(redecided).toMatchObject({ ok: true, value: { to: initialState(outcome) } });
    }
  });

  it('recognises its own names only', () => {
    expect(CASE_STATES.every(isCaseState)).toBe(true);
    expect(CASE_EVENTS.every(isCaseEvent)).toBe(true);
    expect(isCaseState('open')).toBe(false);
    expect(isCaseEvent('approve ')).toBe(false);
  });

  it('keeps every random walk inside the table', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...CASE_EVENTS), fc.constantFrom(...ACTOR_ROLES)), {
          maxLength: 40,
        }),
        (steps) => {
          let state: CaseState = 'submitted';
          for (const [event, actor] of steps) {
            const result = transition(state, event, actor);
            if (result.ok) {
              expect(TRANSITIONS[event].from).toContain(state);
              expect(TRANSITIONS[event].actors).toContain(actor);
              state = result.value.to;
            } else {
              expect(result.error.from).toBe(state);
              if (isFinal(state)) expect(result.error.code).toBe('illegal_transition');
            }
          }
          expect(CASE_STATES).toContain(state);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('the SLA clock by state', () => {
  it('pauses while waiting on the customer or KYC, runs while the team owes a decision', () => {
    const byMode = (mode: string) => CASE_STATES.filter((s) => CLOCK_BY_STATE[s] === mode);
    expect(byMode('paused')).toEqual(['awaiting_customer', 'awaiting_kyc']);
    expect(byMode('running')).toEqual(['submitted', 'in_review', 'awaiting_approval']);
    for (const state of FINAL_STATES) expect(CLOCK_BY_STATE[state]).toBe('stopped');
  });

  it('turns a state log into clock segments', () => {
    expect(
      clockHistory([
        { state: 'submitted', atMs: 0 },
        { state: 'awaiting_customer', atMs: 10 },
        { state: 'in_review', atMs: 30 },
        { state: 'approved', atMs: 30 },
      ]),
    ).toEqual([
      { startsAtMs: 0, endsAtMs: 10, running: true },
      { startsAtMs: 10, endsAtMs: 30, running: false },
      { startsAtMs: 30, endsAtMs: 30, running: true },
      { startsAtMs: 30, endsAtMs: null, running: false },
    ]);
    expect(clockHistory([])).toEqual([]);
    expect(() =>
      clockHistory([
        { state: 'in_review', atMs: 10 },
        { state: 'approved', atMs: 5 },
      ]),
    ).toThrow(RangeError);
  });

  it('walks a case through intake, a question, the answer and review to its due instant', () => {
    const parsed = parseCalendar({
      id: 'desk',
      timeZone: 'America/New_York',
      workingDays: [1, 2, 3, 4, 5],
      holidays: [],
    });
    if (!parsed.ok) throw new Error('the calendar is valid');
    const at = (text: string) => Date.parse(text);
    let state: CaseState = 'submitted';
    const log: StateLogEntry[] = [{ state, atMs: at('2026-03-02T10:00:00-05:00') }]; // Monday
    const step = (event: CaseEvent, actor: ActorRole, atMs: number) => {
      const result = transition(state, event, actor);
      if (!result.ok) throw new Error(JSON.stringify(result.error));
      state = result.value.to;
      log.push({ state, atMs });
    };
    step('decide_manual_review', 'system', at('2026-03-02T10:00:01-05:00'));
    step('ask_customer', 'agent', at('2026-03-03T15:00:00-05:00'));
    // While the customer has not answered, the due instant is not known.
    expect(dueInstant(parsed.value, clockHistory(log), 3)).toBeNull();
    step('customer_answered', 'customer', at('2026-03-05T10:00:00-05:00'));
    const dueMs = dueInstant(parsed.value, clockHistory(log), 3);
    expect(dueMs === null ? null : new Date(dueMs).toISOString()).toBe('2026-03-11T04:00:00.000Z');
    step('approve', 'agent', at('2026-03-09T09:00:00-04:00'));
    // Approved before the deadline: the stopped clock never reaches it.
    expect(dueInstant(parsed.value, clockHistory(log), 3)).toBeNull();
    expect(state).toBe('approved');
  });
});

describe('request states (src/app/requests) stay a view of the case table', () => {
  it('stores only case states, and withdraws exactly as the case table does', () => {
    for (const state of requestState.REQUEST_STATES) {
      expect(isCaseState(state)).toBe(true);
      const caseMove = transition(state, 'withdraw', 'customer');
      const requestMove = requestState.transition(state, 'withdraw');
      expect(requestMove.ok).toBe(caseMove.ok);
      if (caseMove.ok && requestMove.ok) expect(requestMove.to).toBe(caseMove.value.to);
      expect(requestState.isOpen(state)).toBe(caseMove.ok);
    }
    expect(requestState.TRANSITIONS.withdraw.to).toBe(TRANSITIONS.withdraw.to);
    for (const outcome of OUTCOMES) {
      expect(requestState.initialState(outcome)).toBe(initialState(outcome));
    }
  });
});
