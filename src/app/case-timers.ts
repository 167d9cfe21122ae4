/**
 * Which timers a case's move schedules or cancels (called from `onCaseTransition`, in the
 * move's transaction). Each kind's effect key names the effect, so planning again after every
 * move only moves a pending timer, and never re-arms one whose effect has happened.
 *
 * - `redecide:<decision id>`: entering `pending_remediation`, the case re-decides itself at its
 *   decision's `decidableAt` (a newer decision replaces the older one's timer); leaving the
 *   state cancels it.
 * - `sla_warning:<case>` / `sla_breach:<case>`: while the SLA clock runs, due at the target and
 *   the deadline the move just recomputed (cached on the request row); a move that pauses or
 *   stops the clock cancels them, the move that resumes it re-arms them with the due instants
 *   moved by the pause. Each fires once.
 * - `progress_update:<case>:<n>`: while the case is open, the n-th update is due
 *   `n × progressUpdateBusinessDays` business days after submission; a closing move cancels it.
 */
import type { Transaction } from 'kysely';
import { addBusinessDays, businessDaysBetween } from '../domain/calendar.js';
import { CLOCK_BY_STATE, type CaseState } from '../domain/case-state.js';
import { prepareQuery } from '../store/prepared.js';
import type { Database } from '../store/schema.js';
import { caseConfigOf } from './cases/config.js';
import type { CaseTransitionRecord } from './case-transition.js';
import type { DeskDeps } from './context.js';
import { notifySettingsOf } from './notify/settings.js';
import { cancelTimers, scheduleTimer } from './timers.js';

/** Open until decided: the states in which a customer waits for the desk's decision. */
export const AWAITING_DECISION: ReadonlySet<CaseState> = new Set([
  'submitted',
  'awaiting_customer',
  'awaiting_kyc',
  'in_review',
  'awaiting_approval',
  'pending_remediation',
]);

export function redecideKey(decisionId: string): string {
  return `redecide:${decisionId}`;
}
export function slaWarningKey(requestId: string): string {
  return `sla_warning:${requestId}`;
}
export function slaBreachKey(requestId: string): string {
  return `sla_breach:${requestId}`;
}
export function progressKey(requestId: string, n: number): string {
  return `progress_update:${requestId}:${n}`;
}

/** When the n-th progress update of a case submitted at `submittedAtMs` is due. */
export function progressDueMs(deps: DeskDeps, submittedAtMs: number, n: number): number {
  const { progressUpdateBusinessDays } = notifySettingsOf(deps);
  return addBusinessDays(
    caseConfigOf(deps).calendar,
    submittedAtMs,
    n * progressUpdateBusinessDays,
  );
}

/** Schedules the next progress update of an open case due after `nowMs` (and only that one). */
export async function scheduleNextProgressUpdate(
  trx: Transaction<Database>,
  deps: DeskDeps,
  requestId: string,
  submittedAtMs: number,
  nowMs: number,
  options: { readonly fresh?: boolean } = {},
): Promise<void> {
  const { progressUpdateBusinessDays } = notifySettingsOf(deps);
  const elapsed = businessDaysBetween(caseConfigOf(deps).calendar, submittedAtMs, nowMs);
  const n = Math.floor(elapsed / progressUpdateBusinessDays) + 1;
  const key = progressKey(requestId, n);
  // Only the next one stays pending (a timer running now is finished by its worker); a case
  // created in this transaction (`fresh`) has none to cancel.
  if (options.fresh !== true) {
    await cancelTimers(trx, nowMs, requestId, ['progress_update'], { exceptEffectKey: key });
  }
  await scheduleTimer(trx, nowMs, {
    kind: 'progress_update',
    effectKey: key,
    requestId,
    dueAtMs: progressDueMs(deps, submittedAtMs, n),
    payload: { n },
  });
}

const selectTimerBasis = prepareQuery((db, p: { requestId: string }) =>
  db
    .selectFrom('refundRequests')
    .select(['submittedAtMs', 'slaTargetAtMs', 'slaDeadlineAtMs'])
    .where('id', '=', p.requestId),
);

const selectLatestDecision = prepareQuery((db, p: { requestId: string }) =>
  db
    .selectFrom('decisions')
    .select(['id', 'decidableAtMs'])
    .where('requestId', '=', p.requestId)
    .orderBy('seq', 'desc')
    .limit(1),
);

export async function planCaseTimers(
  trx: Transaction<Database>,
  deps: DeskDeps,
  record: CaseTransitionRecord,
): Promise<void> {
  const { requestId, toState } = record;
  const nowMs = deps.clock.nowMs();
  const request = await selectTimerBasis.first(trx, { requestId });
  if (request === undefined) throw new Error(`timers: no request ${requestId}`);
  // Seq 1 (intake): the case was created in this transaction and has no timer to cancel yet.
  const fresh = record.fromState === null;

  // The case re-decides itself when its remediation window closes.
  if (toState === 'pending_remediation') {
    const decision = await selectLatestDecision.first(trx, { requestId });
    const key = decision === undefined ? undefined : redecideKey(decision.id);
    if (!fresh) {
      await cancelTimers(trx, nowMs, requestId, ['redecide'], {
        ...(key === undefined ? {} : { exceptEffectKey: key }),
      });
    }
    if (decision !== undefined && key !== undefined && decision.decidableAtMs !== null) {
      await scheduleTimer(trx, nowMs, {
        kind: 'redecide',
        effectKey: key,
        requestId,
        dueAtMs: decision.decidableAtMs,
        payload: { decisionId: decision.id },
      });
    }
  } else if (!fresh) {
    await cancelTimers(trx, nowMs, requestId, ['redecide']);
  }

  // SLA warning and breach, while the clock runs.
  if (CLOCK_BY_STATE[toState] === 'running') {
    if (request.slaTargetAtMs !== null) {
      await scheduleTimer(trx, nowMs, {
        kind: 'sla_warning',
        effectKey: slaWarningKey(requestId),
        requestId,
        dueAtMs: request.slaTargetAtMs,
      });
    }
    if (request.slaDeadlineAtMs !== null) {
      await scheduleTimer(trx, nowMs, {
        kind: 'sla_breach',
        effectKey: slaBreachKey(requestId),
        requestId,
        dueAtMs: request.slaDeadlineAtMs,
      });
    }
  } else if (!fresh) {
    await cancelTimers(trx, nowMs, requestId, ['sla_warning', 'sla_breach']);
  }

  // Progress updates while the customer waits for a decision.
  if (AWAITING_DECISION.has(toState)) {
    if (record.fromState === null || !AWAITING_DECISION.has(record.fromState)) {
      await scheduleNextProgressUpdate(trx, deps, requestId, request.submittedAtMs, nowMs, {
        fresh,
      });
    }
  } else if (!fresh) {
    await cancelTimers(trx, nowMs, requestId, ['progress_update']);
  }
}
