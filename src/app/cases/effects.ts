/**
 * What follows a case's move, inside the transaction that performs it. `moveCase`
 * (app/cases/move.ts) calls `onCaseTransition` after it has written the transition, so every
 * side effect is committed together with the state change (a transactional outbox): timers
 * to schedule or cancel, notifications and webhook deliveries to queue, a payout instruction
 * to create. Workers deliver them after the commit; nothing here talks to the network.
 */
import type { Transaction } from 'kysely';
import type { CaseEvent, CaseState } from '../../domain/case-state.js';
import type { Database } from '../../store/schema.js';
import type { Actor, DeskDeps } from '../context.js';

/** One row of a case's state log, as `moveCase` wrote it. */
export interface CaseTransitionRecord {
  readonly requestId: string;
  /** 1-based position in the case's state log. */
  readonly seq: number;
  readonly event: CaseEvent;
  /** null for the first entry, written at intake. */
  readonly fromState: CaseState | null;
  readonly toState: CaseState;
  readonly actor: Actor;
  /** Why: the rule's reason, or the staff member's written reason. */
  readonly reason: string;
  readonly atMs: number;
}

export async function onCaseTransition(
  trx: Transaction<Database>,
  deps: DeskDeps,
  transition: CaseTransitionRecord,
): Promise<void> {
  // Filled in by the timers/notifications/webhooks work and the payouts work.
  void trx;
  void deps;
  void transition;
  return Promise.resolve();
}
