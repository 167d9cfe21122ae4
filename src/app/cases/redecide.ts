/**
 * Deciding a stored case again: the engine on the case's facts as stored now (its policy
 * version, its submission instant, evaluated now), and the engine decision row that records it,
 * audited. Shared by a reviewer's re-decision (review.ts) and the remediation timer
 * (timer-handlers.ts); each decides what a failure means and how the case moves.
 */
import type { Transaction } from 'kysely';
import { parseInstantMs } from '../../domain/time.js';
import type { CaseInput, Decision, FieldError, Result } from '../../engine/index.js';
import type { Database, DecisionTable, RefundRequestTable } from '../../store/schema.js';
import { appendAudit, type AuditChange } from '../audit.js';
import type { DeskDeps, Origin } from '../context.js';
import { decideCase } from '../decide.js';
import { assembleCaseOfOrder, findOrder } from '../facts.js';
import { newId } from '../ids.js';
import { policyOf } from '../requests/read.js';

export interface EngineDecision {
  readonly decision: Decision;
  /** The case the engine read. */
  readonly facts: CaseInput;
  readonly decidableAtMs: number | null;
}

/** The engine's decision on the request's facts as stored now; field errors when undecidable. */
export async function decideStoredCase(
  trx: Transaction<Database>,
  request: RefundRequestTable,
  nowMs: number,
): Promise<Result<EngineDecision, FieldError[]>> {
  const order = await findOrder(trx, request.orderId);
  if (order === undefined) throw new Error(`order ${request.orderId} of ${request.id} is missing`);
  const facts = await assembleCaseOfOrder(trx, order, {
    submittedAtMs: request.submittedAtMs,
    evaluatedAtMs: nowMs,
    legallyRequired: request.legallyRequired === 1,
  });
  const policy = await policyOf(trx, request.policyId, request.policyVersion);
  const decided = decideCase(facts, { policy, errors: 'all' });
  if (!decided.ok) return decided;
  const { decision } = decided.value;
  const decidableAtMs =
    decision.decidableAt === null ? null : (parseInstantMs(decision.decidableAt) ?? null);
  return { ok: true, value: { decision, facts, decidableAtMs } };
}

/** Stores an engine decision as the request's decision `seq`, audited, in the caller's transaction. */
export async function recordEngineDecision(
  trx: Transaction<Database>,
  deps: DeskDeps,
  origin: Origin,
  input: {
    readonly requestId: string;
    readonly seq: number;
    readonly nowMs: number;
    readonly decided: EngineDecision;
  },
): Promise<DecisionTable> {
  const { requestId, seq, nowMs } = input;
  const { decision, facts, decidableAtMs } = input.decided;
  const row: DecisionTable = {
    id: newId('dec', nowMs),
    requestId,
    seq,
    decidedAtMs: nowMs,
    policyVersion: decision.policyVersion,
    outcome: decision.outcome,
    refundMinor: decision.refundCents,
    extensionDays: decision.extensionDays,
    currency: decision.currency,
    decidableAtMs,
    decisionJson: JSON.stringify(decision),
    factsJson: JSON.stringify(facts),
    source: 'engine',
    actorId: null,
    note: null,
  };
  await trx.insertInto('decisions').values(row).execute();
  await appendAudit(trx, deps.store.engine, origin, nowMs, decisionAudit(row, decision));
  return row;
}

/** The audit entry of a stored decision (engine or staff override). */
export function decisionAudit(row: DecisionTable, decision: Decision): AuditChange {
  return {
    action: 'decision.recorded',
    entityKind: 'decision',
    entityId: row.id,
    after: {
      requestId: row.requestId,
      seq: row.seq,
      source: row.source,
      outcome: decision.outcome,
      refundCents: decision.refundCents,
      extensionDays: decision.extensionDays,
      currency: decision.currency,
      policyVersion: decision.policyVersion,
      reasonCodes: decision.reasons.map((r) => r.code),
      ...(row.actorId === null ? {} : { actorId: row.actorId }),
      ...(row.note === null ? {} : { note: row.note }),
    },
  };
}
