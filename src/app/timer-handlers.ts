/**
 * What each kind of durable timer does when it comes due. Every handler runs inside the
 * transaction that marks its timer done (app/timers.ts `runTimer`), locks the case first, and
 * re-checks the world: a timer whose effect no longer applies (the case moved on, a pause moved
 * the due instant) returns `stale` and changes nothing.
 *
 * - `redecide`: a case still in `pending_remediation` on the decision the timer was set for is
 *   decided again by the engine on the facts as stored now (its policy version, its submission
 *   instant, evaluated now): a new decision row, then the move the outcome calls for, by the desk
 *   itself (`moveCase`; if it is still pending, the move schedules the new decidableAt).
 * - `sla_warning` / `sla_breach`: the SLA is recomputed from the state log; while the clock runs
 *   and the target (deadline) has passed, the warning (breach) is audited once.
 * - `progress_update`: a case still awaiting its decision gets a progress email; the next one is
 *   scheduled.
 */
import type { Transaction } from 'kysely';
import { CLOCK_BY_STATE, DECISION_EVENT } from '../domain/case-state.js';
import { formatInstant } from '../domain/time.js';
import { formatFieldError } from '../engine/index.js';
import type { Database, TimerTable } from '../store/schema.js';
import { appendAuditMany } from './audit.js';
import { AWAITING_DECISION, scheduleNextProgressUpdate } from './case-timers.js';
import { lockCase, moveCase, slaOfCase, stateOf } from './cases/move.js';
import { decideStoredCase, recordEngineDecision } from './cases/redecide.js';
import type { Actor, DeskDeps } from './context.js';
import { queueProgressUpdate } from './notify/queue.js';
import { latestDecision } from './requests/read.js';
import {
  scheduleTimer,
  type TimerContext,
  type TimerHandlers,
  type TimerOutcome,
} from './timers.js';

/** Who moves a case when a timer fires. */
export const TIMER_ACTOR: Actor = { kind: 'system', id: 'timer' };
const TIMER_ORIGIN = { actor: TIMER_ACTOR, ip: null };

function payloadOf(timer: TimerTable): Record<string, unknown> {
  const parsed: unknown = JSON.parse(timer.payloadJson);
  return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
}

/**
 * Re-decides a case waiting out its remediation window, in the caller's transaction, if it is
 * still pending on `decisionId` and that decision has become decidable. Returns the stale reason
 * when it is not.
 */
export async function redecidePendingCase(
  trx: Transaction<Database>,
  deps: DeskDeps,
  requestId: string,
  decisionId: string,
): Promise<TimerOutcome> {
  const nowMs = deps.clock.nowMs();
  const request = await lockCase(trx, deps, requestId);
  if (request === undefined) return { outcome: 'stale', why: 'no such case' };
  if (stateOf(request) !== 'pending_remediation') {
    return { outcome: 'stale', why: `the case is ${request.state}` };
  }
  const latest = await latestDecision(trx, requestId);
  if (latest === undefined || latest.id !== decisionId) {
    return { outcome: 'stale', why: 'a newer decision replaced it' };
  }
  if (latest.decidableAtMs === null || latest.decidableAtMs > nowMs) {
    return { outcome: 'stale', why: 'the decision is not decidable yet' };
  }

  const decided = await decideStoredCase(trx, request, nowMs);
  if (!decided.ok) {
    // Kept on the timer and retried: the stored facts need fixing first.
    throw new Error(
      `case ${requestId} cannot be re-decided: ${decided.error.map(formatFieldError).join('; ')}`,
    );
  }
  const { decision, decidableAtMs } = decided.value;
  if (decision.outcome === 'pending' && (decidableAtMs === null || decidableAtMs <= nowMs)) {
    throw new Error(`case ${requestId}: the engine is still pending at ${decision.decidableAt}`);
  }
  const row = await recordEngineDecision(trx, deps, TIMER_ORIGIN, {
    requestId,
    seq: latest.seq + 1,
    nowMs,
    decided: decided.value,
  });
  const moved = await moveCase(trx, deps, {
    requestId,
    event: DECISION_EVENT[decision.outcome],
    actor: TIMER_ACTOR,
    reason: `The remediation window closed at ${formatInstant(latest.decidableAtMs)}; the engine decided again.`,
    detail: { decisionSeq: row.seq },
  });
  if (!moved.ok) throw new Error(`case ${requestId}: ${moved.error.detail}`);
  return {
    outcome: 'fired',
    detail: { decisionSeq: row.seq, outcome: decision.outcome, state: moved.value.request.state },
  };
}

async function redecide(
  trx: Transaction<Database>,
  timer: TimerTable,
  { deps }: TimerContext,
): Promise<TimerOutcome> {
  const decisionId = payloadOf(timer)['decisionId'];
  if (typeof decisionId !== 'string') throw new Error(`timer ${timer.id} names no decision`);
  return redecidePendingCase(trx, deps, timer.requestId, decisionId);
}

function slaHandler(which: 'warning' | 'breach') {
  return async (
    trx: Transaction<Database>,
    timer: TimerTable,
    { deps, nowMs }: TimerContext,
  ): Promise<TimerOutcome> => {
    const request = await lockCase(trx, deps, timer.requestId);
    if (request === undefined) return { outcome: 'stale', why: 'no such case' };
    const state = stateOf(request);
    if (CLOCK_BY_STATE[state] !== 'running') {
      return { outcome: 'stale', why: `the SLA clock is ${CLOCK_BY_STATE[state]} (${state})` };
    }
    const sla = await slaOfCase(trx, deps, request);
    const dueMs = which === 'warning' ? sla.targetAtMs : sla.deadlineAtMs;
    if (dueMs === null) return { outcome: 'stale', why: 'no due instant' };
    if (dueMs > nowMs) {
      // A pause moved it: wait for the new instant.
      await scheduleTimer(trx, nowMs, {
        kind: timer.kind,
        effectKey: timer.effectKey,
        requestId: timer.requestId,
        dueAtMs: dueMs,
      });
      return { outcome: 'stale', why: `moved to ${formatInstant(dueMs)}` };
    }
    const dueAt = formatInstant(dueMs);
    await appendAuditMany(trx, deps.store.engine, TIMER_ORIGIN, nowMs, [
      {
        action: which === 'warning' ? 'case.sla_warning' : 'case.sla_breach',
        entityKind: 'refund_request',
        entityId: timer.requestId,
        after: { state, [which === 'warning' ? 'targetAt' : 'deadlineAt']: dueAt },
      },
    ]);
    return { outcome: 'fired', detail: { state, dueAt } };
  };
}

async function progressUpdate(
  trx: Transaction<Database>,
  timer: TimerTable,
  { deps, nowMs }: TimerContext,
): Promise<TimerOutcome> {
  const n = payloadOf(timer)['n'];
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) {
    throw new Error(`timer ${timer.id} has no update number`);
  }
  const request = await lockCase(trx, deps, timer.requestId);
  if (request === undefined) return { outcome: 'stale', why: 'no such case' };
  const state = stateOf(request);
  if (!AWAITING_DECISION.has(state)) return { outcome: 'stale', why: `the case is ${state}` };
  await queueProgressUpdate(trx, deps, timer.requestId, state, n);
  // The next one due after now (after downtime, one update catches up, not one per period).
  await scheduleNextProgressUpdate(trx, deps, timer.requestId, request.submittedAtMs, nowMs);
  return { outcome: 'fired', detail: { n, state } };
}

/** The handlers the worker runs timers with. */
export const CASE_TIMER_HANDLERS: TimerHandlers = {
  redecide,
  sla_warning: slaHandler('warning'),
  sla_breach: slaHandler('breach'),
  progress_update: progressUpdate,
};
