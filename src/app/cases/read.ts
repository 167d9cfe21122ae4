/**
 * Reading a case for staff: the request, its SLA recomputed from the state log, the moves the
 * reader may make next, every decision (the engine's and the staff overrides, each explained
 * with the clause texts of the policy version), the state log, findings, information requests,
 * approvals, and the order's reports (what findings are about). Every list is bounded.
 */
import type { Kysely } from 'kysely';
import { eventsFrom, type CaseEvent, type CaseState } from '../../domain/case-state.js';
import type { SlaStatus } from '../../domain/sla.js';
import {
  explain,
  formatInstant,
  type Decision,
  type Explanation,
  type Result,
} from '../../engine/index.js';
import type { Database } from '../../store/schema.js';
import type { Actor, DeskDeps } from '../context.js';
import { findVisibleRequest, type Reader } from '../requests/access.js';
import { policyOf } from '../requests/read.js';
import { requestView, type RefundRequestView } from '../requests/views.js';
import { caseConfigOf } from './config.js';
import { caseNotFound, type CaseError } from './errors.js';
import { infoRequestView, type InfoRequestView } from './info.js';
import { actorRole, slaOfCase, stateOf } from './move.js';
import { findingView, type FindingView } from './review.js';

/** Rows of each list in a case view, at most (the newest). */
export const CASE_VIEW_LIMIT = 200;

export interface SlaView {
  readonly status: SlaStatus;
  readonly targetAt: string | null;
  readonly deadlineAt: string | null;
  readonly targetBusinessDays: number;
  readonly deadlineBusinessDays: number;
  readonly calendar: string;
}

export interface CaseDecisionView {
  readonly seq: number;
  readonly decidedAt: string;
  readonly source: 'engine' | 'override';
  /** `kind:id` of the staff member who overrode the engine; null for the engine. */
  readonly decidedBy: string | null;
  /** The written reason of an override; null for the engine. */
  readonly note: string | null;
  readonly decision: Decision;
  readonly explanation: Explanation;
}

export interface TransitionView {
  readonly seq: number;
  readonly event: string;
  readonly fromState: string | null;
  readonly toState: string;
  readonly actor: { readonly kind: string; readonly id: string };
  readonly reason: string;
  readonly at: string;
}

export interface ApprovalView {
  readonly id: string;
  readonly decisionSeq: number;
  readonly amountMinor: number;
  readonly currency: string;
  readonly requestedBy: string;
  readonly requestedAt: string;
  readonly reason: string;
  readonly status: 'pending' | 'confirmed' | 'returned';
  readonly decidedBy: string | null;
  readonly decidedAt: string | null;
  readonly note: string | null;
}

export interface CaseReportView {
  readonly id: string;
  readonly reportedAt: string;
  readonly cause: string;
  readonly remediatedAt: string | null;
  readonly description: string;
}

export interface CaseView {
  readonly request: RefundRequestView;
  readonly state: CaseState;
  readonly sla: SlaView;
  /** The events the reader may ask for from the current state. */
  readonly nextEvents: readonly CaseEvent[];
  readonly decisions: readonly CaseDecisionView[];
  readonly transitions: readonly TransitionView[];
  readonly reports: readonly CaseReportView[];
  readonly findings: readonly FindingView[];
  readonly infoRequests: readonly InfoRequestView[];
  readonly approvals: readonly ApprovalView[];
}

const iso = (ms: number | null): string | null => (ms === null ? null : formatInstant(ms));

/** Newest `limit` rows, returned oldest first. */
function oldestFirst<T>(rows: T[]): T[] {
  return rows.reverse();
}

export async function getCase(
  deps: DeskDeps,
  reader: Reader,
  actor: Actor,
  requestId: string,
): Promise<Result<CaseView, CaseError>> {
  const db: Kysely<Database> = deps.store.db;
  const row = await findVisibleRequest(db, reader, requestId);
  if (row === undefined) return { ok: false, error: caseNotFound() };
  const state = stateOf(row);
  const [sla, policy, decisions, transitions, reports, findings, infos, approvals] =
    await Promise.all([
      slaOfCase(db, deps, row),
      policyOf(db, row.policyId, row.policyVersion),
      db
        .selectFrom('decisions')
        .selectAll()
        .where('requestId', '=', requestId)
        .orderBy('seq', 'desc')
        .limit(CASE_VIEW_LIMIT)
        .execute(),
      db
        .selectFrom('caseTransitions')
        .selectAll()
        .where('requestId', '=', requestId)
        .orderBy('seq', 'desc')
        .limit(CASE_VIEW_LIMIT)
        .execute(),
      db
        .selectFrom('reports')
        .selectAll()
        .where('orderId', '=', row.orderId)
        .orderBy('reportedAtMs', 'desc')
        .limit(CASE_VIEW_LIMIT)
        .execute(),
      db
        .selectFrom('caseFindings')
        .selectAll()
        .where('requestId', '=', requestId)
        .orderBy('recordedAtMs', 'desc')
        .orderBy('id', 'desc')
        .limit(CASE_VIEW_LIMIT)
        .execute(),
      db
        .selectFrom('infoRequests')
        .selectAll()
        .where('requestId', '=', requestId)
        .orderBy('askedAtMs', 'desc')
        .orderBy('id', 'desc')
        .limit(CASE_VIEW_LIMIT)
        .execute(),
      db
        .selectFrom('caseApprovals')
        .selectAll()
        .where('requestId', '=', requestId)
        .orderBy('requestedAtMs', 'desc')
        .orderBy('id', 'desc')
        .limit(CASE_VIEW_LIMIT)
        .execute(),
    ]);
  const role = actorRole(actor);
  return {
    ok: true,
    value: {
      request: requestView(row),
      state,
      sla: {
        status: sla.status,
        targetAt: iso(sla.targetAtMs),
        deadlineAt: iso(sla.deadlineAtMs),
        targetBusinessDays: sla.targetBusinessDays,
        deadlineBusinessDays: sla.deadlineBusinessDays,
        calendar: caseConfigOf(deps).calendar.id,
      },
      nextEvents: role === undefined ? [] : eventsFrom(state, role),
      decisions: oldestFirst(decisions).map((d) => {
        const decision = JSON.parse(d.decisionJson) as Decision;
        return {
          seq: d.seq,
          decidedAt: formatInstant(d.decidedAtMs),
          source: d.source,
          decidedBy: d.actorId,
          note: d.note,
          decision,
          explanation: explain(decision, policy),
        };
      }),
      transitions: oldestFirst(transitions).map((t) => ({
        seq: t.seq,
        event: t.event,
        fromState: t.fromState,
        toState: t.toState,
        actor: { kind: t.actorKind, id: t.actorId },
        reason: t.reason,
        at: formatInstant(t.atMs),
      })),
      reports: oldestFirst(reports).map((r) => ({
        id: r.id,
        reportedAt: formatInstant(r.reportedAtMs),
        cause: r.cause,
        remediatedAt: iso(r.remediatedAtMs),
        description: r.description,
      })),
      findings: oldestFirst(findings).map(findingView),
      infoRequests: oldestFirst(infos).map(infoRequestView),
      approvals: oldestFirst(approvals).map((a) => ({
        id: a.id,
        decisionSeq: a.decisionSeq,
        amountMinor: a.amountMinor,
        currency: a.currency,
        requestedBy: a.requestedBy,
        requestedAt: formatInstant(a.requestedAtMs),
        reason: a.reason,
        status: a.status,
        decidedBy: a.decidedBy,
        decidedAt: iso(a.decidedAtMs),
        note: a.note,
      })),
    },
  };
}
