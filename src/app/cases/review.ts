/**
 * Technical review: findings on reports, KYC, re-running the engine on updated facts, and the
 * staff decisions — approve, offer pro-rata, deny — following the engine or overriding it with
 * a written reason (both decisions are kept: the engine's rows stay, the staff decision is a
 * row with source `override`, who and why). Approvals above the desk's second-approval amount
 * wait for a second approver, who is never the first (re-checked inside the transaction).
 *
 * Every use case runs in one transaction (`caseTransaction`: an error value rolls it back),
 * locks the case first, and moves it only through `moveCase`.
 */
import type { Transaction } from 'kysely';
import {
  DECISION_EVENT,
  isFinal,
  type CaseEvent,
  type CaseState,
} from '../../domain/case-state.js';
import { formatFieldError, parseInstantMs, type Decision } from '../../engine/index.js';
import type { Database, DecisionTable, RefundRequestTable } from '../../store/schema.js';
import { appendAudit, appendAuditMany } from '../audit.js';
import type { DeskDeps, Origin } from '../context.js';
import { newId } from '../ids.js';
import { caseConfigOf, needsSecondApproval } from './config.js';
import { caseNotFound, invalidField, stateConflict, type CaseResult } from './errors.js';
import type {
  ApprovalInput,
  DenialInput,
  FindingInput,
  KycCompletionInput,
  NoteInput,
  ProrataOfferInput,
  SecondApprovalInput,
} from './input.js';
import {
  actorRef,
  caseTransaction,
  checkMove,
  lockCase,
  moveCase,
  stateOf,
  type Moved,
} from './move.js';
import { decideStoredCase, decisionAudit, recordEngineDecision } from './redecide.js';

type Trx = Transaction<Database>;

/** What a review action answers: the case's state after it (the route then shows the case). */
export interface ReviewOutcome {
  readonly requestId: string;
  readonly state: CaseState;
}

function outcomeOf(row: RefundRequestTable): ReviewOutcome {
  return { requestId: row.id, state: stateOf(row) };
}

function outcomeOfMove(moved: CaseResult<Moved>): CaseResult<ReviewOutcome> {
  return moved.ok ? { ok: true, value: outcomeOf(moved.value.request) } : moved;
}

async function locked(trx: Trx, deps: DeskDeps, requestId: string) {
  const row = await lockCase(trx, deps, requestId);
  return row === undefined
    ? ({ ok: false, error: caseNotFound() } as const)
    : ({ ok: true, value: row } as const);
}

/** Locks a case that is not final (a finding or a re-decision still means something). */
async function lockOpen(
  trx: Trx,
  deps: DeskDeps,
  requestId: string,
  what: string,
): Promise<CaseResult<RefundRequestTable>> {
  const row = await locked(trx, deps, requestId);
  if (!row.ok) return row;
  const state = stateOf(row.value);
  return isFinal(state)
    ? {
        ok: false,
        error: stateConflict(state, `The case is ${state}; ${what} only while it is open.`),
      }
    : row;
}

// ── Findings ───────────────────────────────────────────────────────────────────────────────

export interface FindingView {
  readonly id: string;
  readonly requestId: string;
  readonly reportId: string;
  readonly cause: string;
  readonly remediation: string;
  readonly remediatedAt: string | null;
  readonly recordedBy: string;
  readonly recordedAt: string;
}

/**
 * Records a report's cause and remediation: a finding row, and the report's facts updated
 * (its cause, and its remediation instant when given), so a re-decision reads them. The case
 * does not move.
 */
export async function recordFinding(
  deps: DeskDeps,
  origin: Origin,
  requestId: string,
  input: FindingInput,
): Promise<CaseResult<FindingView>> {
  return caseTransaction(deps, async (trx) => {
    const row = await lockOpen(trx, deps, requestId, 'findings are recorded');
    if (!row.ok) return row;
    const report = await trx
      .selectFrom('reports')
      .selectAll()
      .where('id', '=', input.reportId)
      .where('orderId', '=', row.value.orderId)
      .executeTakeFirst();
    if (report === undefined) {
      return {
        ok: false,
        error: invalidField('/reportId', "is not a report on this case's order"),
      };
    }
    const nowMs = deps.clock.nowMs();
    const remediatedAtMs =
      input.remediatedAt === undefined
        ? report.remediatedAtMs
        : input.remediatedAt === null
          ? null
          : (parseInstantMs(input.remediatedAt) ?? null);
    await trx
      .updateTable('reports')
      .set({ cause: input.cause, remediatedAtMs, updatedAtMs: nowMs })
      .where('id', '=', report.id)
      .execute();
    const finding = {
      id: newId('fnd', nowMs),
      requestId,
      reportId: report.id,
      cause: input.cause,
      remediation: input.remediation,
      remediatedAtMs,
      recordedBy: actorRef(origin.actor),
      recordedAtMs: nowMs,
    };
    await trx.insertInto('caseFindings').values(finding).execute();
    await appendAuditMany(trx, deps.store.engine, origin, nowMs, [
      {
        action: 'report.reviewed',
        entityKind: 'report',
        entityId: report.id,
        before: { cause: report.cause, remediatedAtMs: report.remediatedAtMs },
        after: { cause: input.cause, remediatedAtMs },
      },
      {
        action: 'case.finding_recorded',
        entityKind: 'refund_request',
        entityId: requestId,
        after: { findingId: finding.id, reportId: report.id, cause: input.cause },
      },
    ]);
    return { ok: true, value: findingView(finding) };
  });
}

export function findingView(row: {
  id: string;
  requestId: string;
  reportId: string;
  cause: string;
  remediation: string;
  remediatedAtMs: number | null;
  recordedBy: string;
  recordedAtMs: number;
}): FindingView {
  return {
    id: row.id,
    requestId: row.requestId,
    reportId: row.reportId,
    cause: row.cause,
    remediation: row.remediation,
    remediatedAt: row.remediatedAtMs === null ? null : new Date(row.remediatedAtMs).toISOString(),
    recordedBy: row.recordedBy,
    recordedAt: new Date(row.recordedAtMs).toISOString(),
  };
}

// ── KYC ─────────────────────────────────────────────────────────────────────────────────────

async function setKyc(
  trx: Trx,
  deps: DeskDeps,
  origin: Origin,
  customerId: string,
  status: 'required' | 'verified' | 'rejected',
): Promise<void> {
  const nowMs = deps.clock.nowMs();
  const before = await trx
    .selectFrom('customers')
    .select('kycStatus')
    .where('id', '=', customerId)
    .executeTakeFirstOrThrow();
  await trx
    .updateTable('customers')
    .set({ kycStatus: status, updatedAtMs: nowMs })
    .where('id', '=', customerId)
    .execute();
  await appendAudit(trx, deps.store.engine, origin, nowMs, {
    action: 'customer.kyc_changed',
    entityKind: 'customer',
    entityId: customerId,
    before: { kycStatus: before.kycStatus },
    after: { kycStatus: status },
  });
}

/** Risk controls or a reviewer require KYC: the customer's KYC becomes required; clock pauses. */
export async function requireKyc(
  deps: DeskDeps,
  origin: Origin,
  requestId: string,
  input: NoteInput,
): Promise<CaseResult<ReviewOutcome>> {
  return caseTransaction(deps, async (trx) => {
    const moved = await move(trx, deps, origin, requestId, 'require_kyc', input.reason);
    if (!moved.ok) return moved;
    await setKyc(trx, deps, origin, moved.value.request.customerId, 'required');
    return outcomeOfMove(moved);
  });
}

/** KYC finished (verified or rejected): recorded on the customer; the review resumes. */
export async function completeKyc(
  deps: DeskDeps,
  origin: Origin,
  requestId: string,
  input: KycCompletionInput,
): Promise<CaseResult<ReviewOutcome>> {
  return caseTransaction(deps, async (trx) => {
    const moved = await move(trx, deps, origin, requestId, 'kyc_completed', input.reason, {
      kycResult: input.result,
    });
    if (!moved.ok) return moved;
    await setKyc(trx, deps, origin, moved.value.request.customerId, input.result);
    return outcomeOfMove(moved);
  });
}

function move(
  trx: Trx,
  deps: DeskDeps,
  origin: Origin,
  requestId: string,
  event: CaseEvent,
  reason: string | undefined,
  detail?: Record<string, unknown>,
): Promise<CaseResult<Moved>> {
  return moveCase(trx, deps, {
    requestId,
    event,
    actor: origin.actor,
    ip: origin.ip,
    reason: reason ?? null,
    ...(detail === undefined ? {} : { detail }),
  });
}

// ── Decisions ──────────────────────────────────────────────────────────────────────────────

async function nextDecisionSeq(trx: Trx, requestId: string): Promise<number> {
  const row = await trx
    .selectFrom('decisions')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .where('requestId', '=', requestId)
    .executeTakeFirst();
  return Number(row?.seq ?? 0) + 1;
}

/** The engine's latest decision on the case (there is always one: intake writes it). */
async function latestEngineDecision(trx: Trx, requestId: string): Promise<DecisionTable> {
  return trx
    .selectFrom('decisions')
    .selectAll()
    .where('requestId', '=', requestId)
    .where('source', '=', 'engine')
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirstOrThrow();
}

/**
 * Re-runs the engine on the case's facts as stored now (under the case's policy version, with
 * its submission instant, evaluated now): a new decision row. The case moves only where the
 * engine moves cases (submitted, pending_remediation: by the table's decide_* row, as the desk
 * itself); in review it stays, and the reviewer decides next. Not while an approval waits for
 * its second approver, whose decision it would change.
 */
export async function reDecide(
  deps: DeskDeps,
  origin: Origin,
  requestId: string,
): Promise<
  CaseResult<{ readonly state: CaseState; readonly decision: Decision; readonly seq: number }>
> {
  return caseTransaction(deps, async (trx) => {
    const row = await lockOpen(trx, deps, requestId, 'the engine re-decides');
    if (!row.ok) return row;
    const request = row.value;
    const state = stateOf(request);
    if (state === 'awaiting_approval') {
      return {
        ok: false,
        error: stateConflict(
          state,
          'An approval is waiting for its second approver; decide that first.',
        ),
      };
    }
    const nowMs = deps.clock.nowMs();
    const decided = await decideStoredCase(trx, request, nowMs);
    if (!decided.ok) {
      return {
        ok: false,
        error: {
          code: 'case_not_decidable',
          detail: `The stored facts cannot be decided: ${decided.error.map(formatFieldError).join('; ')}.`,
        },
      };
    }
    const { decision } = decided.value;
    const decisionRow = await recordEngineDecision(trx, deps, origin, {
      requestId,
      seq: await nextDecisionSeq(trx, requestId),
      nowMs,
      decided: decided.value,
    });
    let after: CaseState = state;
    if (state === 'submitted' || state === 'pending_remediation') {
      const moved = await moveCase(trx, deps, {
        requestId,
        event: DECISION_EVENT[decision.outcome],
        actor: { kind: 'system', id: 'engine' },
        ip: origin.ip,
        detail: { decisionSeq: decisionRow.seq, askedBy: actorRef(origin.actor) },
      });
      if (!moved.ok) return moved;
      after = stateOf(moved.value.request);
    }
    return { ok: true, value: { state: after, decision, seq: decisionRow.seq } };
  });
}

interface StaffDecision {
  readonly outcome: 'full_refund' | 'prorata' | 'denied';
  readonly refundMinor: number;
  readonly extensionDays: number;
}

/**
 * Whether the staff decision follows the engine's latest one; when it does not, the override
 * (written reason required) is stored as a decision row of its own, beside the engine's.
 * Returns the seq of the decision the case now stands on.
 */
async function settleDecision(
  trx: Trx,
  deps: DeskDeps,
  origin: Origin,
  { request, engine }: OpenDecision,
  wanted: StaffDecision,
  reason: string | undefined,
): Promise<CaseResult<{ readonly seq: number; readonly overridden: boolean }>> {
  const follows =
    engine.outcome === wanted.outcome &&
    engine.refundMinor === wanted.refundMinor &&
    engine.extensionDays === wanted.extensionDays;
  if (follows) return { ok: true, value: { seq: engine.seq, overridden: false } };
  if (reason === undefined) {
    return {
      ok: false,
      error: invalidField(
        '/reason',
        `is required: this overrides the engine's decision (${engine.outcome}, ${engine.refundMinor} ${engine.currency})`,
      ),
    };
  }
  const nowMs = deps.clock.nowMs();
  const engineDecision = JSON.parse(engine.decisionJson) as Decision;
  const decision: Decision = {
    outcome: wanted.outcome,
    refundCents: wanted.refundMinor,
    extensionDays: wanted.extensionDays,
    currency: engine.currency,
    decidableAt: null,
    reasons: [],
    policyVersion: engineDecision.policyVersion,
  };
  const row: DecisionTable = {
    id: newId('dec', nowMs),
    requestId: request.id,
    seq: await nextDecisionSeq(trx, request.id),
    decidedAtMs: nowMs,
    policyVersion: engine.policyVersion,
    outcome: wanted.outcome,
    refundMinor: wanted.refundMinor,
    extensionDays: wanted.extensionDays,
    currency: engine.currency,
    decidableAtMs: null,
    decisionJson: JSON.stringify(decision),
    // The facts the overridden engine decision read: the override answers that decision.
    factsJson: engine.factsJson,
    source: 'override',
    actorId: actorRef(origin.actor),
    note: reason,
  };
  await trx.insertInto('decisions').values(row).execute();
  await appendAudit(trx, deps.store.engine, origin, nowMs, {
    ...decisionAudit(row, decision),
    before: {
      engineDecisionSeq: engine.seq,
      outcome: engine.outcome,
      refundMinor: engine.refundMinor,
    },
  });
  return { ok: true, value: { seq: row.seq, overridden: true } };
}

interface Refundable {
  readonly amount: number;
  readonly currency: string;
}

/**
 * What may still be refunded on the order (its cash amount less what was refunded already), when
 * `refundMinor` fits in it; `tooMuch` words the error when it does not.
 */
async function withinRefundable(
  trx: Trx,
  orderId: string,
  refundMinor: number,
  tooMuch: (refundable: Refundable) => string,
): Promise<CaseResult<Refundable>> {
  const order = await trx
    .selectFrom('orders')
    .select(['amountMinor', 'currency'])
    .where('id', '=', orderId)
    .executeTakeFirstOrThrow();
  const refunded = await trx
    .selectFrom('refunds')
    .select((eb) => eb.fn.sum<number | string | null>('amountMinor').as('total'))
    .where('orderId', '=', orderId)
    .executeTakeFirst();
  const refundable = {
    amount: Math.max(0, order.amountMinor - Number(refunded?.total ?? 0)),
    currency: order.currency,
  };
  return refundMinor > refundable.amount
    ? { ok: false, error: invalidField('/refundMinor', tooMuch(refundable)) }
    : { ok: true, value: refundable };
}

async function openForDecision(
  trx: Trx,
  deps: DeskDeps,
  origin: Origin,
  requestId: string,
  event: CaseEvent,
): Promise<CaseResult<RefundRequestTable>> {
  const row = await locked(trx, deps, requestId);
  if (!row.ok) return row;
  const checked = checkMove(stateOf(row.value), event, origin.actor);
  return checked.ok ? row : checked;
}

/** A case a staff decision may move, and the engine's latest decision on it. */
interface OpenDecision {
  readonly request: RefundRequestTable;
  readonly engine: DecisionTable;
}

async function openForStaffDecision(
  trx: Trx,
  deps: DeskDeps,
  origin: Origin,
  requestId: string,
  event: CaseEvent,
): Promise<CaseResult<OpenDecision>> {
  const open = await openForDecision(trx, deps, origin, requestId, event);
  if (!open.ok) return open;
  return {
    ok: true,
    value: { request: open.value, engine: await latestEngineDecision(trx, requestId) },
  };
}

/**
 * A reviewer approves a full refund: the engine's amount when it decided a full refund, or an
 * override (another amount, or against another outcome: `refundMinor` and a written reason).
 * Above the second-approval amount the case waits for a second approver (awaiting_approval).
 */
export async function approve(
  deps: DeskDeps,
  origin: Origin,
  requestId: string,
  input: ApprovalInput,
): Promise<CaseResult<ReviewOutcome>> {
  return caseTransaction(deps, async (trx) => {
    const open = await openForStaffDecision(trx, deps, origin, requestId, 'approve');
    if (!open.ok) return open;
    const { request, engine } = open.value;
    const refundMinor =
      input.refundMinor ?? (engine.outcome === 'full_refund' ? engine.refundMinor : undefined);
    if (refundMinor === undefined) {
      return {
        ok: false,
        error: invalidField(
          '/refundMinor',
          `is required: the engine decided ${engine.outcome}, not a full refund`,
        ),
      };
    }
    const within = await withinRefundable(
      trx,
      request.orderId,
      refundMinor,
      ({ amount, currency }) =>
        `must be at most ${amount} (what the order can still refund, in ${currency} minor units)`,
    );
    if (!within.ok) return within;
    const refundable = within.value;
    const settled = await settleDecision(
      trx,
      deps,
      origin,
      open.value,
      { outcome: 'full_refund', refundMinor, extensionDays: 0 },
      input.reason,
    );
    if (!settled.ok) return settled;
    const config = caseConfigOf(deps);
    if (!needsSecondApproval(config, refundMinor, refundable.currency)) {
      const moved = await move(trx, deps, origin, requestId, 'approve', input.reason, {
        decisionSeq: settled.value.seq,
        refundMinor,
        currency: refundable.currency,
        overridden: settled.value.overridden,
      });
      return outcomeOfMove(moved);
    }
    const nowMs = deps.clock.nowMs();
    const approval = {
      id: newId('apr', nowMs),
      requestId,
      decisionSeq: settled.value.seq,
      amountMinor: refundMinor,
      currency: refundable.currency,
      requestedBy: actorRef(origin.actor),
      requestedAtMs: nowMs,
      reason: input.reason ?? 'Approved following the engine.',
      status: 'pending' as const,
      decidedBy: null,
      decidedAtMs: null,
      note: null,
    };
    await trx.insertInto('caseApprovals').values(approval).execute();
    const moved = await move(
      trx,
      deps,
      origin,
      requestId,
      'request_second_approval',
      input.reason,
      {
        approvalId: approval.id,
        decisionSeq: settled.value.seq,
        refundMinor,
        currency: refundable.currency,
        overridden: settled.value.overridden,
      },
    );
    return outcomeOfMove(moved);
  });
}

/**
 * A reviewer offers a pro-rata refund or a service extension: the engine's figures when it
 * decided pro-rata, or an override (both figures and a written reason).
 */
export async function offerProrata(
  deps: DeskDeps,
  origin: Origin,
  requestId: string,
  input: ProrataOfferInput,
): Promise<CaseResult<ReviewOutcome>> {
  return caseTransaction(deps, async (trx) => {
    const open = await openForStaffDecision(trx, deps, origin, requestId, 'offer_prorata');
    if (!open.ok) return open;
    const { request, engine } = open.value;
    const fromEngine = engine.outcome === 'prorata';
    const refundMinor = input.refundMinor ?? (fromEngine ? engine.refundMinor : undefined);
    const extensionDays = input.extensionDays ?? (fromEngine ? engine.extensionDays : undefined);
    if (refundMinor === undefined || extensionDays === undefined) {
      const pointer = refundMinor === undefined ? '/refundMinor' : '/extensionDays';
      return {
        ok: false,
        error: invalidField(
          pointer,
          `is required: the engine decided ${engine.outcome}, not pro-rata`,
        ),
      };
    }
    const within = await withinRefundable(
      trx,
      request.orderId,
      refundMinor,
      ({ amount }) => `must be at most ${amount}`,
    );
    if (!within.ok) return within;
    const settled = await settleDecision(
      trx,
      deps,
      origin,
      open.value,
      { outcome: 'prorata', refundMinor, extensionDays },
      input.reason,
    );
    if (!settled.ok) return settled;
    const moved = await move(trx, deps, origin, requestId, 'offer_prorata', input.reason, {
      decisionSeq: settled.value.seq,
      refundMinor,
      extensionDays,
      overridden: settled.value.overridden,
    });
    return outcomeOfMove(moved);
  });
}

/** A reviewer denies, always with a written reason; against the engine, it is an override. */
export async function deny(
  deps: DeskDeps,
  origin: Origin,
  requestId: string,
  input: DenialInput,
): Promise<CaseResult<ReviewOutcome>> {
  return caseTransaction(deps, async (trx) => {
    const open = await openForStaffDecision(trx, deps, origin, requestId, 'deny');
    if (!open.ok) return open;
    const settled = await settleDecision(
      trx,
      deps,
      origin,
      open.value,
      { outcome: 'denied', refundMinor: 0, extensionDays: 0 },
      input.reason,
    );
    if (!settled.ok) return settled;
    const moved = await move(trx, deps, origin, requestId, 'deny', input.reason, {
      decisionSeq: settled.value.seq,
      overridden: settled.value.overridden,
    });
    return outcomeOfMove(moved);
  });
}

/**
 * The second approver confirms (→ approved) or returns the case to review. Never the person who
 * asked: checked here, inside the transaction that moves the case, against the stored approval.
 */
export async function secondApproval(
  deps: DeskDeps,
  origin: Origin,
  requestId: string,
  input: SecondApprovalInput,
): Promise<CaseResult<ReviewOutcome>> {
  return caseTransaction(deps, async (trx) => {
    const event: CaseEvent = input.confirm ? 'second_approve' : 'return_to_review';
    const open = await openForDecision(trx, deps, origin, requestId, event);
    if (!open.ok) return open;
    const approval = await trx
      .selectFrom('caseApprovals')
      .selectAll()
      .where('requestId', '=', requestId)
      .where('status', '=', 'pending')
      .orderBy('requestedAtMs', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (approval === undefined) {
      throw new Error(`case ${requestId} awaits approval without a pending approval row`);
    }
    const me = actorRef(origin.actor);
    if (approval.requestedBy === me) {
      return {
        ok: false,
        error: {
          code: 'forbidden',
          detail: 'The second approver must be someone other than the person who approved first.',
        },
      };
    }
    if (!input.confirm && input.reason === undefined) {
      return {
        ok: false,
        error: invalidField('/reason', 'is required to return the case to review'),
      };
    }
    const nowMs = deps.clock.nowMs();
    await trx
      .updateTable('caseApprovals')
      .set({
        status: input.confirm ? 'confirmed' : 'returned',
        decidedBy: me,
        decidedAtMs: nowMs,
        note: input.reason ?? null,
      })
      .where('id', '=', approval.id)
      .execute();
    const moved = await move(trx, deps, origin, requestId, event, input.reason, {
      approvalId: approval.id,
      firstApprover: approval.requestedBy,
      decisionSeq: approval.decisionSeq,
      refundMinor: approval.amountMinor,
      currency: approval.currency,
    });
    return outcomeOfMove(moved);
  });
}
