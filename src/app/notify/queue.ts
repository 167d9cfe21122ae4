/**
 * Queueing case mail: outbox rows written in the transaction of the move (or timer) that calls
 * for them, composed there from the facts as they are at that moment. A worker sends them after
 * the commit (outbox.ts). Each notice has a dedupe key (`<case>:<seq>:<rank>:<kind>`,
 * `<case>:progress:<n>`), unique, so queueing the same notice twice writes one email; mails due
 * at the same instant are sent in key order (received before decided before questions).
 *
 * | move                                   | mail                                          |
 * |----------------------------------------|-----------------------------------------------|
 * | seq 1 (intake)                         | received (+ decided when decided at intake)   |
 * | into `awaiting_customer`               | information needed, with the open questions   |
 * | into approved / prorata_offered / denied | decided: outcome, amount, reasons in words  |
 * | progress_update timer                  | progress update                               |
 *
 * The recipient is the request's contact email, else the order's email.
 */
import type { Transaction } from 'kysely';
import { TRANSITIONS, type CaseState } from '../../domain/case-state.js';
import { businessDaysBetween } from '../../domain/calendar.js';
import { explain, type Decision } from '../../engine/index.js';
import { prepareQuery } from '../../store/prepared.js';
import type { Database, NotificationKind, NotificationTable } from '../../store/schema.js';
import { caseConfigOf } from '../cases/config.js';
import type { CaseTransitionRecord } from '../case-transition.js';
import type { DeskDeps } from '../context.js';
import { newId } from '../ids.js';
import { policyOf } from '../requests/read.js';
import { replyToOf } from './settings.js';
import {
  DECIDED_STATES,
  decidedMail,
  informationNeededMail,
  progressUpdateMail,
  receivedMail,
  type CaseMailFacts,
  type ComposedMail,
} from './templates.js';

interface CaseMailRow extends CaseMailFacts {
  readonly to: string;
  readonly policyId: string;
  readonly policyVersion: number;
  readonly state: string;
}

// The queries of every case mail, compiled once per database (store/prepared.ts): intake runs
// them on every request.
const selectCaseMailRow = prepareQuery((db, p: { requestId: string }) =>
  db
    .selectFrom('refundRequests as r')
    .innerJoin('orders as o', 'o.id', 'r.orderId')
    .innerJoin('customers as c', 'c.id', 'r.customerId')
    .select([
      'r.id',
      'r.orderId',
      'r.state',
      'r.contactEmail',
      'r.submittedAtMs',
      'r.policyId',
      'r.policyVersion',
      'o.email',
      'c.name',
    ])
    .where('r.id', '=', p.requestId),
);

const selectLatestDecisionJson = prepareQuery((db, p: { requestId: string }) =>
  db
    .selectFrom('decisions')
    .select('decisionJson')
    .where('requestId', '=', p.requestId)
    .orderBy('seq', 'desc')
    .limit(1),
);

/** Inserts a notification unless its dedupe key is taken (the same notice queued twice). */
const insertNotificationRow = prepareQuery((db, p: NotificationTable) =>
  db
    .insertInto('notifications')
    .values({
      id: p.id,
      dedupeKey: p.dedupeKey,
      requestId: p.requestId,
      kind: p.kind,
      toAddress: p.toAddress,
      replyTo: p.replyTo,
      subject: p.subject,
      text: p.text,
      status: p.status,
      attempts: p.attempts,
      nextAttemptAtMs: p.nextAttemptAtMs,
      leaseOwner: p.leaseOwner,
      leaseUntilMs: p.leaseUntilMs,
      lastError: p.lastError,
      createdAtMs: p.createdAtMs,
      updatedAtMs: p.updatedAtMs,
      sentAtMs: p.sentAtMs,
    })
    .onConflict((oc) => oc.column('dedupeKey').doNothing()),
);

async function caseMailRow(
  trx: Transaction<Database>,
  deps: DeskDeps,
  requestId: string,
): Promise<CaseMailRow | undefined> {
  const row = await selectCaseMailRow.first(trx, { requestId });
  if (row === undefined) return undefined;
  return {
    caseId: row.id,
    orderId: row.orderId,
    customerName: row.name,
    submittedAtMs: row.submittedAtMs,
    publicUrl: deps.publicUrl,
    to: row.contactEmail ?? row.email,
    policyId: row.policyId,
    policyVersion: row.policyVersion,
    state: row.state,
  };
}

async function explainedDecision(
  trx: Transaction<Database>,
  row: CaseMailRow,
): Promise<{ decision: Decision; explanation: ReturnType<typeof explain> } | undefined> {
  const stored = await selectLatestDecisionJson.first(trx, { requestId: row.caseId });
  if (stored === undefined) return undefined;
  const decision = JSON.parse(stored.decisionJson) as Decision;
  const policy = await policyOf(trx, row.policyId, row.policyVersion);
  return { decision, explanation: explain(decision, policy) };
}

/** The questions of the case's latest unanswered info request. */
async function openQuestions(
  trx: Transaction<Database>,
  requestId: string,
): Promise<string[] | undefined> {
  const asked = await trx
    .selectFrom('infoRequests')
    .select('questionsJson')
    .where('requestId', '=', requestId)
    .where('answeredAtMs', 'is', null)
    .orderBy('askedAtMs', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (asked === undefined) return undefined;
  const parsed: unknown = JSON.parse(asked.questionsJson);
  if (!Array.isArray(parsed)) return undefined;
  return parsed.flatMap((q: unknown) => {
    if (typeof q === 'string') return [q];
    if (typeof q === 'object' && q !== null && 'text' in q && typeof q.text === 'string') {
      return [q.text];
    }
    return [];
  });
}

async function insertNotification(
  trx: Transaction<Database>,
  deps: DeskDeps,
  row: CaseMailRow,
  kind: NotificationKind,
  dedupeKey: string,
  mail: ComposedMail,
): Promise<void> {
  const nowMs = deps.clock.nowMs();
  await insertNotificationRow.run(trx, {
    id: newId('ntf', nowMs),
    dedupeKey,
    requestId: row.caseId,
    kind,
    toAddress: row.to,
    replyTo: replyToOf(deps, row.caseId) ?? null,
    subject: mail.subject,
    text: mail.text,
    status: 'queued',
    attempts: 0,
    nextAttemptAtMs: nowMs,
    leaseOwner: null,
    leaseUntilMs: null,
    lastError: null,
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
    sentAtMs: null,
  });
}

/** The mail a case's move calls for, queued in the move's transaction. */
export async function queueCaseNotifications(
  trx: Transaction<Database>,
  deps: DeskDeps,
  record: CaseTransitionRecord,
): Promise<void> {
  const { requestId, seq, toState } = record;
  const first = record.fromState === null;
  const wantsDecided = DECIDED_STATES.has(toState);
  if (!first && !wantsDecided && toState !== 'awaiting_customer') return;
  const row = await caseMailRow(trx, deps, requestId);
  if (row === undefined) throw new Error(`notify: no request ${requestId}`);
  // Keys sort in the order the mails are meant to be read (the worker sends in key order).
  const rank: { readonly [K in NotificationKind]: number } = {
    received: 1,
    decided: 2,
    information_needed: 3,
    progress_update: 4,
  };
  const key = (kind: NotificationKind) =>
    `${requestId}:${String(seq).padStart(6, '0')}:${rank[kind]}:${kind}`;

  const decided = first || wantsDecided ? await explainedDecision(trx, row) : undefined;
  if (first) {
    await insertNotification(
      trx,
      deps,
      row,
      'received',
      key('received'),
      receivedMail(row, toState, decided),
    );
  }
  if (wantsDecided) {
    if (decided === undefined) throw new Error(`notify: case ${requestId} has no decision`);
    const staffNote =
      record.actor.kind === 'staff' && record.reason !== TRANSITIONS[record.event].reason
        ? record.reason
        : null;
    await insertNotification(
      trx,
      deps,
      row,
      'decided',
      key('decided'),
      decidedMail(row, decided, toState, staffNote),
    );
  }
  if (toState === 'awaiting_customer') {
    const questions = (await openQuestions(trx, requestId)) ?? [record.reason];
    await insertNotification(
      trx,
      deps,
      row,
      'information_needed',
      key('information_needed'),
      informationNeededMail(row, questions),
    );
  }
}

/** The `n`-th progress update of a case (a timer's effect), in the timer's transaction. */
export async function queueProgressUpdate(
  trx: Transaction<Database>,
  deps: DeskDeps,
  requestId: string,
  state: CaseState,
  n: number,
): Promise<void> {
  const row = await caseMailRow(trx, deps, requestId);
  if (row === undefined) throw new Error(`notify: no request ${requestId}`);
  const open = businessDaysBetween(
    caseConfigOf(deps).calendar,
    row.submittedAtMs,
    deps.clock.nowMs(),
  );
  await insertNotification(
    trx,
    deps,
    row,
    'progress_update',
    `${requestId}:progress:${n}`,
    progressUpdateMail(row, state, open),
  );
}
