/**
 * Durable timers: effects due at an instant, kept in the database so they survive restarts.
 *
 * - **Scheduling** (`scheduleTimer`) happens inside the transaction of the change that calls
 *   for it. Each timer has an effect key, unique: scheduling the same effect again moves the
 *   pending timer (or re-arms a cancelled one) instead of adding a second, and never re-arms
 *   one whose effect has happened.
 * - **Claiming** (`claimTimers`) leases due timers to one worker: `FOR UPDATE SKIP LOCKED` on
 *   PostgreSQL, so concurrent workers take disjoint rows and never wait on each other; SQLite has
 *   one writer. A crashed worker's lease runs out and another worker takes the timer over.
 * - **Running** (`runTimer`) re-reads the timer under a row lock in its own transaction, checks
 *   that it is still this worker's, still pending and due, and calls the kind's handler in that
 *   transaction. A handler re-checks the world and either fires (its effect, plus a
 *   `timer_effects` row under the same unique key, plus the timer marked done — all in one
 *   commit) or finds the timer stale and does nothing. The effect row's primary key makes a
 *   second firing impossible even if two workers somehow ran the same timer.
 * - **Failures** (a handler throws) roll the transaction back; the error is kept and the timer
 *   retried after an exponential back-off, given up after `maxAttempts`.
 */
import type { Transaction } from 'kysely';
import { claimLeases, type LeaseRequest } from '../store/leases.js';
import { prepareQuery, type PreparedQuery } from '../store/prepared.js';
import type { Database, TimerKind, TimerTable } from '../store/schema.js';
import type { DeskDeps } from './context.js';
import { newId } from './ids.js';

export const TIMER_KINDS: readonly TimerKind[] = [
  'redecide',
  'sla_warning',
  'sla_breach',
  'progress_update',
];

/** Bounds: timers per claim, attempts before giving up, characters of a kept error. */
export const TIMER_LIMITS = { maxBatch: 100, maxAttempts: 10, maxErrorChars: 2_000 } as const;

export interface TimerSpec {
  readonly kind: TimerKind;
  /** Unique across all timers: one effect, one timer, fired at most once. */
  readonly effectKey: string;
  readonly requestId: string;
  readonly dueAtMs: number;
  readonly payload?: Readonly<Record<string, unknown>>;
}

/**
 * Schedules (or moves, or re-arms) the timer of an effect, in the caller's transaction. A timer
 * whose effect already happened stays done.
 */
export async function scheduleTimer(
  trx: Transaction<Database>,
  nowMs: number,
  spec: TimerSpec,
): Promise<void> {
  if (!Number.isSafeInteger(spec.dueAtMs)) throw new RangeError('dueAtMs must be an instant');
  await upsertTimer.run(trx, {
    id: newId('tmr', nowMs),
    kind: spec.kind,
    effectKey: spec.effectKey,
    requestId: spec.requestId,
    dueAtMs: spec.dueAtMs,
    payloadJson: JSON.stringify(spec.payload ?? {}),
    nowMs,
  });
}

/** Scheduling's statement, compiled once per database (store/prepared.ts). */
const upsertTimer = prepareQuery(
  (
    db,
    p: Pick<TimerTable, 'id' | 'kind' | 'effectKey' | 'requestId' | 'dueAtMs' | 'payloadJson'> & {
      nowMs: number;
    },
  ) =>
    db
      .insertInto('timers')
      .values({
        id: p.id,
        kind: p.kind,
        effectKey: p.effectKey,
        requestId: p.requestId,
        dueAtMs: p.dueAtMs,
        payloadJson: p.payloadJson,
        status: 'pending',
        attempts: 0,
        leaseOwner: null,
        leaseUntilMs: null,
        lastError: null,
        outcome: null,
        createdAtMs: p.nowMs,
        updatedAtMs: p.nowMs,
        finishedAtMs: null,
      })
      .onConflict((oc) =>
        oc
          .column('effectKey')
          .doUpdateSet({
            dueAtMs: p.dueAtMs,
            payloadJson: p.payloadJson,
            status: 'pending',
            outcome: null,
            finishedAtMs: null,
            updatedAtMs: p.nowMs,
          })
          .where('timers.status', '<>', 'done'),
      ),
);

interface CancelParams {
  readonly nowMs: number;
  readonly requestId: string;
  readonly exceptEffectKey?: string;
}

/** Cancelling's statements, one per list of kinds (and with or without an exception). */
const MAX_CANCEL_SHAPES = 32;
const cancelQueries = new Map<string, PreparedQuery<CancelParams, unknown>>();

function cancelQueryOf(
  kinds: readonly TimerKind[],
  except: boolean,
): PreparedQuery<CancelParams, unknown> {
  const shape = `${kinds.join(',')}${except ? ':except' : ''}`;
  let query = cancelQueries.get(shape);
  if (query === undefined) {
    const fixedKinds = [...kinds];
    query = prepareQuery((db, p: CancelParams) => {
      const update = db
        .updateTable('timers')
        .set({
          status: 'cancelled',
          outcome: 'cancelled',
          updatedAtMs: p.nowMs,
          finishedAtMs: p.nowMs,
        })
        .where('requestId', '=', p.requestId)
        .where('status', '=', 'pending')
        .where('kind', 'in', fixedKinds);
      return except ? update.where('effectKey', '<>', p.exceptEffectKey as string) : update;
    });
    // Callers pass a handful of constant kind lists; past the bound, compiled each time.
    if (cancelQueries.size < MAX_CANCEL_SHAPES) cancelQueries.set(shape, query);
  }
  return query;
}

/** Cancels the pending timers of a case (of the given kinds, or all), in the caller's transaction. */
export async function cancelTimers(
  trx: Transaction<Database>,
  nowMs: number,
  requestId: string,
  kinds: readonly TimerKind[] = TIMER_KINDS,
  options: { readonly exceptEffectKey?: string } = {},
): Promise<void> {
  if (kinds.length === 0) return;
  const except = options.exceptEffectKey !== undefined;
  await cancelQueryOf(kinds, except).run(trx, {
    nowMs,
    requestId,
    ...(except ? { exceptEffectKey: options.exceptEffectKey } : {}),
  });
}

/**
 * Leases up to `limit` (at most TIMER_LIMITS.maxBatch) pending timers that are due and whose
 * lease is free or expired.
 */
export async function claimTimers(deps: DeskDeps, options: LeaseRequest): Promise<TimerTable[]> {
  const nowMs = deps.clock.nowMs();
  return claimLeases(deps.store, {
    table: 'timers',
    lease: options,
    nowMs,
    maxBatch: TIMER_LIMITS.maxBatch,
    countAttempt: true,
    due: (query) =>
      query
        .where('status', '=', 'pending')
        .where('dueAtMs', '<=', nowMs)
        .orderBy('dueAtMs')
        .orderBy('id'),
    load: (trx, ids) =>
      trx
        .selectFrom('timers')
        .selectAll()
        .where('id', 'in', ids)
        .orderBy('dueAtMs')
        .orderBy('id')
        .execute(),
  });
}

/** What a handler found. `fired`: its effect happened (recorded once under the effect key). */
export type TimerOutcome =
  | { readonly outcome: 'fired'; readonly detail?: Readonly<Record<string, unknown>> }
  /** Nothing to do any more (the case moved on, the due instant moved): done without effect. */
  | { readonly outcome: 'stale'; readonly why: string };

export interface TimerContext {
  readonly deps: DeskDeps;
  readonly workerId: string;
  readonly nowMs: number;
}

/** Runs one kind of timer inside the transaction that will mark it done. */
export type TimerHandler = (
  trx: Transaction<Database>,
  timer: TimerTable,
  context: TimerContext,
) => Promise<TimerOutcome>;

export type TimerHandlers = { readonly [K in TimerKind]: TimerHandler };

export type RunResult =
  | 'fired'
  | 'stale'
  /** Not this worker's any more (lease lost), already finished, or moved later. */
  | 'skipped'
  | 'failed'
  | 'gave_up';

/** Exponential back-off after `attempts` failures: 5 s, 10 s, 20 s, … capped at 1 hour. */
export function timerBackoffMs(attempts: number): number {
  return Math.min(60 * 60_000, 5_000 * 2 ** Math.max(0, Math.min(attempts - 1, 20)));
}

/** Runs a timer this worker claimed. Never throws for a handler's failure: it is recorded. */
export async function runTimer(
  deps: DeskDeps,
  claimed: TimerTable,
  workerId: string,
  handlers: TimerHandlers,
): Promise<RunResult> {
  try {
    return await deps.store.db.transaction().execute(async (trx): Promise<RunResult> => {
      const nowMs = deps.clock.nowMs();
      let query = trx.selectFrom('timers').selectAll().where('id', '=', claimed.id);
      if (deps.store.engine === 'postgres') query = query.forUpdate();
      const timer = await query.executeTakeFirst();
      if (timer === undefined || timer.status !== 'pending' || timer.leaseOwner !== workerId) {
        return 'skipped';
      }
      if (timer.dueAtMs > nowMs) {
        // Moved later since the claim: let it go until then.
        await releaseLease(trx, timer.id, nowMs);
        return 'skipped';
      }
      const found = await handlers[timer.kind](trx, timer, { deps, workerId, nowMs });
      if (found.outcome === 'fired') {
        await trx
          .insertInto('timerEffects')
          .values({
            effectKey: timer.effectKey,
            timerId: timer.id,
            kind: timer.kind,
            requestId: timer.requestId,
            worker: workerId,
            detailJson: JSON.stringify(found.detail ?? {}),
            atMs: nowMs,
          })
          .execute();
      }
      await trx
        .updateTable('timers')
        .set({
          status: found.outcome === 'fired' ? 'done' : 'cancelled',
          outcome: found.outcome === 'fired' ? 'fired' : `stale: ${found.why}`,
          leaseOwner: null,
          leaseUntilMs: null,
          updatedAtMs: nowMs,
          finishedAtMs: nowMs,
        })
        .where('id', '=', timer.id)
        // A handler may have re-armed its own timer (a new due instant): then it stays pending.
        .where('dueAtMs', '=', timer.dueAtMs)
        .execute();
      await releaseLease(trx, timer.id, nowMs);
      return found.outcome;
    });
  } catch (error) {
    return recordTimerFailure(deps, claimed, workerId, error);
  }
}

async function releaseLease(
  trx: Transaction<Database>,
  timerId: string,
  nowMs: number,
): Promise<void> {
  await trx
    .updateTable('timers')
    .set({ leaseOwner: null, leaseUntilMs: null, updatedAtMs: nowMs })
    .where('id', '=', timerId)
    .where('status', '=', 'pending')
    .execute();
}

async function recordTimerFailure(
  deps: DeskDeps,
  claimed: TimerTable,
  workerId: string,
  error: unknown,
): Promise<RunResult> {
  const nowMs = deps.clock.nowMs();
  const message = (error instanceof Error ? error.message : String(error)).slice(
    0,
    TIMER_LIMITS.maxErrorChars,
  );
  const gaveUp = claimed.attempts >= TIMER_LIMITS.maxAttempts;
  await deps.store.db
    .updateTable('timers')
    .set(
      gaveUp
        ? {
            status: 'cancelled',
            outcome: 'gave_up',
            lastError: message,
            leaseOwner: null,
            leaseUntilMs: null,
            updatedAtMs: nowMs,
            finishedAtMs: nowMs,
          }
        : {
            lastError: message,
            // The lease doubles as the retry gate: nobody claims it again before the back-off.
            leaseOwner: null,
            leaseUntilMs: nowMs + timerBackoffMs(claimed.attempts),
            updatedAtMs: nowMs,
          },
    )
    .where('id', '=', claimed.id)
    .where('status', '=', 'pending')
    .where('leaseOwner', '=', workerId)
    .execute();
  return gaveUp ? 'gave_up' : 'failed';
}
