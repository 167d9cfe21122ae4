/**
 * The moves the payout outbox performs itself, inside `onCaseTransition`: start_payout right
 * after a case enters `approved`, and payout_declined when the ledger refuses. The outbox cannot
 * import `moveCase` (moveCase → effects → outbox → moveCase would be an import cycle), so it
 * writes the move with the case desk's core (`applyMove`, app/cases/core.ts: lock, re-check,
 * state log, SLA cache, audit) and runs the effects through the hook it was handed.
 */
import type { Transaction } from 'kysely';
import type { CaseEvent, CaseState } from '../../domain/case-state.js';
import type { Result } from '../../engine/index.js';
import type { Database } from '../../store/schema.js';
import type { CaseTransitionRecord } from '../case-transition.js';
import { SYSTEM_ORIGIN, type DeskDeps } from '../context.js';
import { applyMove } from '../cases/core.js';

export type { CaseTransitionRecord } from '../case-transition.js';

/** The effects that follow a move (the `onCaseTransition` hook). */
export type CaseEffects = (
  trx: Transaction<Database>,
  deps: DeskDeps,
  record: CaseTransitionRecord,
) => Promise<void>;

export interface SystemCaseMove {
  readonly requestId: string;
  readonly event: CaseEvent;
  readonly reason: string;
}

/** A move by the desk itself (system actor), without its effects. */
export async function applyCaseMove(
  trx: Transaction<Database>,
  deps: DeskDeps,
  move: SystemCaseMove,
): Promise<Result<CaseTransitionRecord, { readonly detail: string; readonly state?: CaseState }>> {
  const moved = await applyMove(trx, deps, {
    requestId: move.requestId,
    event: move.event,
    actor: SYSTEM_ORIGIN.actor,
    ip: null,
    reason: move.reason,
  });
  return moved.ok ? { ok: true, value: moved.value.transition } : moved;
}
