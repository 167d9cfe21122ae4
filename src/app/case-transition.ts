/**
 * The record of one case move, as `moveCase` (app/cases/move.ts) wrote it to the state log and
 * hands it to `onCaseTransition` (app/cases/effects.ts, which re-exports it). Kept in a module of
 * its own, importing nothing of the case desk, so the outbox modules that receive it (timers,
 * notifications, webhooks, payouts) can name it without an import cycle through effects.ts.
 */
import type { CaseEvent, CaseState } from '../domain/case-state.js';
import type { Actor } from './context.js';

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
