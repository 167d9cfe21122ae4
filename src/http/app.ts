/**
 * The HTTP API as a Hono app: `POST /v1/decisions` decides one case through `decideCase`,
 * the same path as the CLI, and answers with the same bytes. Every error is an RFC 9457
 * problem (problems.ts); nothing here shows a stack trace to a client.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { DeskDeps } from '../app/context.js';
import { decideCase } from '../app/decide.js';
import type { Policy } from '../engine/index.js';
import type { ProviderWebhookVerifiers } from '../payouts/provider-webhooks.js';
import { authenticate, type AuthEnv } from './auth.js';
import { idempotency } from './idempotency.js';
import {
  isJsonMediaType,
  JSON_MEDIA_TYPE,
  limitBody,
  parseJson,
  unsupportedMediaType,
} from './media.js';
import { buildOpenApiDocument } from './openapi.js';
import {
  invalidFieldsDetail,
  methodNotAllowed,
  problem,
  problemResponse,
  type ProblemCode,
} from './problems.js';
import { registerDeskRoutes } from './routes/index.js';

/** 1 MiB: a case is a few kilobytes. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export interface AppOptions {
  /** Largest request body accepted, in bytes; larger ones get 413. */
  readonly maxBodyBytes?: number;
  /** Policy versions to decide under; by default the shipped ones. */
  readonly versions?: readonly Policy[];
  /** Told of every unexpected error (the client only sees a plain 500); default: stderr. */
  readonly onInternalError?: (error: unknown) => void;
  /**
   * The case desk (storage, people, intake). Without it only the stateless routes exist, and
   * /openapi.json describes only those: the document lists exactly what the app serves.
   */
  readonly desk?: DeskDeps;
  /**
   * Verifiers of payment provider webhooks (src/payouts/provider-webhooks.ts), with the desk;
   * a provider without one answers 503 on its route.
   */
  readonly providerWebhooks?: ProviderWebhookVerifiers;
}

function reportToStderr(error: unknown): void {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`refund-desk: internal error: ${text}\n`);
}

function fail(code: ProblemCode, detail: string): Response {
  return problemResponse(problem(code, detail));
}

const requireJson: MiddlewareHandler = async (c, next) => {
  const header = c.req.header('content-type');
  if (!isJsonMediaType(header)) unsupportedMediaType(JSON_MEDIA_TYPE, header);
  await next();
};

export function createApp(options: AppOptions = {}): Hono<AuthEnv> {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const versions = options.versions;
  const onInternalError = options.onInternalError ?? reportToStderr;
  let openApiText: string | undefined;

  const app = new Hono<AuthEnv>();
  const desk = options.desk;
  if (desk !== undefined) {
    app.use('/v1/*', authenticate(desk));
    // Every POST the desk serves honours Idempotency-Key, scoped to the caller.
    app.use('/v1/*', idempotency(desk));
  }

  app.post('/v1/decisions', requireJson, limitBody(maxBodyBytes), async (c) => {
    const input = parseJson(await c.req.text());
    const result = decideCase(input, { errors: 'all', ...(versions && { versions }) });
    if (!result.ok) {
      return problemResponse(
        problem('invalid_case', invalidFieldsDetail('case', result.error.length), result.error),
      );
    }
    return c.body(JSON.stringify(result.value.decision), 200, { 'content-type': JSON_MEDIA_TYPE });
  });
  app.all('/v1/decisions', methodNotAllowed('POST'));

  app.get('/openapi.json', (c) => {
    openApiText ??= JSON.stringify(
      buildOpenApiDocument({ maxBodyBytes, desk: desk !== undefined }),
    );
    return c.body(openApiText, 200, { 'content-type': JSON_MEDIA_TYPE });
  });
  app.all('/openapi.json', methodNotAllowed('GET, HEAD'));

  if (desk !== undefined) registerDeskRoutes(app, desk, options.providerWebhooks);

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.all('/healthz', methodNotAllowed('GET, HEAD'));

  app.notFound((c) => fail('not_found', `No resource at ${c.req.path}.`));

  app.onError((error) => {
    // Guards (guards.ts) throw problems as HTTPExceptions: expected outcomes, not bugs.
    if (error instanceof HTTPException) return error.getResponse();
    onInternalError(error);
    return fail('internal', 'An unexpected error occurred; it has been logged.');
  });

  return app;
}
