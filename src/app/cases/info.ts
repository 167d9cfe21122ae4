/**
 * Asking the customer for specific information, and their answer. Asking moves the case to
 * awaiting_customer (its SLA clock pauses); an answer — in the portal, or by replying to the
 * email (`answerInfoRequestByEmail`, for the inbound-mail path) — moves it back to in_review,
 * and the clock runs again. One info request is open at a time: the case waits on it.
 */
import type { Transaction } from 'kysely';
import type { Database, InfoRequestTable } from '../../store/schema.js';
import { appendAudit } from '../audit.js';
import type { Actor, DeskDeps, Origin } from '../context.js';
import { newId } from '../ids.js';
import { caseNotFound, stateConflict, type CaseResult } from './errors.js';
import { actorRef, caseTransaction, lockCase, moveCase, stateOf, type Moved } from './move.js';

export const INFO_LIMITS = {
  maxQuestions: 10,
  questionMaxChars: 1_000,
  answerMaxChars: 10_000,
  reasonMaxChars: 2_000,
  /** Info requests listed per case, at most (the newest). */
  maxListed: 100,
} as const;

export interface InfoRequestView {
  readonly id: string;
  readonly requestId: string;
  readonly questions: readonly string[];
  readonly askedBy: string;
  readonly askedAt: string;
  readonly answer: string | null;
  readonly answeredVia: 'portal' | 'email' | 'staff' | null;
  readonly answeredBy: string | null;
  readonly answeredAt: string | null;
}

export function infoRequestView(row: InfoRequestTable): InfoRequestView {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: row.id,
    requestId: row.requestId,
    questions: JSON.parse(row.questionsJson) as string[],
    askedBy: row.askedBy,
    askedAt: new Date(row.askedAtMs).toISOString(),
    answer: row.answerText,
    answeredVia: row.answeredVia,
    answeredBy: row.answeredBy,
    answeredAt: iso(row.answeredAtMs),
  };
}

/**
 * Inside the caller's transaction: records the questions and moves the case to
 * awaiting_customer (re-checked by `moveCase`; the caller rolls back on an error).
 */
export async function askCustomerInTransaction(
  trx: Transaction<Database>,
  deps: DeskDeps,
  origin: Origin,
  input: {
    readonly requestId: string;
    readonly questions: readonly string[];
    readonly reason?: string | null;
  },
): Promise<CaseResult<{ readonly infoRequest: InfoRequestView; readonly moved: Moved }>> {
  const nowMs = deps.clock.nowMs();
  const row: InfoRequestTable = {
    id: newId('inf', nowMs),
    requestId: input.requestId,
    questionsJson: JSON.stringify(input.questions),
    askedBy: actorRef(origin.actor),
    askedAtMs: nowMs,
    answerText: null,
    answeredVia: null,
    answeredBy: null,
    answeredAtMs: null,
  };
  // Locked and checked first, so the outbox hook of the move already sees the questions.
  const locked = await lockCase(trx, deps, input.requestId);
  if (locked === undefined) return { ok: false, error: caseNotFound() };
  await trx.insertInto('infoRequests').values(row).execute();
  const moved = await moveCase(trx, deps, {
    requestId: input.requestId,
    event: 'ask_customer',
    actor: origin.actor,
    ip: origin.ip,
    reason: input.reason ?? null,
    detail: { infoRequestId: row.id, questions: input.questions },
  });
  if (!moved.ok) return moved;
  return { ok: true, value: { infoRequest: infoRequestView(row), moved: moved.value } };
}

/** Staff (or an integration) ask the customer; see `askCustomerInTransaction`. */
export async function askCustomer(
  deps: DeskDeps,
  origin: Origin,
  requestId: string,
  input: { readonly questions: readonly string[]; readonly reason: string | null },
): Promise<CaseResult<InfoRequestView>> {
  return caseTransaction(deps, async (trx) => {
    const asked = await askCustomerInTransaction(trx, deps, origin, { requestId, ...input });
    return asked.ok ? { ok: true, value: asked.value.infoRequest } : asked;
  });
}

async function answerIn(
  trx: Transaction<Database>,
  deps: DeskDeps,
  origin: Origin,
  input: {
    readonly requestId: string;
    readonly customerId: string;
    /** The info request answered; undefined: the one open. */
    readonly infoRequestId: string | undefined;
    readonly text: string;
    readonly via: 'portal' | 'email';
  },
): Promise<CaseResult<InfoRequestView>> {
  const request = await lockCase(trx, deps, input.requestId, input.customerId);
  if (request === undefined) return { ok: false, error: caseNotFound() };
  let query = trx.selectFrom('infoRequests').selectAll().where('requestId', '=', input.requestId);
  query =
    input.infoRequestId === undefined
      ? query.where('answeredAtMs', 'is', null).orderBy('askedAtMs', 'desc').orderBy('id', 'desc')
      : query.where('id', '=', input.infoRequestId);
  const info = await query.limit(1).executeTakeFirst();
  if (info === undefined) {
    return input.infoRequestId === undefined
      ? {
          ok: false,
          error: stateConflict(
            stateOf(request),
            'No question to this case is waiting for an answer.',
          ),
        }
      : { ok: false, error: caseNotFound('information request') };
  }
  if (info.answeredAtMs !== null) {
    return {
      ok: false,
      error: stateConflict(stateOf(request), 'This information request has been answered already.'),
    };
  }
  const nowMs = deps.clock.nowMs();
  const answered: InfoRequestTable = {
    ...info,
    answerText: input.text,
    answeredVia: input.via,
    answeredBy: actorRef(origin.actor),
    answeredAtMs: nowMs,
  };
  await trx
    .updateTable('infoRequests')
    .set({
      answerText: answered.answerText,
      answeredVia: answered.answeredVia,
      answeredBy: answered.answeredBy,
      answeredAtMs: nowMs,
    })
    .where('id', '=', info.id)
    .execute();
  await appendAudit(trx, deps.store.engine, origin, nowMs, {
    action: 'info_request.answered',
    entityKind: 'info_request',
    entityId: info.id,
    after: { requestId: info.requestId, via: input.via, answerChars: input.text.length },
  });
  const moved = await moveCase(trx, deps, {
    requestId: input.requestId,
    event: 'customer_answered',
    actor: origin.actor,
    ip: origin.ip,
    customerId: input.customerId,
    detail: { infoRequestId: info.id, via: input.via },
  });
  if (!moved.ok) return moved;
  return { ok: true, value: infoRequestView(answered) };
}

/** The customer answers in the portal. */
export async function answerInfoRequest(
  deps: DeskDeps,
  origin: Origin,
  customerId: string,
  requestId: string,
  infoRequestId: string,
  text: string,
): Promise<CaseResult<InfoRequestView>> {
  return caseTransaction(deps, (trx) =>
    answerIn(trx, deps, origin, { requestId, customerId, infoRequestId, text, via: 'portal' }),
  );
}

/**
 * The customer answered by replying to the email (the inbound-mail path calls this once it has
 * matched the reply to a case): the sender must be the request's contact email, the customer's
 * or the order's (case-insensitive); anything else is "not found", as for a missing case. The
 * text answers the open information request.
 */
export async function answerInfoRequestByEmail(
  deps: DeskDeps,
  input: { readonly requestId: string; readonly fromEmail: string; readonly text: string },
): Promise<CaseResult<InfoRequestView>> {
  const text = input.text.trim().slice(0, INFO_LIMITS.answerMaxChars);
  if (text === '')
    return { ok: false, error: { code: 'invalid_request', detail: 'The reply is empty.' } };
  const row = await deps.store.db
    .selectFrom('refundRequests')
    .innerJoin('customers', 'customers.id', 'refundRequests.customerId')
    .innerJoin('orders', 'orders.id', 'refundRequests.orderId')
    .select([
      'refundRequests.customerId as customerId',
      'refundRequests.contactEmail as contactEmail',
      'customers.email as customerEmail',
      'orders.email as orderEmail',
    ])
    .where('refundRequests.id', '=', input.requestId)
    .executeTakeFirst();
  const from = input.fromEmail.trim().toLowerCase();
  const known = [row?.contactEmail, row?.customerEmail, row?.orderEmail].filter(
    (email): email is string => typeof email === 'string',
  );
  if (row === undefined || !known.some((email) => email.toLowerCase() === from)) {
    return { ok: false, error: caseNotFound() };
  }
  const actor: Actor = { kind: 'customer', id: row.customerId };
  return caseTransaction(deps, (trx) =>
    answerIn(
      trx,
      deps,
      { actor, ip: null },
      {
        requestId: input.requestId,
        customerId: row.customerId,
        infoRequestId: undefined,
        text,
        via: 'email',
      },
    ),
  );
}

/** The information requests of a case, oldest first (the newest `maxListed`). */
export async function listInfoRequests(
  deps: DeskDeps,
  requestId: string,
): Promise<InfoRequestView[]> {
  const rows = await deps.store.db
    .selectFrom('infoRequests')
    .selectAll()
    .where('requestId', '=', requestId)
    .orderBy('askedAtMs', 'desc')
    .orderBy('id', 'desc')
    .limit(INFO_LIMITS.maxListed)
    .execute();
  return rows.reverse().map(infoRequestView);
}
