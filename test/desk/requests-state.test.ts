/** The request states (pure): the initial state of each outcome and the moves allowed so far. */
import { describe, expect, it } from 'vitest';
import {
  initialState,
  isOpen,
  REQUEST_STATES,
  transition,
  type DecisionOutcome,
} from '../../src/domain/request-state.js';

describe('request states', () => {
  it('starts each outcome in its state', () => {
    const outcomes: DecisionOutcome[] = [
      'full_refund',
      'prorata',
      'pending',
      'manual_review',
      'denied',
    ];
    expect(Object.fromEntries(outcomes.map((o) => [o, initialState(o)]))).toEqual({
      full_refund: 'approved',
      prorata: 'prorata_offered',
      pending: 'pending_remediation',
      manual_review: 'in_review',
      denied: 'denied',
    });
  });

  it('withdraws from every open state (approved is open until payouts exist), from no other', () => {
    for (const state of REQUEST_STATES) {
      const move = transition(state, 'withdraw');
      if (isOpen(state)) expect(move).toEqual({ ok: true, from: state, to: 'withdrawn' });
      else expect(move).toEqual({ ok: false, from: state, event: 'withdraw' });
    }
    expect(REQUEST_STATES.filter(isOpen)).toEqual([
      'approved',
      'prorata_offered',
      'pending_remediation',
      'in_review',
    ]);
  });
});
