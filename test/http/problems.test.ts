/**
 * Every problem code: one trigger each (a Record over the closed union, so a new code without a
 * test does not compile), answered as RFC 9457 problem details with the status of the table.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { sign } from 'hono/jwt';
import { describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/http/app.js';
import { requireActor, requireStaff } from '../../src/http/guards.js';
import { openStore } from '../../src/store/connect.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { CASE_PROBLEM_TRIGGERS } from '../support/cases-desk.js';
import { PAYOUT_PROBLEM_TRIGGERS } from '../support/payouts-desk.js';
import { PROVIDER_WEBHOOK_PROBLEM_TRIGGERS } from '../support/provider-webhooks.js';
import { INTAKE_PROBLEM_TRIGGERS } from '../support/intake.js';
import { FACT_PROBLEM_TRIGGERS } from '../support/facts.js';
import {
  deskOver,
  postJson,
  seedCustomerWithOrder,
  staffSessionCookie,
} from '../support/people.js';
import { STAFF_SIGN_IN_LIMITS } from '../../src/app/auth/sign-in-throttle.js';
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

/** Routes behind the guards: anonymous for /test-only/me, a customer for /test-only/staff. */
function appWithGuardedRoutes() {
  const app = createApp();
  app.get('/test-only/me', (c) => c.json(requireActor(c)));
  app.use('/test-only/staff', async (c, next) => {
    c.set('actor', { kind: 'customer', id: 'cus_1' });
    await next();
  });
  app.get('/test-only/staff', (c) => c.json(requireStaff(c)));
  return app;
}

/** A desk over a fresh in-memory SQLite store (the auth suites cover both engines). */
async function deskInMemory() {
  const store = openStore({ url: ':memory:' });
  await migrateToLatest(store.db);
  return deskOver(store);
}

/** One more staff sign-in than an email's failures allow (the email has no account). */
async function signInOnceTooOften(): Promise<Response> {
  const desk = await deskInMemory();
  const attempt = () =>
    desk.app.request(
      '/v1/staff/sessions',
      postJson({ email: 'guess@desk.example', password: 'a wrong password' }),
    );
  for (let i = 0; i < STAFF_SIGN_IN_LIMITS.maxFailuresPerEmail; i += 1) await attempt();
  return attempt();
}

async function createStaffTwice(): Promise<Response> {
  const desk = await deskInMemory();
  const cookie = await staffSessionCookie(desk.deps, 'admin');
  const body = {
    email: 'twice@desk.example',
    name: 'Twice',
    role: 'agent',
    password: 'a long enough password',
  };
  await desk.app.request('/v1/staff-users', postJson(body, { cookie }));
  return desk.app.request('/v1/staff-users', postJson(body, { cookie }));
}

/** A host-platform token exchanged a second time. */
async function useHostTokenTwice(): Promise<Response> {
  const store = openStore({ url: ':memory:' });
  await migrateToLatest(store.db);
  const secret = 'host-platform-secret-of-the-problem-test';
  const desk = deskOver(store, { hostTokenSecret: secret });
  const { customerId } = await seedCustomerWithOrder(desk.deps);
  const nowS = Math.floor(desk.clock.nowMs() / 1000);
  const token = await sign(
    { sub: customerId, aud: 'refund-desk', jti: 'once', iat: nowS, exp: nowS + 60 },
    secret,
    'HS256',
  );
  await desk.app.request('/v1/auth/host-token', postJson({ token }));
  return desk.app.request('/v1/auth/host-token', postJson({ token }));
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
  unauthorized: () => appWithGuardedRoutes().request('/test-only/me'),
  token_replayed: useHostTokenTwice,
  forbidden: () => appWithGuardedRoutes().request('/test-only/staff'),
  invalid_request: async () =>
    (await deskInMemory()).app.request('/v1/auth/sign-in-links', postJson({ email: 42 })),
  email_taken: createStaffTwice,
  too_many_attempts: signInOnceTooOften,
  ...INTAKE_PROBLEM_TRIGGERS,
  ...FACT_PROBLEM_TRIGGERS,
  ...CASE_PROBLEM_TRIGGERS,
  ...PAYOUT_PROBLEM_TRIGGERS,
  ...PROVIDER_WEBHOOK_PROBLEM_TRIGGERS,
};

/** Codes whose problems name fields (JSON pointers): their triggers must carry `errors`. */
const CODES_WITH_FIELD_ERRORS: readonly ProblemCode[] = [
  'invalid_case',
  'invalid_request',
  'payment_method_mismatch',
  'unsupported_evidence',
  'evidence_too_large',
  'too_many_evidence_files',
  'unknown_reference',
  'inconsistent_facts',
];

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
      unauthorized: 401,
      token_replayed: 401,
      forbidden: 403,
      invalid_request: 400,
      email_taken: 409,
      too_many_attempts: 429,
      payment_method_mismatch: 422,
      request_already_open: 409,
      request_state_conflict: 409,
      case_not_decidable: 422,
      unsupported_evidence: 415,
      evidence_too_large: 413,
      too_many_evidence_files: 422,
      evidence_missing: 410,
      invalid_idempotency_key: 400,
      idempotency_key_reused: 422,
      idempotency_key_in_flight: 409,
      unknown_reference: 422,
      inconsistent_facts: 422,
      illegal_transition: 409,
      ledger_refused: 409,
      payout_state_conflict: 409,
      nothing_to_batch: 409,
      webhook_rejected: 400,
      provider_unavailable: 503,
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
      expect(body['errors'] === undefined).toBe(!CODES_WITH_FIELD_ERRORS.includes(code));
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
