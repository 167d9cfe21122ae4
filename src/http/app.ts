/**
 * The HTTP API as a Hono app: `POST /v1/decisions` decides one case through `decideCase`,
 * the same path as the CLI, and answers with the same bytes. Every error is an RFC 9457
 * problem (problems.ts); nothing here shows a stack trace to a client.
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { DeskDeps } from '../app/context.js';
import { decideCase } from '../app/decide.js';
import type { Policy } from '../engine/index.js';
import { authenticate, type AuthEnv } from './auth.js';
import { idempotency } from './idempotency.js';
import { buildOpenApiDocument } from './openapi.js';
import { problem, problemResponse, type ProblemCode } from './problems.js';
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
  /** The case desk (storage, people, intake). Without it only the stateless routes exist. */
  readonly desk?: DeskDeps;
}

const JSON_TYPE = 'application/json';

function reportToStderr(error: unknown): void {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`refund-desk: internal error: ${text}\n`);
}

/** `application/json` or `application/*+json`, in UTF-8 (the only charset JSON allows). */
export function isJsonMediaType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const [essence = '', ...params] = header.split(';').map((part) => part.trim().toLowerCase());
  if (essence !== JSON_TYPE && !/^application\/[a-z0-9!#$&^_.+-]+\+json$/.test(essence)) {
    return false;
  }
  return params.every((param) => {
    const [name, value = ''] = param.split('=', 2).map((part) => part.trim());
    return name !== 'charset' || ['utf-8', '"utf-8"', 'utf8'].includes(value);
  });
}

function fail(code: ProblemCode, detail: string, headers?: Record<string, string>): Response {
  return problemResponse(problem(code, detail), headers);
}

const requireJson: MiddlewareHandler = async (c, next) => {
  if (!isJsonMediaType(c.req.header('content-type'))) {
    return fail(
      'unsupported_media_type',
      `The request body must be ${JSON_TYPE}; got ${c.req.header('content-type') ?? 'no content type'}.`,
    );
  }
  await next();
};

function methodNotAllowed(allowed: readonly string[]) {
  return (c: Context): Response =>
    fail('method_not_allowed', `${c.req.method} is not allowed on ${c.req.path}.`, {
      allow: allowed.join(', '),
    });
}

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

  app.post(
    '/v1/decisions',
    requireJson,
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: () =>
        fail('payload_too_large', `The request body must be at most ${maxBodyBytes} bytes.`),
    }),
    async (c) => {
      const text = await c.req.text();
      let input: unknown;
      try {
        input = JSON.parse(text);
      } catch (error) {
        const reason = error instanceof SyntaxError ? ` (${error.message})` : '';
        return fail('invalid_json', `The request body is not valid JSON${reason}.`);
      }
      const result = decideCase(input, { errors: 'all', ...(versions && { versions }) });
      if (!result.ok) {
        const count = result.error.length;
        return problemResponse(
          problem(
            'invalid_case',
            `The case has ${count} invalid field${count === 1 ? '' : 's'}; see errors.`,
            result.error,
          ),
        );
      }
      return c.body(JSON.stringify(result.value.decision), 200, { 'content-type': JSON_TYPE });
    },
  );
  app.all('/v1/decisions', methodNotAllowed(['POST']));

  app.get('/openapi.json', (c) => {
    openApiText ??= JSON.stringify(buildOpenApiDocument({ maxBodyBytes }));
    return c.body(openApiText, 200, { 'content-type': JSON_TYPE });
  });
  app.all('/openapi.json', methodNotAllowed(['GET', 'HEAD']));

  if (desk !== undefined) registerDeskRoutes(app, desk);

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.all('/healthz', methodNotAllowed(['GET', 'HEAD']));

  app.notFound((c) => fail('not_found', `No resource at ${c.req.path}.`));

  app.onError((error) => {
    // Guards (guards.ts) throw problems as HTTPExceptions: expected outcomes, not bugs.
    if (error instanceof HTTPException) return error.getResponse();
    onInternalError(error);
    return fail('internal', 'An unexpected error occurred; it has been logged.');
  });

  return app;
}
