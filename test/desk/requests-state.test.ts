/** The request states (pure): a view of the case table — initial states, open and blocking states. */
import { describe, expect, it } from 'vitest';
import {
  BLOCKING_STATES,
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

  it('withdraws from every open state (the case table’s withdraw row), from no other', () => {
    for (const state of REQUEST_STATES) {
      const move = transition(state, 'withdraw');
      if (isOpen(state)) expect(move).toEqual({ ok: true, from: state, to: 'withdrawn' });
      else expect(move).toEqual({ ok: false, from: state, event: 'withdraw' });
    }
    expect(REQUEST_STATES.filter(isOpen)).toEqual([
      'submitted',
      'awaiting_customer',
      'awaiting_kyc',
      'in_review',
      'awaiting_approval',
      'pending_remediation',
      'approved',
      'prorata_offered',
    ]);
  });

  it('blocks another request on the order while not final, money in flight included', () => {
    expect([...BLOCKING_STATES].filter((state) => !isOpen(state))).toEqual([
      'payout_pending',
      'payout_failed',
      'extension_pending',
      'extension_failed',
    ]);
    for (const state of ['denied', 'withdrawn', 'paid', 'extension_granted'] as const) {
      expect(BLOCKING_STATES.has(state)).toBe(false);
    }
  });
});
