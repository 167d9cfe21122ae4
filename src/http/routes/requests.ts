/**
 * Refund requests over HTTP:
 *
 * - `POST /v1/refund-requests` (a signed-in customer): JSON, or multipart/form-data with a JSON
 *   part `request` and file parts `evidence` → 201 `{request, decision, evidence}`.
 * - `GET /v1/refund-requests` newest first, `?limit=1..100&cursor=…&state=…`: a customer sees
 *   their own, staff (any role) and API keys with `requests:read` see all.
 * - `GET /v1/refund-requests/:id`, `…/:id/decision` (with its explanation), `…/:id/evidence`,
 *   `…/:id/evidence/:evidenceId` (the bytes, as an attachment).
 * - `POST /v1/refund-requests/:id/evidence` (multipart, the owner), `…/:id/withdraw` (the owner).
 *
 * A customer asking for another customer's request gets 404 on every route, as for one that
 * does not exist. POSTs carry `Idempotency-Key` (http/idempotency.ts, mounted here for these
 * paths and harmless when also mounted globally). Bodies are size-limited before parsing.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { Actor, DeskDeps } from '../../app/context.js';
import { EVIDENCE_LIMITS, type EvidenceUpload } from '../../app/evidence.js';
import { readerFor, type Reader } from '../../app/requests/access.js';
import type { RequestError } from '../../app/requests/errors.js';
import { addEvidence, findEvidenceFile, listEvidence } from '../../app/requests/evidence.js';
import { parseRefundRequest, parseWithdraw } from '../../app/requests/input.js';
import { submitRefundRequest } from '../../app/requests/intake.js';
import {
  currentDecision,
  getRequest,
  listRequests,
  parseListQuery,
} from '../../app/requests/read.js';
import { withdrawRequest } from '../../app/requests/withdraw.js';
import type { FieldError } from '../../engine/index.js';
import type { AuthEnv } from '../auth.js';
import { ProblemException, sameOrigin, requireActor, requireCustomer } from '../guards.js';
import { idempotency } from '../idempotency.js';
import {
  isJsonMediaType,
  isMultipartMediaType,
  JSON_MEDIA_TYPE,
  limitBody as limitBodyTo,
  MULTIPART_MEDIA_TYPE,
  parseJson,
  readBodyBytes,
  unsupportedMediaType,
} from '../media.js';
import { multipartBoundary, parseMultipart, type UploadedFile } from '../multipart.js';
import {
  invalidFieldsDetail,
  methodNotAllowed,
  problem,
  problemResponse,
  type Problem,
} from '../problems.js';

const KIB = 1024;
const MIB = 1024 * KIB;
/** A refund request as JSON: 5,000 + 20,000 characters of text and bounded lists fit easily. */
export const MAX_REQUEST_JSON_BYTES = 512 * KIB;
/** An upload: the files (25 MiB at most) plus the JSON part and the multipart framing. */
export const MAX_UPLOAD_BODY_BYTES = EVIDENCE_LIMITS.maxUploadBytes + MIB;

type Ctx = Context<AuthEnv>;

function requestFailure(error: RequestError): Response {
  const body = problem(error.code, error.detail, error.errors);
  if (error.state === undefined) return problemResponse(body);
  // RFC 9457 extension member: the state that refused the change.
  const withState: Problem & { readonly state: string } = { ...body, state: error.state };
  return problemResponse(withState);
}

function invalid(errors: readonly FieldError[], what = 'request'): ProblemException {
  return new ProblemException('invalid_request', invalidFieldsDetail(what, errors.length), errors);
}

/** The body limit for JSON or for multipart, chosen by content type, before anything parses. */
const limitBody: MiddlewareHandler<AuthEnv> = (() => {
  const json = limitBodyTo(MAX_REQUEST_JSON_BYTES);
  const upload = limitBodyTo(MAX_UPLOAD_BODY_BYTES);
  return (c, next) =>
    isMultipartMediaType(c.req.header('content-type')) ? upload(c, next) : json(c, next);
})();

/**
 * The parts of a multipart/form-data body by name (http/multipart.ts; the body read once, at most
 * `MAX_UPLOAD_BODY_BYTES`); an unknown part is an invalid request.
 */
async function readMultipart(
  c: Ctx,
  known: readonly string[],
): Promise<Record<string, (string | UploadedFile)[]>> {
  const boundary = multipartBoundary(c.req.header('content-type'));
  const body = await readBodyBytes(c, MAX_UPLOAD_BODY_BYTES);
  const form = boundary === undefined ? undefined : parseMultipart(body, boundary);
  if (form === undefined) {
    throw new ProblemException('invalid_request', 'The multipart/form-data body is malformed.');
  }
  const parts: Record<string, (string | UploadedFile)[]> = {};
  const unknown: FieldError[] = [];
  for (const [name, values] of form) {
    if (!known.includes(name)) {
      unknown.push({
        pointer: `/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`,
        message: `is not a known part (${known.join(', ')})`,
      });
    }
    parts[name] = values;
  }
  if (unknown.length > 0) throw invalid(unknown, 'upload');
  return parts;
}

function evidenceParts(values: readonly (string | UploadedFile)[]): EvidenceUpload[] {
  const uploads: EvidenceUpload[] = [];
  const errors: FieldError[] = [];
  values.forEach((value, index) => {
    const pointer = `/evidence/${index}`;
    if (typeof value === 'string') errors.push({ pointer, message: 'must be a file part' });
    else uploads.push({ pointer, file: value });
  });
  if (errors.length > 0) throw invalid(errors, 'upload');
  return uploads;
}

async function readIntakeBody(c: Ctx): Promise<{ json: unknown; uploads: EvidenceUpload[] }> {
  const contentType = c.req.header('content-type');
  if (isJsonMediaType(contentType)) {
    return { json: parseJson(await c.req.text(), 'request'), uploads: [] };
  }
  if (!isMultipartMediaType(contentType)) {
    unsupportedMediaType(`${JSON_MEDIA_TYPE} or ${MULTIPART_MEDIA_TYPE}`, contentType);
  }
  const parts = await readMultipart(c, ['request', 'evidence']);
  const requestParts = parts['request'] ?? [];
  const [part] = requestParts;
  if (part === undefined || requestParts.length > 1) {
    throw invalid(
      [{ pointer: '/request', message: 'must be exactly one part holding the request as JSON' }],
      'upload',
    );
  }
  if (typeof part !== 'string' && part.size > MAX_REQUEST_JSON_BYTES) {
    throw new ProblemException(
      'payload_too_large',
      `The request part must be at most ${MAX_REQUEST_JSON_BYTES} bytes.`,
    );
  }
  const json = parseJson(typeof part === 'string' ? part : await part.text(), 'request');
  return { json, uploads: evidenceParts(parts['evidence'] ?? []) };
}

/** Who may read requests: anonymous → 401, an actor with no read right → 403. */
function requireReader(c: Ctx): Reader {
  const actor: Actor = requireActor(c);
  const reader = readerFor(actor);
  if (reader === undefined) {
    throw new ProblemException(
      'forbidden',
      'This needs a customer, staff or an API key with the requests:read scope.',
    );
  }
  return reader;
}

function contentDisposition(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

export function registerRequestRoutes(app: Hono<AuthEnv>, deps: DeskDeps): void {
  const base = '/v1/refund-requests';
  const idempotent = idempotency(deps);
  const guard = sameOrigin(deps);
  for (const path of [base, `${base}/*`]) {
    app.use(path, guard);
    app.use(path, idempotent);
  }

  app.post(base, limitBody, async (c) => {
    const customer = requireCustomer(c);
    const body = await readIntakeBody(c);
    const input = parseRefundRequest(body.json);
    if (!input.ok) throw invalid(input.error);
    const result = await submitRefundRequest(
      deps,
      c.get('origin'),
      customer.id,
      input.value,
      body.uploads,
    );
    if (!result.ok) return requestFailure(result.error);
    return c.body(JSON.stringify(result.value), 201, {
      'content-type': JSON_MEDIA_TYPE,
      location: `${base}/${result.value.request.id}`,
    });
  });

  app.get(base, async (c) => {
    const reader = requireReader(c);
    const query = parseListQuery({
      limit: c.req.query('limit'),
      cursor: c.req.query('cursor'),
      state: c.req.query('state'),
    });
    if (!query.ok) throw invalid(query.error, 'query');
    return c.json(await listRequests(deps.store.db, reader, query.value));
  });
  app.all(base, methodNotAllowed('GET, HEAD, POST'));

  app.get(`${base}/:id`, async (c) => {
    const result = await getRequest(deps.store.db, requireReader(c), c.req.param('id'));
    return result.ok ? c.json(result.value) : requestFailure(result.error);
  });
  app.all(`${base}/:id`, methodNotAllowed('GET, HEAD'));

  app.get(`${base}/:id/decision`, async (c) => {
    const result = await currentDecision(deps.store.db, requireReader(c), c.req.param('id'));
    return result.ok ? c.json(result.value) : requestFailure(result.error);
  });
  app.all(`${base}/:id/decision`, methodNotAllowed('GET, HEAD'));

  app.post(`${base}/:id/evidence`, limitBody, async (c) => {
    const customer = requireCustomer(c);
    if (!isMultipartMediaType(c.req.header('content-type'))) {
      throw new ProblemException(
        'unsupported_media_type',
        'Evidence is uploaded as multipart/form-data with file parts named evidence.',
      );
    }
    const parts = await readMultipart(c, ['evidence']);
    const uploads = evidenceParts(parts['evidence'] ?? []);
    const result = await addEvidence(
      deps,
      c.get('origin'),
      customer.id,
      c.req.param('id'),
      uploads,
    );
    return result.ok
      ? c.body(JSON.stringify({ evidence: result.value }), 201, { 'content-type': JSON_MEDIA_TYPE })
      : requestFailure(result.error);
  });
  app.get(`${base}/:id/evidence`, async (c) => {
    const result = await listEvidence(deps.store.db, requireReader(c), c.req.param('id'));
    return result.ok ? c.json({ items: result.value }) : requestFailure(result.error);
  });
  app.all(`${base}/:id/evidence`, methodNotAllowed('GET, HEAD, POST'));

  app.get(`${base}/:id/evidence/:evidenceId`, async (c) => {
    const result = await findEvidenceFile(
      deps,
      requireReader(c),
      c.req.param('id'),
      c.req.param('evidenceId'),
    );
    if (!result.ok) return requestFailure(result.error);
    const { evidence, body } = result.value;
    // The bytes from the row; a row of an earlier version has them in a file, streamed.
    const sizeBytes = 'bytes' in body ? body.bytes.byteLength : body.sizeBytes;
    const content =
      c.req.method === 'HEAD'
        ? null
        : 'bytes' in body
          ? body.bytes
          : (Readable.toWeb(createReadStream(body.path)) as ReadableStream<Uint8Array>);
    return new Response(content, {
      status: 200,
      headers: {
        'content-type': evidence.mediaType,
        'content-length': String(sizeBytes),
        'content-disposition': contentDisposition(evidence.originalName),
        'x-content-type-options': 'nosniff',
        'cache-control': 'private, no-store',
        'content-security-policy': "default-src 'none'; sandbox",
      },
    });
  });
  app.all(`${base}/:id/evidence/:evidenceId`, methodNotAllowed('GET, HEAD'));

  app.post(`${base}/:id/withdraw`, limitBody, async (c) => {
    const customer = requireCustomer(c);
    const text = await c.req.text();
    let json: unknown = {};
    if (text.trim() !== '') {
      if (!isJsonMediaType(c.req.header('content-type'))) {
        throw new ProblemException(
          'unsupported_media_type',
          `A withdrawal body, when given, must be ${JSON_MEDIA_TYPE}.`,
        );
      }
      json = parseJson(text, 'request');
    }
    const input = parseWithdraw(json);
    if (!input.ok) throw invalid(input.error);
    const result = await withdrawRequest(
      deps,
      c.get('origin'),
      customer.id,
      c.req.param('id'),
      input.value,
    );
    return result.ok ? c.json({ request: result.value }) : requestFailure(result.error);
  });
  app.all(`${base}/:id/withdraw`, methodNotAllowed('POST'));
}
