/**
 * The SLA of a case as a pure function of its state log: when the decision target and the
 * decision deadline fall due, and where the case stands against them now. Pure: no I/O, and
 * `nowMs` is an argument. Nothing is kept as a running counter: the due instants are
 * recomputed from the log each time (`clockHistory` → `dueInstant`), so a paused or resumed
 * clock, a calendar change or a correction of the log gives the right answer at once.
 *
 * - The clock runs only in the `running` states of `CLOCK_BY_STATE` (the team owes a
 *   decision), pauses while the case waits on the customer or on KYC, and stops once a decision
 *   is made. When the clock starts is the log's business: the desk enters a running state only
 *   once the materials are complete (src/app/cases/materials.ts).
 * - `targetAtMs` / `deadlineAtMs`: the end of the `targetBusinessDays`-th /
 *   `deadlineBusinessDays`-th business day through which the clock ran whole (calendar.ts, rule
 *   4), or null when the log runs out first (paused or stopped before that count is reached).
 * - `status`: `stopped` when the case's current state stops the clock (decided, withdrawn, …);
 *   otherwise `breached` from the deadline on, `warned` from the target on, else `on_track`. A
 *   paused case keeps the status it had reached when it paused.
 */
import { dueInstant, type BusinessCalendar } from './calendar.js';
import { CLOCK_BY_STATE, clockHistory, type StateLogEntry } from './case-state.js';

export interface SlaParameters {
  /** The policy's decisionTargetBusinessDays (3 in okkproxy@1). */
  readonly targetBusinessDays: number;
  /** The policy's decisionDeadlineBusinessDays (7 in okkproxy@1). */
  readonly deadlineBusinessDays: number;
}

export const SLA_STATUSES = ['on_track', 'warned', 'breached', 'stopped'] as const;
export type SlaStatus = (typeof SLA_STATUSES)[number];

export interface Sla {
  readonly targetAtMs: number | null;
  readonly deadlineAtMs: number | null;
  readonly status: SlaStatus;
}

/** The due instants of a state log (oldest first), without a status (what a cache keeps). */
export function slaDueInstants(
  log: readonly StateLogEntry[],
  calendar: BusinessCalendar,
  params: SlaParameters,
): Pick<Sla, 'targetAtMs' | 'deadlineAtMs'> {
  if (params.deadlineBusinessDays < params.targetBusinessDays) {
    throw new RangeError('the deadline must not come before the target');
  }
  const history = clockHistory(log);
  return {
    targetAtMs: dueInstant(calendar, history, params.targetBusinessDays),
    deadlineAtMs: dueInstant(calendar, history, params.deadlineBusinessDays),
  };
}

/** Where a case with this state log stands at `nowMs`. */
export function slaStatus(
  currentState: StateLogEntry['state'] | undefined,
  due: Pick<Sla, 'targetAtMs' | 'deadlineAtMs'>,
  nowMs: number,
): SlaStatus {
  if (currentState === undefined || CLOCK_BY_STATE[currentState] === 'stopped') return 'stopped';
  if (due.deadlineAtMs !== null && nowMs >= due.deadlineAtMs) return 'breached';
  if (due.targetAtMs !== null && nowMs >= due.targetAtMs) return 'warned';
  return 'on_track';
}

/** The SLA of a case: its due instants from the log, and its status at `nowMs`. */
export function slaOf(
  log: readonly StateLogEntry[],
  calendar: BusinessCalendar,
  params: SlaParameters,
  nowMs: number,
): Sla {
  const due = slaDueInstants(log, calendar, params);
  return { ...due, status: slaStatus(log[log.length - 1]?.state, due, nowMs) };
}
