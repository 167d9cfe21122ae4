/**
 * Payouts over HTTP (src/app/payouts):
 *
 * - `POST /v1/refund-requests/:id/prorata-choice` (the owner, on a prorata_offered case):
 *   `{choice: "refund" | "extension"}` — the pro-rata refund or the service extension;
 * - `GET /v1/payouts?status=&limit=&before=` and `GET /v1/payouts/:id` (staff): payouts with the
 *   provider's reason when declined (`?status=declined` lists the failed ones);
 * - `POST /v1/payouts/:id/retry` (staff, `{reason}`): a declined payout again, after the ledger
 *   re-checks the order; `POST /v1/payouts/:id/mark-paid` (staff, `{reference}`): a bank
 *   transfer or manual payout paid;
 * - `GET /v1/orders/:id/ledger` (admin): paid, refunded, in flight, with payouts and refunds.
 * - `POST /v1/payout-batches` (approver or admin, `{method}`): the waiting bank transfer (or
 *   manual) payouts in no batch yet, as a new batch (201); `GET /v1/payout-batches?limit=&before=`
 *   lists them; `GET /v1/payout-batches/:id/file` is the batch's CSV for finance, rendered again
 *   from its payouts with the same bytes and SHA-256 (`Repr-Digest`).
 *
 * POSTs honour Idempotency-Key (mounted for /v1/* by app.ts) and refuse foreign Origins.
 */
import type { Context, Hono } from 'hono';
import type { DeskDeps } from '../../app/context.js';
import {
  chooseOnProrataOffer,
  getPayout,
  listPayouts,
  markPayoutPaid,
  orderLedgerView,
  PAYOUT_LIST_LIMITS,
  retryPayout,
  type PayoutError,
} from '../../app/payouts/desk.js';
import {
  createPayoutBatch,
  listPayoutBatches,
  PAYOUT_BATCH_LIST_LIMITS,
  readPayoutBatchFile,
  type PayoutBatchError,
} from '../../app/payouts/batches.js';
import {
  parsePayoutBody,
  type PayoutBatchInput,
  type PayoutMarkPaidInput,
  type PayoutRetryInput,
  type PayoutSchemaName,
  type ProrataChoiceInput,
} from '../../app/payouts/input.js';
import type { FieldError } from '../../engine/index.js';
import type { PayoutStatus } from '../../store/schema.js';
import { renderPayoutBatchCsv } from '../../payouts/providers/offline.js';
import type { AuthEnv } from '../auth.js';
import { ProblemException, sameOrigin, requireCustomer, requireStaff } from '../guards.js';
import { isJsonMediaType, JSON_MEDIA_TYPE, limitBody, parseJson } from '../media.js';
import {
  invalidFieldsDetail,
  methodNotAllowed,
  problem,
  problemResponse,
  type Problem,
} from '../problems.js';

export const MAX_PAYOUT_BODY_BYTES = 16 * 1024;
export const PAYOUT_STATUSES: readonly PayoutStatus[] = [
  'queued',
  'unknown',
  'pending',
  'succeeded',
  'declined',
];
const MAX_ID_CHARS = 200;

type Ctx = Context<AuthEnv>;

function payoutFailure(error: PayoutError): Response {
  const body = problem(error.code, error.detail);
  if (error.state === undefined) return problemResponse(body);
  const withState: Problem & { readonly state: string } = { ...body, state: error.state };
  return problemResponse(withState);
}

function batchFailure(error: PayoutBatchError): Response {
  return problemResponse(problem(error.code, error.detail));
}

/** `text/csv` as a download; RFC 9530 `Repr-Digest` carries the file's SHA-256. */
export const BATCH_FILE_MEDIA_TYPE = 'text/csv; charset=utf-8';

function invalid(errors: readonly FieldError[], what = 'request'): ProblemException {
  return new ProblemException('invalid_request', invalidFieldsDetail(what, errors.length), errors);
}

async function readBody<T>(c: Ctx, schema: PayoutSchemaName): Promise<T> {
  if (!isJsonMediaType(c.req.header('content-type'))) {
    throw new ProblemException('unsupported_media_type', `The body must be ${JSON_MEDIA_TYPE}.`);
  }
  const parsed = parsePayoutBody<T>(schema, parseJson(await c.req.text(), 'request'));
  if (!parsed.ok) throw invalid(parsed.error);
  return parsed.value;
}

function parseListQuery(c: Ctx): {
  status: PayoutStatus | undefined;
  limit: number;
  before: string | undefined;
} {
  const errors: FieldError[] = [];
  const statusText = c.req.query('status');
  const status = PAYOUT_STATUSES.find((s) => s === statusText);
  if (statusText !== undefined && status === undefined) {
    errors.push({ pointer: '/status', message: `must be one of ${PAYOUT_STATUSES.join(', ')}` });
  }
  const { limit, before } = readPage(c, PAYOUT_LIST_LIMITS, errors);
  if (errors.length > 0) throw invalid(errors, 'query');
  return { status, limit, before };
}

/** `limit` and `before` of a list query; what is wrong goes into `errors`. */
function readPage(
  c: Ctx,
  limits: { readonly defaultLimit: number; readonly maxLimit: number },
  errors: FieldError[],
): { limit: number; before: string | undefined } {
  const limitText = c.req.query('limit');
  const limit = limitText === undefined ? limits.defaultLimit : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > limits.maxLimit) {
    errors.push({ pointer: '/limit', message: `must be an integer from 1 to ${limits.maxLimit}` });
  }
  const before = c.req.query('before');
  if (before !== undefined && (before.length === 0 || before.length > MAX_ID_CHARS)) {
    errors.push({ pointer: '/before', message: `must be 1 to ${MAX_ID_CHARS} characters` });
  }
  return { limit, before };
}

function parseBatchListQuery(c: Ctx): { limit: number; before: string | undefined } {
  const errors: FieldError[] = [];
  const page = readPage(c, PAYOUT_BATCH_LIST_LIMITS, errors);
  if (errors.length > 0) throw invalid(errors, 'query');
  return page;
}

export function registerPayoutRoutes(app: Hono<AuthEnv>, deps: DeskDeps): void {
  const guard = sameOrigin(deps);
  const limit = limitBody(MAX_PAYOUT_BODY_BYTES);
  app.use('/v1/payouts/*', guard);
  app.use('/v1/refund-requests/:id/prorata-choice', guard);
  app.use('/v1/payout-batches', guard);
  app.use('/v1/payout-batches/*', guard);

  app.post('/v1/refund-requests/:id/prorata-choice', limit, async (c) => {
    const customer = requireCustomer(c);
    const input = await readBody<ProrataChoiceInput>(c, 'prorataChoice');
    const result = await chooseOnProrataOffer(
      deps,
      c.get('origin'),
      customer.id,
      c.req.param('id'),
      input.choice,
    );
    return result.ok ? c.json(result.value) : payoutFailure(result.error);
  });
  app.all('/v1/refund-requests/:id/prorata-choice', methodNotAllowed('POST'));

  app.get('/v1/payouts', async (c) => {
    requireStaff(c);
    return c.json(await listPayouts(deps.store.db, parseListQuery(c)));
  });
  app.all('/v1/payouts', methodNotAllowed('GET, HEAD'));

  app.get('/v1/payouts/:id', async (c) => {
    requireStaff(c);
    const result = await getPayout(deps.store.db, c.req.param('id'));
    return result.ok ? c.json(result.value) : payoutFailure(result.error);
  });
  app.all('/v1/payouts/:id', methodNotAllowed('GET, HEAD'));

  app.post('/v1/payouts/:id/retry', limit, async (c) => {
    requireStaff(c);
    const input = await readBody<PayoutRetryInput>(c, 'payoutRetry');
    const result = await retryPayout(deps, c.get('origin'), c.req.param('id'), input.reason);
    return result.ok ? c.json(result.value) : payoutFailure(result.error);
  });
  app.all('/v1/payouts/:id/retry', methodNotAllowed('POST'));

  app.post('/v1/payouts/:id/mark-paid', limit, async (c) => {
    requireStaff(c);
    const input = await readBody<PayoutMarkPaidInput>(c, 'payoutMarkPaid');
    const result = await markPayoutPaid(deps, c.get('origin'), c.req.param('id'), input.reference);
    return result.ok ? c.json(result.value) : payoutFailure(result.error);
  });
  app.all('/v1/payouts/:id/mark-paid', methodNotAllowed('POST'));

  app.get('/v1/orders/:id/ledger', async (c) => {
    requireStaff(c, 'admin');
    const result = await orderLedgerView(deps.store.db, c.req.param('id'));
    return result.ok ? c.json(result.value) : payoutFailure(result.error);
  });
  app.all('/v1/orders/:id/ledger', methodNotAllowed('GET, HEAD'));

  app.post('/v1/payout-batches', limit, async (c) => {
    requireStaff(c, 'approver');
    const input = await readBody<PayoutBatchInput>(c, 'payoutBatch');
    const result = await createPayoutBatch(
      deps,
      c.get('origin'),
      input.method,
      renderPayoutBatchCsv,
    );
    return result.ok ? c.json(result.value.batch, 201) : batchFailure(result.error);
  });
  app.get('/v1/payout-batches', async (c) => {
    requireStaff(c, 'approver');
    return c.json(await listPayoutBatches(deps.store.db, parseBatchListQuery(c)));
  });
  app.all('/v1/payout-batches', methodNotAllowed('GET, HEAD, POST'));

  app.get('/v1/payout-batches/:id/file', async (c) => {
    requireStaff(c, 'approver');
    const result = await readPayoutBatchFile(
      deps.store.db,
      c.req.param('id'),
      renderPayoutBatchCsv,
    );
    if (!result.ok) return batchFailure(result.error);
    const { batch, fileName, csv } = result.value;
    return c.body(csv, 200, {
      'content-type': BATCH_FILE_MEDIA_TYPE,
      'content-disposition': `attachment; filename="${fileName}"`,
      'repr-digest': `sha-256=:${Buffer.from(batch.sha256, 'hex').toString('base64')}:`,
      'cache-control': 'no-store',
    });
  });
  app.all('/v1/payout-batches/:id/file', methodNotAllowed('GET, HEAD'));
}
