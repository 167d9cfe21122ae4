/**
 * `moveCase`: the only way a case changes state after intake. Inside the caller's transaction it
 * performs the move (`applyMove`, core.ts: lock, re-check with the domain table, state, row
 * version and SLA cache, state-log row, audit entry) and then calls `onCaseTransition`
 * (effects.ts), the transactional outbox of the move, so its effects commit with it.
 *
 * `recordFirstTransition` writes seq 1 of a new case (intake) the same way. `caseTransaction`
 * (core.ts) runs a use case in a transaction that rolls back when it returns an error value.
 */
import type { Transaction } from 'kysely';
import { TRANSITIONS, type CaseEvent, type CaseState } from '../../domain/case-state.js';
import type { Database } from '../../store/schema.js';
import type { Actor, DeskDeps } from '../context.js';
import { applyMove, insertTransition, type MoveInput, type Moved } from './core.js';
import { onCaseTransition, type CaseTransitionRecord } from './effects.js';
import type { CaseResult } from './errors.js';

export * from './core.js';

/** Moves a case (see the module comment). Call inside the transaction that performs the change. */
export async function moveCase(
  trx: Transaction<Database>,
  deps: DeskDeps,
  input: MoveInput,
): Promise<CaseResult<Moved>> {
  const moved = await applyMove(trx, deps, input);
  if (moved.ok) await onCaseTransition(trx, deps, moved.value.transition);
  return moved;
}

/**
 * Seq 1 of a new case (intake, after the request row is inserted): the engine's first decision
 * moves it from nothing to its initial state. Appends the log row and calls the outbox hook;
 * the caller's `refund_request.submitted` audit entry records the request in that state.
 */
export async function recordFirstTransition(
  trx: Transaction<Database>,
  deps: DeskDeps,
  input: {
    readonly requestId: string;
    readonly event: CaseEvent;
    readonly toState: CaseState;
    readonly actor: Actor;
    readonly atMs: number;
  },
): Promise<CaseTransitionRecord> {
  const record: CaseTransitionRecord = {
    requestId: input.requestId,
    seq: 1,
    event: input.event,
    fromState: null,
    toState: input.toState,
    actor: input.actor,
    reason: TRANSITIONS[input.event].reason,
    atMs: input.atMs,
  };
  await insertTransition(trx, record);
  await onCaseTransition(trx, deps, record);
  return record;
}
