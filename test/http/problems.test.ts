/**
 * Every problem code: one trigger each (a Record over the closed union, so a new code without a
 * test does not compile), answered as RFC 9457 problem details with the status of the table.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/http/app.js';
import { buildOpenApiDocument } from '../../src/http/openapi.js';
import { PROBLEM_CODES, PROBLEMS, problemType, type ProblemCode } from '../../src/http/problems.js';

const example = readFileSync(
  new URL('../fixtures/examples/denied-crypto.case.json', import.meta.url),
  'utf8',
);

function post(body: string, contentType?: string): RequestInit {
  return {
    method: 'POST',
    body,
    headers: contentType === undefined ? {} : { 'content-type': contentType },
  };
}

function appWithFailingRoute() {
  const onInternalError = vi.fn();
  const app = createApp({ onInternalError });
  app.get('/test-only/boom', () => {
    throw new Error('secret detail at /srv/refund-desk/internal.ts:42');
  });
  return { app, onInternalError };
}

const triggers: Record<ProblemCode, () => Promise<Response> | Response> = {
  invalid_case: () =>
    createApp().request('/v1/decisions', post('{"order":{}}', 'application/json')),
  invalid_json: () => createApp().request('/v1/decisions', post('{"order":', 'application/json')),
  unsupported_media_type: () => createApp().request('/v1/decisions', post(example, 'text/plain')),
  payload_too_large: () =>
    createApp({ maxBodyBytes: 100 }).request('/v1/decisions', post(example, 'application/json')),
  not_found: () => createApp().request('/v2/decisions'),
  method_not_allowed: () => createApp().request('/v1/decisions', { method: 'GET' }),
  internal: () => appWithFailingRoute().app.request('/test-only/boom'),
};

const problemValidator = new Ajv2020({ strict: false, validateFormats: false }).compile(
  (buildOpenApiDocument({ maxBodyBytes: 1 }) as { components: { schemas: { Problem: object } } })
    .components.schemas.Problem,
);

describe('problem codes', () => {
  it('maps every code to a 4xx or 5xx status', () => {
    expect(Object.keys(PROBLEMS).sort()).toEqual([...PROBLEM_CODES].sort());
    expect(Object.fromEntries(PROBLEM_CODES.map((code) => [code, PROBLEMS[code].status]))).toEqual({
      invalid_case: 400,
      invalid_json: 400,
      unsupported_media_type: 415,
      payload_too_large: 413,
      not_found: 404,
      method_not_allowed: 405,
      internal: 500,
    });
  });

  for (const code of PROBLEM_CODES) {
    it(`${code}: answers ${PROBLEMS[code].status} application/problem+json`, async () => {
      const res = await triggers[code]();
      expect(res.status).toBe(PROBLEMS[code].status);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({
        type: problemType(code),
        title: PROBLEMS[code].title,
        status: PROBLEMS[code].status,
        code,
      });
      expect(typeof body['detail']).toBe('string');
      expect(problemValidator(body)).toBe(true);
      expect(body['errors'] === undefined).toBe(code !== 'invalid_case');
    });
  }
});

describe('internal', () => {
  it('reports the error to the server but never shows it to the client', async () => {
    const { app, onInternalError } = appWithFailingRoute();
    const res = await app.request('/test-only/boom');
    const text = await res.text();
    expect(res.status).toBe(500);
    expect(text).not.toMatch(/secret|\/srv\/|internal\.ts|at .*:\d+/);
    expect(onInternalError).toHaveBeenCalledOnce();
    expect(String(onInternalError.mock.calls[0]?.[0])).toContain('secret detail');
  });
});

describe('method_not_allowed', () => {
  it.each([
    ['GET', '/v1/decisions', 'POST'],
    ['PUT', '/v1/decisions', 'POST'],
    ['DELETE', '/v1/decisions', 'POST'],
    ['POST', '/healthz', 'GET, HEAD'],
    ['POST', '/openapi.json', 'GET, HEAD'],
  ])('%s %s: 405 with Allow: %s', async (method, path, allow) => {
    const res = await createApp().request(path, { method });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe(allow);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({ code: 'method_not_allowed' });
  });
});

describe('not_found', () => {
  it.each(['/', '/v1', '/v1/decisions/', '/v1/decisions/x', '/healthz/x'])(
    '%s: 404',
    async (path) => {
      const res = await createApp().request(path, post('{}', 'application/json'));
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(await res.json()).toMatchObject({ code: 'not_found' });
    },
  );
});
