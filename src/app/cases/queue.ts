/**
 * The staff queue: the cases the SLA applies to now — those whose clock runs (the team owes a
 * decision) or is paused (waiting on the customer or on KYC) — sorted by the deadline's due
 * instant, soonest first; cases whose deadline is not known yet (paused before it was reached)
 * come last. Each is marked on_track, warned (past the target) or breached (past the deadline)
 * at the reader's now.
 *
 * For thousands of open cases the queue reads the due instants cached on the request rows
 * (`moveCase` recomputes them from the state log on every move; the log is the truth, and the
 * case view recomputes from it) and pages by keyset (deadline, id), `limit` at a time.
 */
import { sql, type Kysely } from 'kysely';
import { CASE_STATES, CLOCK_BY_STATE, type CaseState } from '../../domain/case-state.js';
import { slaStatus, type SlaStatus } from '../../domain/sla.js';
import { formatInstant, type FieldError, type Result } from '../../engine/index.js';
import type { Database } from '../../store/schema.js';
import { stateOf } from './move.js';
import { encodeCursor, parsePageParams } from '../pages.js';

export const QUEUE_LIMITS = { defaultLimit: 50, maxLimit: 200 } as const;

/** Where the SLA applies: the clock runs or is paused. */
export const QUEUE_STATES: readonly CaseState[] = CASE_STATES.filter(
  (state) => CLOCK_BY_STATE[state] !== 'stopped',
);

/** Sort key of an unknown deadline: after every real instant. */
const UNKNOWN_DUE_MS = Number.MAX_SAFE_INTEGER;

export interface QueueItem {
  readonly requestId: string;
  readonly orderId: string;
  readonly customerId: string;
  readonly state: CaseState;
  readonly submittedAt: string;
  readonly updatedAt: string;
  readonly targetAt: string | null;
  readonly deadlineAt: string | null;
  readonly status: SlaStatus;
}

export interface QueueQuery {
  readonly limit: number;
  readonly after: { readonly dueMs: number; readonly id: string } | undefined;
}

export interface QueuePage {
  readonly items: readonly QueueItem[];
  readonly nextCursor: string | null;
}

export function parseQueueQuery(params: {
  readonly limit?: string | undefined;
  readonly cursor?: string | undefined;
}): Result<QueueQuery, FieldError[]> {
  const errors: FieldError[] = [];
  const page = parsePageParams(params, QUEUE_LIMITS, errors);
  const after = page.after === undefined ? undefined : { dueMs: page.after.key, id: page.after.id };
  const limit = page.limit;
  return errors.length > 0 ? { ok: false, error: errors } : { ok: true, value: { limit, after } };
}

export async function listQueue(
  db: Kysely<Database>,
  nowMs: number,
  query: QueueQuery,
): Promise<QueuePage> {
  const due = sql<number>`coalesce(sla_deadline_at_ms, ${UNKNOWN_DUE_MS})`;
  let select = db
    .selectFrom('refundRequests')
    .selectAll()
    .select(due.as('dueMs'))
    .where('state', 'in', [...QUEUE_STATES]);
  const after = query.after;
  if (after !== undefined) {
    select = select.where((eb) =>
      eb.or([
        eb(due, '>', after.dueMs),
        eb.and([eb(due, '=', after.dueMs), eb('id', '>', after.id)]),
      ]),
    );
  }
  const rows = await select
    .orderBy(due)
    .orderBy('id')
    .limit(query.limit + 1)
    .execute();
  const items = rows.slice(0, query.limit);
  const last = items[items.length - 1];
  const nextCursor =
    rows.length > query.limit && last !== undefined
      ? encodeCursor(Number(last.dueMs), last.id)
      : null;
  return {
    items: items.map((row) => {
      const state = stateOf(row);
      const dueInstants = { targetAtMs: row.slaTargetAtMs, deadlineAtMs: row.slaDeadlineAtMs };
      return {
        requestId: row.id,
        orderId: row.orderId,
        customerId: row.customerId,
        state,
        submittedAt: formatInstant(row.submittedAtMs),
        updatedAt: formatInstant(row.updatedAtMs),
        targetAt: row.slaTargetAtMs === null ? null : formatInstant(row.slaTargetAtMs),
        deadlineAt: row.slaDeadlineAtMs === null ? null : formatInstant(row.slaDeadlineAtMs),
        status: slaStatus(state, dueInstants, nowMs),
      };
    }),
    nextCursor,
  };
}
