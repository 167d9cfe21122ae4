/** Reading refund requests: one, a page of them, and the current decision with its explanation. */
import type { Kysely, Transaction } from 'kysely';
import { isRequestState, REQUEST_STATES, type RequestState } from '../../domain/request-state.js';
import {
  explain,
  formatInstant,
  type Decision,
  type Explanation,
  type FieldError,
  type Policy,
  type Result,
} from '../../engine/index.js';
import { parsePolicyText, shippedPolicies } from '../../policies/load.js';
import type { Database, DecisionTable } from '../../store/schema.js';
import { encodeCursor, parsePageParams } from '../pages.js';
import { findVisibleRequest, type Reader } from './access.js';
import { notFound, type RequestError } from './errors.js';
import { requestView, type DecisionView, type RefundRequestView } from './views.js';

export const LIST_LIMITS = { defaultLimit: 20, maxLimit: 100 } as const;

export async function getRequest(
  db: Kysely<Database>,
  reader: Reader,
  requestId: string,
): Promise<Result<RefundRequestView, RequestError>> {
  const row = await findVisibleRequest(db, reader, requestId);
  return row === undefined
    ? { ok: false, error: notFound('refund request') }
    : { ok: true, value: requestView(row) };
}

export interface ListQuery {
  readonly limit: number;
  readonly after: { readonly createdAtMs: number; readonly id: string } | undefined;
  readonly state: RequestState | undefined;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Pass as `cursor` for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

/** Reads `limit`, `cursor` and `state` query parameters; errors point at the parameter. */
export function parseListQuery(params: {
  readonly limit?: string | undefined;
  readonly cursor?: string | undefined;
  readonly state?: string | undefined;
}): Result<ListQuery, FieldError[]> {
  const errors: FieldError[] = [];
  const page = parsePageParams(params, LIST_LIMITS, errors);
  const after =
    page.after === undefined ? undefined : { createdAtMs: page.after.key, id: page.after.id };
  const limit = page.limit;
  let state: RequestState | undefined;
  if (params.state !== undefined) {
    if (isRequestState(params.state)) state = params.state;
    else errors.push({ pointer: '/state', message: `must be one of ${REQUEST_STATES.join(', ')}` });
  }
  return errors.length > 0
    ? { ok: false, error: errors }
    : { ok: true, value: { limit, after, state } };
}

/** Newest first; a customer sees only their own requests, staff all (optionally by state). */
export async function listRequests(
  db: Kysely<Database>,
  reader: Reader,
  query: ListQuery,
): Promise<Page<RefundRequestView>> {
  let select = db.selectFrom('refundRequests').selectAll();
  if (reader.kind === 'customer') select = select.where('customerId', '=', reader.customerId);
  if (query.state !== undefined) select = select.where('state', '=', query.state);
  const after = query.after;
  if (after !== undefined) {
    select = select.where((eb) =>
      eb.or([
        eb('createdAtMs', '<', after.createdAtMs),
        eb.and([eb('createdAtMs', '=', after.createdAtMs), eb('id', '<', after.id)]),
      ]),
    );
  }
  const rows = await select
    .orderBy('createdAtMs', 'desc')
    .orderBy('id', 'desc')
    .limit(query.limit + 1)
    .execute();
  const items = rows.slice(0, query.limit);
  const last = items[items.length - 1];
  const nextCursor =
    rows.length > query.limit && last !== undefined
      ? encodeCursor(last.createdAtMs, last.id)
      : null;
  return { items: items.map(requestView), nextCursor };
}

export interface ExplainedDecision extends DecisionView {
  /** The decision laid out for a person, with the text of every clause it cites. */
  readonly explanation: Explanation;
}

/** The request's latest decision (highest seq), whatever its source. */
export async function latestDecision(
  db: Kysely<Database> | Transaction<Database>,
  requestId: string,
): Promise<DecisionTable | undefined> {
  return db
    .selectFrom('decisions')
    .selectAll()
    .where('requestId', '=', requestId)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** The policy version a stored decision names: a shipped one, else one posted to the desk. */
export async function policyOf(
  db: Kysely<Database> | Transaction<Database>,
  policyId: string,
  version: number,
): Promise<Policy> {
  const shipped = shippedPolicies().find((p) => p.id === policyId && p.version === version);
  if (shipped !== undefined) return shipped;
  const row = await db
    .selectFrom('policyVersions')
    .select('documentJson')
    .where('policyId', '=', policyId)
    .where('version', '=', version)
    .executeTakeFirst();
  const parsed = row === undefined ? undefined : parsePolicyText(row.documentJson);
  if (parsed?.ok !== true) throw new Error(`policy ${policyId}@${version} is not available`);
  return parsed.value;
}

/** The current (highest-numbered) decision of a request the reader may see. */
export async function currentDecision(
  db: Kysely<Database>,
  reader: Reader,
  requestId: string,
): Promise<Result<ExplainedDecision, RequestError>> {
  const request = await findVisibleRequest(db, reader, requestId);
  if (request === undefined) return { ok: false, error: notFound('refund request') };
  const row = await db
    .selectFrom('decisions')
    .selectAll()
    .where('requestId', '=', requestId)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirstOrThrow();
  const decision = JSON.parse(row.decisionJson) as Decision;
  const policy = await policyOf(db, request.policyId, request.policyVersion);
  return {
    ok: true,
    value: {
      requestId,
      seq: row.seq,
      decidedAt: formatInstant(row.decidedAtMs),
      source: row.source,
      decision,
      explanation: explain(decision, policy),
    },
  };
}
