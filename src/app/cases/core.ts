/**
 * The core of a case move, without its effects: lock the request row (FOR UPDATE on PostgreSQL;
 * SQLite has one writer), re-check the move with the domain table (`transition`), update the
 * state, the row version and the cached SLA due instants, append the state-log row
 * (`case_transitions`) and the audit entry. `moveCase` (move.ts) is this plus
 * `onCaseTransition`, the transactional outbox; code that runs inside that outbox (and so cannot
 * import move.ts without an import cycle) calls `applyMove` and runs the effects it was handed.
 *
 * The SLA cache: `refund_requests.sla_target_at_ms` / `sla_deadline_at_ms` are recomputed from
 * the whole log on every move (`slaDueInstants`), for the staff queue to sort and page on. The
 * log is the truth: the case view recomputes them from it (`slaOfCase`).
 */
import type { Kysely, Transaction } from 'kysely';
import {
  isCaseState,
  transition,
  TRANSITIONS,
  type ActorRole,
  type CaseEvent,
  type CaseState,
  type StateLogEntry,
} from '../../domain/case-state.js';
import { slaDueInstants, slaOf, type Sla, type SlaParameters } from '../../domain/sla.js';
import type { Result } from '../../engine/index.js';
import { prepareInsert } from '../../store/prepared.js';
import type { Database, RefundRequestTable } from '../../store/schema.js';
import { appendAudit } from '../audit.js';
import type { Actor, DeskDeps } from '../context.js';
import { policyOf } from '../requests/read.js';
import { caseConfigOf } from './config.js';
import type { CaseTransitionRecord } from '../case-transition.js';
import { caseNotFound, type CaseError, type CaseResult } from './errors.js';

/** A case's state log is bounded: a longer one is a bug (or abuse) and throws. */
export const MAX_CASE_TRANSITIONS = 1_000;

type Db = Kysely<Database> | Transaction<Database>;

/**
 * The role an actor plays in the transition table: a customer, a staff member's role, the
 * desk itself; an API key with `requests:write` acts as an agent (an integration doing an
 * agent's work, e.g. a KYC provider), any other key may move nothing.
 */
export function actorRole(actor: Actor): ActorRole | undefined {
  switch (actor.kind) {
    case 'customer':
      return 'customer';
    case 'staff':
      return actor.role;
    case 'system':
      return 'system';
    case 'api_key':
      return actor.scopes.includes('requests:write') ? 'agent' : undefined;
  }
}

/** `kind:id`, as the desk names actors in stored rows. */
export function actorRef(actor: Actor): string {
  return `${actor.kind}:${actor.id}`;
}

/** The request row, locked for the rest of the transaction on PostgreSQL. */
export async function lockCase(
  trx: Transaction<Database>,
  deps: DeskDeps,
  requestId: string,
  customerId?: string,
): Promise<RefundRequestTable | undefined> {
  let query = trx.selectFrom('refundRequests').selectAll().where('id', '=', requestId);
  if (customerId !== undefined) query = query.where('customerId', '=', customerId);
  if (deps.store.engine === 'postgres') query = query.forUpdate();
  return query.executeTakeFirst();
}

export function stateOf(row: Pick<RefundRequestTable, 'id' | 'state'>): CaseState {
  if (!isCaseState(row.state)) throw new Error(`request ${row.id} has unknown state ${row.state}`);
  return row.state;
}

/** The case's state log, oldest first (bounded). */
export async function readStateLog(
  db: Db,
  requestId: string,
): Promise<Array<StateLogEntry & { readonly seq: number }>> {
  const rows = await db
    .selectFrom('caseTransitions')
    .select(['seq', 'toState', 'atMs'])
    .where('requestId', '=', requestId)
    .orderBy('seq')
    .limit(MAX_CASE_TRANSITIONS + 1)
    .execute();
  if (rows.length > MAX_CASE_TRANSITIONS) {
    throw new Error(`case ${requestId} has more than ${MAX_CASE_TRANSITIONS} transitions`);
  }
  return rows.map((row) => {
    if (!isCaseState(row.toState)) throw new Error(`case ${requestId}: bad state in its log`);
    return { seq: row.seq, state: row.toState, atMs: row.atMs };
  });
}

/** The SLA parameters of the policy version that decided the case. */
export async function slaParametersOf(
  db: Db,
  row: Pick<RefundRequestTable, 'policyId' | 'policyVersion'>,
): Promise<SlaParameters> {
  const policy = await policyOf(db, row.policyId, row.policyVersion);
  const { decisionTargetBusinessDays, decisionDeadlineBusinessDays } = policy.document.parameters;
  return {
    targetBusinessDays: decisionTargetBusinessDays,
    deadlineBusinessDays: decisionDeadlineBusinessDays,
  };
}

/** The SLA of a case recomputed from its state log (the truth; the row keeps a cache). */
export async function slaOfCase(
  db: Db,
  deps: DeskDeps,
  row: Pick<RefundRequestTable, 'id' | 'policyId' | 'policyVersion'>,
): Promise<Sla & SlaParameters> {
  const params = await slaParametersOf(db, row);
  const log = await readStateLog(db, row.id);
  const sla = slaOf(log, caseConfigOf(deps).calendar, params, deps.clock.nowMs());
  return { ...sla, ...params };
}

export interface MoveInput {
  readonly requestId: string;
  readonly event: CaseEvent;
  readonly actor: Actor;
  /** For the audit entry. */
  readonly ip?: string | null;
  /** The written reason (staff), else the rule's own reason is logged. */
  readonly reason?: string | null;
  /** A customer acting: only their own case (another's is not found). */
  readonly customerId?: string;
  /** The audit action (default `case.transitioned`). */
  readonly auditAction?: string;
  /** More facts for the audit entry's `after` (the info request asked, the approval, …). */
  readonly detail?: Readonly<Record<string, unknown>>;
}

export interface Moved {
  /** The request row after the move. */
  readonly request: RefundRequestTable;
  readonly transition: CaseTransitionRecord;
}

function illegal(state: CaseState, event: CaseEvent): CaseError {
  const from = TRANSITIONS[event].from;
  return {
    code: 'illegal_transition',
    detail: `The case is ${state}; ${event} is allowed only from ${from.join(', ')}.`,
    state,
  };
}

/** The move, re-checked with the table; the error a refused one answers. */
export function checkMove(
  state: CaseState,
  event: CaseEvent,
  actor: Actor,
): Result<CaseState, CaseError> {
  const role = actorRole(actor);
  if (role === undefined) {
    return { ok: false, error: { code: 'forbidden', detail: 'This caller may move no case.' } };
  }
  const move = transition(state, event, role);
  if (move.ok) return { ok: true, value: move.value.to };
  if (move.error.code === 'illegal_transition') return { ok: false, error: illegal(state, event) };
  return {
    ok: false,
    error: {
      code: 'forbidden',
      detail: `${event} is for ${move.error.allowed.join(', ')}; the caller acts as ${role}.`,
    },
  };
}

/** A move without its effects (see the module comment); inside the caller's transaction. */
export async function applyMove(
  trx: Transaction<Database>,
  deps: DeskDeps,
  input: MoveInput,
): Promise<CaseResult<Moved>> {
  const row = await lockCase(trx, deps, input.requestId, input.customerId);
  if (row === undefined) return { ok: false, error: caseNotFound() };
  const from = stateOf(row);
  const checked = checkMove(from, input.event, input.actor);
  if (!checked.ok) return checked;
  const to = checked.value;
  const nowMs = deps.clock.nowMs();
  const reason = input.reason ?? TRANSITIONS[input.event].reason;

  const log = await readStateLog(trx, row.id);
  const seq = (log[log.length - 1]?.seq ?? 0) + 1;
  const due = slaDueInstants(
    [...log, { state: to, atMs: nowMs }],
    caseConfigOf(deps).calendar,
    await slaParametersOf(trx, row),
  );
  const updated: RefundRequestTable = {
    ...row,
    state: to,
    updatedAtMs: nowMs,
    rowVersion: row.rowVersion + 1,
    slaTargetAtMs: due.targetAtMs,
    slaDeadlineAtMs: due.deadlineAtMs,
  };
  const changed = await trx
    .updateTable('refundRequests')
    .set({
      state: updated.state,
      updatedAtMs: nowMs,
      rowVersion: updated.rowVersion,
      slaTargetAtMs: due.targetAtMs,
      slaDeadlineAtMs: due.deadlineAtMs,
    })
    .where('id', '=', row.id)
    .where('rowVersion', '=', row.rowVersion)
    .executeTakeFirst();
  if (changed.numUpdatedRows !== 1n)
    throw new Error(`refund request ${row.id} changed concurrently`);

  const record: CaseTransitionRecord = {
    requestId: row.id,
    seq,
    event: input.event,
    fromState: from,
    toState: to,
    actor: input.actor,
    reason,
    atMs: nowMs,
  };
  await insertTransition(trx, record);
  await appendAudit(trx, deps.store.engine, { actor: input.actor, ip: input.ip ?? null }, nowMs, {
    action: input.auditAction ?? 'case.transitioned',
    entityKind: 'refund_request',
    entityId: row.id,
    before: { state: from, rowVersion: row.rowVersion },
    after: {
      state: to,
      rowVersion: updated.rowVersion,
      event: input.event,
      seq,
      reason,
      ...input.detail,
    },
  });
  return { ok: true, value: { request: updated, transition: record } };
}

export async function insertTransition(
  trx: Transaction<Database>,
  record: CaseTransitionRecord,
): Promise<void> {
  await insertTransitions.run(trx, [
    {
      requestId: record.requestId,
      seq: record.seq,
      event: record.event,
      fromState: record.fromState,
      toState: record.toState,
      actorKind: record.actor.kind,
      actorId: record.actor.id,
      reason: record.reason,
      atMs: record.atMs,
    },
  ]);
}

/** The state-log insert, compiled once per database (store/prepared.ts). */
const insertTransitions = prepareInsert('caseTransitions', 1);

/** The SLA cache of a case that starts in `state` at `atMs` (seq 1 alone). */
export async function initialDueInstants(
  db: Db,
  deps: DeskDeps,
  row: Pick<RefundRequestTable, 'policyId' | 'policyVersion'>,
  state: CaseState,
  atMs: number,
): Promise<Pick<Sla, 'targetAtMs' | 'deadlineAtMs'>> {
  return slaDueInstants(
    [{ state, atMs }],
    caseConfigOf(deps).calendar,
    await slaParametersOf(db, row),
  );
}

class Rollback extends Error {
  constructor(readonly error: CaseError) {
    super(error.detail);
  }
}

/** Runs `work` in a transaction that rolls back when it returns an error value. */
export async function caseTransaction<T>(
  deps: DeskDeps,
  work: (trx: Transaction<Database>) => Promise<CaseResult<T>>,
): Promise<CaseResult<T>> {
  try {
    return await deps.store.db.transaction().execute(async (trx) => {
      const result = await work(trx);
      if (!result.ok) throw new Rollback(result.error);
      return result;
    });
  } catch (error) {
    if (error instanceof Rollback) return { ok: false, error: error.error };
    throw error;
  }
}
