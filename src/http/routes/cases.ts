/**
 * Technical review and the staff queue over HTTP (src/app/cases):
 *
 * - `GET /v1/cases` the staff queue (open cases by deadline, marked warned/breached) and
 *   `GET /v1/cases/:id` a case with its decisions explained, log, findings, questions and
 *   approvals: staff of any role, or an API key with `requests:read`.
 * - `POST /v1/cases/:id/findings`, `…/info-requests`, `…/kyc/require`, `…/kyc/complete`,
 *   `…/re-decide`: staff, or an API key with `requests:write` (integrations: KYC, reproduction).
 * - `POST /v1/cases/:id/approve`, `…/offer-prorata`, `…/deny`, `…/second-approval`: staff only
 *   (the transition table says which roles; a second approver is never the first).
 * - The customer's side: `GET /v1/refund-requests/:id/info-requests` (the questions) and
 *   `POST /v1/refund-requests/:id/info-requests/:infoRequestId/answer` (the owner).
 *
 * Every action answers the case as `GET /v1/cases/:id` shows it (the customer's answer: the
 * answered question). An illegal move is 409 `illegal_transition` with the case's `state`.
 * POSTs honour Idempotency-Key (mounted for /v1/* by app.ts) and refuse foreign Origins.
 */
import type { Context, Hono } from 'hono';
import type { Actor, DeskDeps } from '../../app/context.js';
import type { CaseError } from '../../app/cases/errors.js';
import { answerInfoRequest, askCustomer, listInfoRequests } from '../../app/cases/info.js';
import {
  parseReviewBody,
  type AnswerInput,
  type ApprovalInput,
  type DenialInput,
  type FindingInput,
  type InfoRequestInput,
  type KycCompletionInput,
  type NoteInput,
  type ProrataOfferInput,
  type ReviewSchemaName,
  type SecondApprovalInput,
} from '../../app/cases/input.js';
import { listQueue, parseQueueQuery } from '../../app/cases/queue.js';
import { getCase } from '../../app/cases/read.js';
import {
  approve,
  completeKyc,
  deny,
  offerProrata,
  reDecide,
  recordFinding,
  requireKyc,
  secondApproval,
} from '../../app/cases/review.js';
import { findVisibleRequest, readerFor, type Reader } from '../../app/requests/access.js';
import type { FieldError, Result } from '../../engine/index.js';
import type { AuthEnv } from '../auth.js';
import {
  ProblemException,
  sameOrigin,
  requireActor,
  requireCustomer,
  requireStaff,
} from '../guards.js';
import { isJsonMediaType, JSON_MEDIA_TYPE, limitBody, parseJson } from '../media.js';
import {
  invalidFieldsDetail,
  methodNotAllowed,
  problem,
  problemResponse,
  type Problem,
} from '../problems.js';

/** A review body is a few kilobytes of text at most. */
export const MAX_CASE_BODY_BYTES = 64 * 1024;

type Ctx = Context<AuthEnv>;

export function caseFailure(error: CaseError): Response {
  const body = problem(error.code, error.detail, error.errors);
  if (error.state === undefined) return problemResponse(body);
  const withState: Problem & { readonly state: string } = { ...body, state: error.state };
  return problemResponse(withState);
}

function invalid(errors: readonly FieldError[], what = 'request'): ProblemException {
  return new ProblemException('invalid_request', invalidFieldsDetail(what, errors.length), errors);
}

async function readBody<T>(c: Ctx, schema: ReviewSchemaName, optional = false): Promise<T> {
  const text = await c.req.text();
  let json: unknown = {};
  if (!optional || text.trim() !== '') {
    if (!isJsonMediaType(c.req.header('content-type'))) {
      throw new ProblemException('unsupported_media_type', `The body must be ${JSON_MEDIA_TYPE}.`);
    }
    json = parseJson(text, 'request');
  }
  const parsed = parseReviewBody<T>(schema, json);
  if (!parsed.ok) throw invalid(parsed.error);
  return parsed.value;
}

/** Staff of any role, or an API key with `requests:read`. */
function requireCaseReader(c: Ctx): { actor: Actor; reader: Reader } {
  const actor = requireActor(c);
  if (
    actor.kind === 'staff' ||
    (actor.kind === 'api_key' && actor.scopes.includes('requests:read'))
  ) {
    return { actor, reader: { kind: 'all' } };
  }
  throw new ProblemException(
    'forbidden',
    'This needs staff or an API key with the requests:read scope.',
  );
}

/** Staff of any role, or an API key with `requests:write`. */
function requireCaseWorker(c: Ctx): Actor {
  const actor = requireActor(c);
  if (
    actor.kind === 'staff' ||
    (actor.kind === 'api_key' && actor.scopes.includes('requests:write'))
  ) {
    return actor;
  }
  throw new ProblemException(
    'forbidden',
    'This needs staff or an API key with the requests:write scope.',
  );
}

export function registerCaseRoutes(app: Hono<AuthEnv>, deps: DeskDeps): void {
  const base = '/v1/cases';
  const guard = sameOrigin(deps);
  const limit = limitBody(MAX_CASE_BODY_BYTES);
  app.use(`${base}/*`, guard);

  /** Answers with the case as staff see it, after an action succeeded. */
  async function caseAnswer(c: Ctx, actor: Actor, result: Result<unknown, CaseError>) {
    if (!result.ok) return caseFailure(result.error);
    const view = await getCase(deps, { kind: 'all' }, actor, c.req.param('id') ?? '');
    return view.ok ? c.json(view.value) : caseFailure(view.error);
  }

  app.get(base, async (c) => {
    requireCaseReader(c);
    const query = parseQueueQuery({ limit: c.req.query('limit'), cursor: c.req.query('cursor') });
    if (!query.ok) throw invalid(query.error, 'query');
    return c.json(await listQueue(deps.store.db, deps.clock.nowMs(), query.value));
  });
  app.all(base, methodNotAllowed('GET, HEAD'));

  app.get(`${base}/:id`, async (c) => {
    const { actor, reader } = requireCaseReader(c);
    const view = await getCase(deps, reader, actor, c.req.param('id'));
    return view.ok ? c.json(view.value) : caseFailure(view.error);
  });
  app.all(`${base}/:id`, methodNotAllowed('GET, HEAD'));

  /** A POST action: who may ask, the body it reads, the use case. */
  function action<T>(
    path: string,
    who: (c: Ctx) => Actor,
    schema: ReviewSchemaName,
    run: (c: Ctx, input: T) => Promise<Result<unknown, CaseError>>,
    optionalBody = false,
  ): void {
    app.post(`${base}/:id/${path}`, limit, async (c) => {
      const actor = who(c);
      const input = await readBody<T>(c, schema, optionalBody);
      return caseAnswer(c, actor, await run(c, input));
    });
    app.all(`${base}/:id/${path}`, methodNotAllowed('POST'));
  }
  const staff = (c: Ctx): Actor => requireStaff(c);
  const id = (c: Ctx): string => c.req.param('id') ?? '';

  action<FindingInput>('findings', requireCaseWorker, 'finding', (c, input) =>
    recordFinding(deps, c.get('origin'), id(c), input),
  );
  action<InfoRequestInput>('info-requests', requireCaseWorker, 'infoRequest', (c, input) =>
    askCustomer(deps, c.get('origin'), id(c), {
      questions: input.questions,
      reason: input.reason ?? null,
    }),
  );
  action<NoteInput>(
    'kyc/require',
    requireCaseWorker,
    'note',
    (c, input) => requireKyc(deps, c.get('origin'), id(c), input),
    true,
  );
  action<KycCompletionInput>('kyc/complete', requireCaseWorker, 'kycCompletion', (c, input) =>
    completeKyc(deps, c.get('origin'), id(c), input),
  );
  action<NoteInput>(
    're-decide',
    requireCaseWorker,
    'note',
    (c) => reDecide(deps, c.get('origin'), id(c)),
    true,
  );
  action<ApprovalInput>(
    'approve',
    staff,
    'approval',
    (c, input) => approve(deps, c.get('origin'), id(c), input),
    true,
  );
  action<ProrataOfferInput>(
    'offer-prorata',
    staff,
    'prorataOffer',
    (c, input) => offerProrata(deps, c.get('origin'), id(c), input),
    true,
  );
  action<DenialInput>('deny', staff, 'denial', (c, input) =>
    deny(deps, c.get('origin'), id(c), input),
  );
  action<SecondApprovalInput>('second-approval', staff, 'secondApproval', (c, input) =>
    secondApproval(deps, c.get('origin'), id(c), input),
  );

  // The customer's side, under their refund request.
  const requests = '/v1/refund-requests';
  app.get(`${requests}/:id/info-requests`, async (c) => {
    const actor = requireActor(c);
    const reader = readerFor(actor);
    if (reader === undefined) {
      throw new ProblemException(
        'forbidden',
        'This needs a customer, staff or an API key with the requests:read scope.',
      );
    }
    const request = await findVisibleRequest(deps.store.db, reader, c.req.param('id'));
    if (request === undefined) {
      return caseFailure({ code: 'not_found', detail: 'No refund request with that id.' });
    }
    return c.json({ items: await listInfoRequests(deps, request.id) });
  });
  app.all(`${requests}/:id/info-requests`, methodNotAllowed('GET, HEAD'));

  const answerPath = `${requests}/:id/info-requests/:infoRequestId/answer`;
  app.post(answerPath, limit, async (c) => {
    const customer = requireCustomer(c);
    const input = await readBody<AnswerInput>(c, 'answer');
    const result = await answerInfoRequest(
      deps,
      c.get('origin'),
      customer.id,
      c.req.param('id'),
      c.req.param('infoRequestId'),
      input.answer,
    );
    return result.ok ? c.json({ infoRequest: result.value }) : caseFailure(result.error);
  });
  app.all(answerPath, methodNotAllowed('POST'));
}
