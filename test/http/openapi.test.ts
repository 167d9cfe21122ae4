/**
 * GET /openapi.json: an OpenAPI 3.1 document generated from the schemas that validate requests.
 * Checked with a real JSON Schema 2020-12 validator (Ajv): every component is a valid schema,
 * every $ref resolves inside the document, and the shipped examples validate against it.
 *
 * The desk's document: it lists exactly the routes a desk app registers, its request bodies
 * are the very schemas the routes validate with and accept the bodies the desk tests send, and
 * a walk through every operation (on both engines) is served as the document says. Beyond this
 * file, every desk test's exchanges are checked against it (test/support/openapi.ts).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { sign } from 'hono/jwt';
import { beforeAll, describe, expect, it } from 'vitest';
import * as authSchemas from '../../src/app/auth/schemas.js';
import { decideCase } from '../../src/app/decide.js';
import { FACT_REQUEST_SCHEMAS } from '../../src/app/facts/schemas.js';
import { refundRequestSchema, withdrawSchema } from '../../src/app/requests/input.js';
import { caseSchema, decisionSchema } from '../../src/engine/index.js';
import { createApp, DEFAULT_MAX_BODY_BYTES } from '../../src/http/app.js';
import { buildOpenApiDocument } from '../../src/http/openapi.js';
import {
  PROBLEM_CODES,
  PROBLEMS,
  problem,
  problemResponse,
  type ProblemCode,
} from '../../src/http/problems.js';
import {
  chargebackInput,
  customerInput,
  incidentInput,
  orderInput,
  planInput,
  refundInput,
  reportInput,
  usageInput,
} from '../support/facts.js';
import { jsonPost, multipartPost, PNG_BYTES, requestBody } from '../support/intake.js';
import { walkCaseOperations } from '../support/cases-desk.js';
import { walkWebhookOperations } from '../support/webhooks.js';
import { walkPayoutOperations } from '../support/payouts-desk.js';
import { walkProviderWebhookOperations } from '../support/provider-webhooks.js';
import {
  DOC_ID,
  HTTP_METHODS,
  isObject,
  OpenApiDocument,
  pointer,
  type Exchange,
  type JsonObject,
} from '../support/openapi.js';
import {
  as,
  DESK_T0_MS,
  deskOver,
  postJson,
  seedStaffUser,
  sessionCookieFrom,
  signInLinkTokens,
  STAFF_PASSWORD,
  type TestDesk,
} from '../support/people.js';
import { describeEachEngine } from '../support/stores.js';

const examplesDir = new URL('../fixtures/examples/', import.meta.url);
const examples = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.case.json'))
  .map((f) => ({
    name: f.replace(/\.case\.json$/, ''),
    text: readFileSync(new URL(f, examplesDir), 'utf8'),
  }));

/** Resolves a local JSON pointer (`#/a/b`) in `doc`; undefined when it points nowhere. */
function resolvePointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const token = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node) || !(token in node)) return undefined;
    node = node[token];
  }
  return node;
}

function collectRefs(node: unknown, into: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) collectRefs(item, into);
  else if (isObject(node)) {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') into.push(value);
      else collectRefs(value, into);
    }
  }
  return into;
}

/** Undoes the component rewrite: refs back to `#/$defs/...`. */
function unrewrite(node: unknown, name: string): unknown {
  if (Array.isArray(node)) return node.map((item) => unrewrite(item, name));
  if (!isObject(node)) return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) => [
      key,
      key === '$ref' && typeof value === 'string'
        ? value.replace(`#/components/schemas/${name}/`, '#/')
        : unrewrite(value, name),
    ]),
  );
}

function withoutIdentity(schema: object): unknown {
  return Object.fromEntries(
    Object.entries(schema).filter(([key]) => key !== '$schema' && key !== '$id'),
  );
}

/** Every operation of a document: method, path template and the operation object. */
function operationsOf(
  document: JsonObject,
): Array<{ method: string; template: string; op: JsonObject }> {
  const found: Array<{ method: string; template: string; op: JsonObject }> = [];
  for (const [template, item] of Object.entries(document['paths'] as JsonObject)) {
    for (const method of HTTP_METHODS) {
      const op = (item as JsonObject)[method];
      if (isObject(op)) found.push({ method, template, op });
    }
  }
  return found;
}

/** `get /v1/orders/{id}` for every route the app registers (not middleware, not 405 handlers). */
function registeredRoutes(app: { routes: ReadonlyArray<{ method: string; path: string }> }) {
  return [
    ...new Set(
      app.routes
        .filter((route) => route.method !== 'ALL')
        .map((route) => `${route.method.toLowerCase()} ${route.path.replace(/:(\w+)/g, '{$1}')}`),
    ),
  ].sort();
}

function documentedRoutes(document: JsonObject): string[] {
  return operationsOf(document)
    .map(({ method, template }) => `${method} ${template}`)
    .sort();
}

let doc: JsonObject;
let schemas: JsonObject;
let ajv: InstanceType<typeof Ajv2020>;

function validator(ref: string): ValidateFunction {
  const validate = ajv.getSchema(`${DOC_ID}${ref}`);
  if (validate === undefined) throw new Error(`no schema at ${ref}`);
  return validate;
}

beforeAll(async () => {
  const res = await createApp().request('/openapi.json');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/json');
  doc = (await res.json()) as JsonObject;
  const components = doc['components'];
  if (!isObject(components) || !isObject(components['schemas'])) throw new Error('no schemas');
  schemas = components['schemas'];
  // The whole document is loaded as one schema resource, so refs resolve as a 2020-12 tool
  // resolves them; strict is off only because of the OpenAPI keywords around the schemas.
  ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema(doc, DOC_ID);
});

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1.0 document with the three routes', () => {
    expect(doc['openapi']).toBe('3.1.0');
    expect(doc['jsonSchemaDialect']).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(Object.keys(doc['paths'] as JsonObject).sort()).toEqual([
      '/healthz',
      '/openapi.json',
      '/v1/decisions',
    ]);
    expect(Object.keys(schemas).sort()).toEqual(['Case', 'Decision', 'Health', 'Problem']);
  });

  it('is generated from the engine schemas themselves', () => {
    expect(unrewrite(schemas['Case'], 'Case')).toEqual(withoutIdentity(caseSchema));
    expect(unrewrite(schemas['Decision'], 'Decision')).toEqual(withoutIdentity(decisionSchema));
    expect((schemas['Problem'] as JsonObject)['properties']).toMatchObject({
      code: { enum: [...PROBLEM_CODES] },
    });
  });

  it('has every component valid under the JSON Schema 2020-12 meta-schema', () => {
    const strict = new Ajv2020({ strict: true, validateFormats: false });
    for (const [name, schema] of Object.entries(schemas)) {
      expect(strict.validateSchema(schema as object), name).toBe(true);
    }
  });

  it('resolves every $ref inside the document (no $id needed)', () => {
    const refs = collectRefs(doc);
    expect(refs.length).toBeGreaterThan(10);
    expect(refs.filter((ref) => resolvePointer(doc, ref) === undefined)).toEqual([]);
    expect(refs.filter((ref) => ref.startsWith('#/$defs/'))).toEqual([]);
    for (const name of Object.keys(schemas)) {
      expect(() => validator(pointer('components', 'schemas', name)), name).not.toThrow();
    }
  });

  it('accepts every example case through the request body schema', () => {
    const validate = validator(
      pointer(
        'paths',
        '/v1/decisions',
        'post',
        'requestBody',
        'content',
        'application/json',
        'schema',
      ),
    );
    expect(examples.length).toBeGreaterThanOrEqual(7);
    for (const { name, text } of examples) {
      expect(validate(JSON.parse(text)), `${name}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
  });

  it('rejects what the engine rejects, through the referenced $defs', () => {
    const validate = validator(pointer('components', 'schemas', 'Case'));
    const first = examples[0];
    if (first === undefined) throw new Error('no examples');
    const good = JSON.parse(first.text) as JsonObject;
    const badInstant = { ...good, evaluatedAt: '2026-05-22 09:30' }; // only $defs/instant says no
    const badProduct = { ...good, order: { ...(good['order'] as JsonObject), product: 'vpn' } };
    for (const bad of [badInstant, badProduct]) {
      expect(validate(bad)).toBe(false);
      expect(decideCase(bad).ok).toBe(false);
    }
  });

  it('accepts every example decision, as served, through the 200 response schema', async () => {
    const validate = validator(
      pointer(
        'paths',
        '/v1/decisions',
        'post',
        'responses',
        '200',
        'content',
        'application/json',
        'schema',
      ),
    );
    const app = createApp();
    for (const { name, text } of examples) {
      const res = await app.request('/v1/decisions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: text,
      });
      expect(res.status, name).toBe(200);
      const decision: unknown = await res.json();
      expect(validate(decision), `${name}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
  });

  it('describes the problem responses of POST /v1/decisions by status', () => {
    const responses = (doc['paths'] as JsonObject)['/v1/decisions'] as JsonObject;
    const post = responses['post'] as { responses: JsonObject };
    expect(Object.keys(post.responses).sort()).toEqual(['200', '400', '405', '413', '415', '500']);
    expect(
      resolvePointer(
        doc,
        pointer(
          'paths',
          '/v1/decisions',
          'post',
          'responses',
          '400',
          'content',
          'application/problem+json',
          'schema',
          '$ref',
        ),
      ),
    ).toBe('#/components/schemas/Problem');
  });

  it('documents exactly the routes the app without a desk registers', () => {
    expect(documentedRoutes(doc)).toEqual(registeredRoutes(createApp()));
    expect(documentedRoutes(doc)).toEqual([
      'get /healthz',
      'get /openapi.json',
      'post /v1/decisions',
    ]);
  });

  it('validates a served health body', async () => {
    const res = await createApp().request('/healthz');
    expect(validator(pointer('components', 'schemas', 'Health'))(await res.json())).toBe(true);
  });
});

// ── The desk ───────────────────────────────────────────────────────────────────────────────

const deskDoc = buildOpenApiDocument({ maxBodyBytes: DEFAULT_MAX_BODY_BYTES, desk: true });
const desk = new OpenApiDocument(deskDoc as JsonObject);
const deskSchemas = (deskDoc as { components: { schemas: JsonObject } }).components.schemas;

function errorsAt(name: string, value: unknown): string | undefined {
  return desk.errorsAt(pointer('components', 'schemas', name), value);
}

function withoutKey(input: Record<string, unknown>, key: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([k]) => k !== key));
}

/** The request-body components and the schema objects the routes validate with. */
const VALIDATING_SCHEMAS: ReadonlyArray<readonly [string, object]> = [
  ['StaffSignIn', authSchemas.staffSignInSchema],
  ['NewStaffUser', authSchemas.newStaffUserSchema],
  ['SignInLinkRequest', authSchemas.signInLinkRequestSchema],
  ['SignInLinkRedemption', authSchemas.signInLinkRedeemSchema],
  ['HostToken', authSchemas.hostTokenSchema],
  ['NewApiKey', authSchemas.newApiKeySchema],
  ['CustomerBody', FACT_REQUEST_SCHEMAS.customer],
  ['PlanBody', FACT_REQUEST_SCHEMAS.plan],
  ['OrderBody', FACT_REQUEST_SCHEMAS.order],
  ['UsageBody', FACT_REQUEST_SCHEMAS.usage],
  ['ReportBody', FACT_REQUEST_SCHEMAS.report],
  ['IncidentBody', FACT_REQUEST_SCHEMAS.incident],
  ['ChargebackBody', FACT_REQUEST_SCHEMAS.chargeback],
  ['RefundBody', FACT_REQUEST_SCHEMAS.refund],
  ['FlagsBody', FACT_REQUEST_SCHEMAS.flags],
  ['RefundRequestBody', refundRequestSchema],
  ['Withdrawal', withdrawSchema],
];

describe('GET /openapi.json of a desk', () => {
  it('is valid under the 2020-12 meta-schema, component by component, and Ajv loads it whole', () => {
    const strict = new Ajv2020({ strict: true, validateFormats: false });
    expect(Object.keys(deskSchemas).length).toBeGreaterThan(50);
    for (const [name, schema] of Object.entries(deskSchemas)) {
      expect(strict.validateSchema(schema as object), `${name}: ${strict.errorsText()}`).toBe(true);
      expect(errorsAt(name, null), name).not.toMatch(/^no schema at/);
    }
  });

  it('resolves every $ref inside the document', () => {
    const refs = collectRefs(deskDoc);
    expect(refs.length).toBeGreaterThan(100);
    expect(refs.filter((ref) => resolvePointer(deskDoc, ref) === undefined)).toEqual([]);
    expect(refs.filter((ref) => ref.startsWith('#/$defs/'))).toEqual([]);
    for (const { method, template, op } of operationsOf(deskDoc as JsonObject)) {
      for (const [status, response] of Object.entries(op['responses'] as JsonObject)) {
        for (const [type, media] of Object.entries(
          ((response as JsonObject)['content'] ?? {}) as JsonObject,
        )) {
          if (!isObject((media as JsonObject)['schema'])) continue;
          const ref = pointer('paths', template, method, 'responses', status, 'content', type);
          expect(() => desk.ajv.getSchema(`${DOC_ID}${ref}/schema`), ref).not.toThrow();
        }
      }
    }
  });

  it('has request bodies that are the very schemas the routes validate with', () => {
    for (const [name, schema] of VALIDATING_SCHEMAS) {
      expect(unrewrite(deskSchemas[name], name), name).toEqual(withoutIdentity(schema));
    }
  });

  it('accepts the bodies the desk tests send, and refuses what the routes refuse', () => {
    const customer = customerInput();
    const order = orderInput('cus_1', 'plan_1');
    const accepted: ReadonlyArray<readonly [string, unknown]> = [
      ['StaffSignIn', { email: 'a@desk.example', password: STAFF_PASSWORD }],
      [
        'NewStaffUser',
        { email: 'b@desk.example', name: 'B', role: 'agent', password: STAFF_PASSWORD },
      ],
      ['SignInLinkRequest', { email: 'ada@example.com' }],
      ['SignInLinkRedemption', { token: 'x'.repeat(43) }],
      ['HostToken', { token: 'a.b.c' }],
      ['NewApiKey', { name: 'billing', scopes: ['facts:write', 'facts:read'] }],
      ['CustomerBody', withoutKey(customer, 'id')],
      ['CustomerBody', customer],
      ['PlanBody', planInput()],
      ['OrderBody', withoutKey(order, 'id')],
      ['UsageBody', withoutKey(usageInput('ord_1'), 'orderId')],
      ['ReportBody', withoutKey(reportInput('ord_1'), 'id')],
      ['IncidentBody', incidentInput()],
      ['ChargebackBody', chargebackInput('ord_1')],
      ['RefundBody', refundInput('ord_1', { incidentId: 'inc_1' })],
      ['FlagsBody', { stressTesting: true }],
      ['RefundRequestBody', requestBody({ orderId: 'ord_1', paymentMethod: 'card' })],
      ['RefundRequestBody', { ...requestBody({ orderId: 'o', paymentMethod: 'crypto' }) }],
      ['Withdrawal', {}],
      ['Withdrawal', { reason: 'solved' }],
      [
        'RefundRequestUpload',
        { request: requestBody({ orderId: 'ord_1', paymentMethod: 'card' }), evidence: ['x'] },
      ],
      ['EvidenceUpload', { evidence: ['a', 'b'] }],
    ];
    for (const [name, body] of accepted) {
      expect(errorsAt(name, body), `${name}: ${JSON.stringify(body)}`).toBeUndefined();
    }
    const refused: ReadonlyArray<readonly [string, unknown]> = [
      ['NewStaffUser', { email: 'b@desk.example', name: 'B', role: 'owner', password: 'x' }],
      ['NewApiKey', { name: 'billing', scopes: [] }],
      ['PlanBody', planInput({ product: 'vpn' })],
      ['OrderBody', { ...order, amountMinor: 12.5 }],
      ['UsageBody', {}],
      ['FlagsBody', {}],
      ['RefundRequestBody', { ...requestBody({ orderId: 'o', paymentMethod: 'card' }), x: 1 }],
      [
        'RefundRequestBody',
        withoutKey(requestBody({ orderId: 'o', paymentMethod: 'card' }), 'contact'),
      ],
      ['Withdrawal', { reason: 'x'.repeat(1_001) }],
      ['RefundRequestUpload', { evidence: ['x'] }],
      ['EvidenceUpload', { evidence: [] }],
    ];
    for (const [name, body] of refused) {
      expect(errorsAt(name, body), `${name}: ${JSON.stringify(body)}`).toBeDefined();
    }
  });

  it('states security, Idempotency-Key and problems per operation from the problem table', () => {
    const components = (deskDoc as { components: JsonObject }).components;
    expect(components['securitySchemes']).toMatchObject({
      session: { type: 'apiKey', in: 'cookie', name: 'rd_session' },
      apiKey: { type: 'http', scheme: 'bearer' },
    });
    for (const { method, template, op } of operationsOf(deskDoc as JsonObject)) {
      const label = `${method} ${template}`;
      const security = op['security'] as Array<Record<string, string[]>>;
      const responses = op['responses'] as JsonObject;
      const parameters = (op['parameters'] ?? []) as JsonObject[];
      const keyed = parameters.some((p) => p['$ref'] === '#/components/parameters/IdempotencyKey');
      expect(keyed, label).toBe(method === 'post' && template.startsWith('/v1/'));
      for (const name of template.match(/\{[^}]+\}/g) ?? []) {
        expect(parameters, label).toContainEqual(
          expect.objectContaining({ name: name.slice(1, -1), in: 'path', required: true }),
        );
      }
      for (const entry of security) {
        for (const scheme of Object.keys(entry)) expect(['session', 'apiKey']).toContain(scheme);
      }
      // Whoever must sign in can be told so.
      if (security.length > 0) expect(Object.keys(responses), label).toContain('401');
      if (isObject(op['requestBody'])) expect(Object.keys(responses), label).toContain('413');
      expect(
        Object.keys(responses).filter((status) => /^2/.test(status)),
        label,
      ).not.toEqual([]);
      for (const [status, response] of Object.entries(responses)) {
        if (Number(status) < 400) continue;
        const content = (response as JsonObject)['content'] as JsonObject;
        const schema = (content['application/problem+json'] as JsonObject)['schema'] as {
          $ref: string;
          properties: { code: { enum: ProblemCode[] } };
        };
        expect(schema.$ref).toBe('#/components/schemas/Problem');
        for (const code of schema.properties.code.enum) {
          expect(PROBLEMS[code].status, `${label} ${status} ${code}`).toBe(Number(status));
        }
      }
    }
    // Not every code everywhere: a customer-only read cannot be a payment mismatch.
    const getRequest = resolvePointer(
      deskDoc,
      pointer('paths', '/v1/refund-requests/{id}', 'get', 'responses'),
    ) as JsonObject;
    expect(Object.keys(getRequest).sort()).toEqual(['200', '401', '403', '404', '405', '500']);
  });

  it('catches a document that lies about an exchange (the check can fail)', async () => {
    const req = (path: string, init?: RequestInit) => new Request(`http://localhost${path}`, init);
    const notFound = () => problemResponse(problem('not_found', 'No refund request.'));
    expect(await desk.check(req('/v1/refund-requests/rr_1'), notFound())).toEqual([]);
    // A status the operation does not list, a problem code it does not list for that status.
    const conflict = problemResponse(problem('request_state_conflict', 'Not open.'));
    expect(await desk.check(req('/v1/refund-requests/rr_1'), conflict)).toEqual([
      expect.stringMatching(/GET \/v1\/refund-requests\/\{id\} → 409: status not documented/),
    ]);
    const mismatch = problemResponse(problem('payment_method_mismatch', 'x'));
    const submit = () => req('/v1/refund-requests', jsonPost({}, 'rd_session=x'));
    expect(await desk.check(submit(), mismatch)).toEqual([]);
    // Withdrawing can be 422 (a reused Idempotency-Key), but never for too many files.
    const tooMany = problemResponse(problem('too_many_evidence_files', 'x'));
    const withdraw = () => req('/v1/refund-requests/rr_1/withdraw', jsonPost({}));
    expect(await desk.check(withdraw(), tooMany)).toEqual([
      expect.stringMatching(/→ 422: response body: .*allowed values/),
    ]);
    const reused = problemResponse(problem('idempotency_key_reused', 'x'));
    expect(await desk.check(withdraw(), reused)).toEqual([]);
    expect(await desk.check(req('/v1/staff-users'), reused)).toEqual([
      expect.stringMatching(/GET \/v1\/staff-users → 422: status not documented/),
    ]);
    // A body that breaks its schema, and a body the server accepted that the document refuses.
    const health = new Response(JSON.stringify({ status: 'ok', extra: 1 }), {
      headers: { 'content-type': 'application/json' },
    });
    expect(await desk.check(req('/healthz'), health)).toEqual([
      expect.stringMatching(/response body: .*additional properties/),
    ]);
    const accepted = new Response(null, { status: 204 });
    const withdrawn = new Response(JSON.stringify({ request: {} }), {
      headers: { 'content-type': 'application/json' },
    });
    expect(await desk.check(req('/v1/sessions/current', { method: 'DELETE' }), accepted)).toEqual(
      [],
    );
    expect(
      await desk.check(req('/v1/refund-requests/rr_1/withdraw', jsonPost({ why: 1 })), withdrawn),
    ).toEqual([
      expect.stringMatching(/response body: /),
      expect.stringMatching(/accepted a body the document refuses/),
    ]);
    const upload = multipartPost({ orderId: 'o' }, [{ name: 'a.log', bytes: 'x' }]);
    const created = new Response('{}', {
      status: 201,
      headers: { 'content-type': 'text/plain' },
    });
    expect(await desk.check(req('/v1/refund-requests', upload), created)).toEqual([
      expect.stringMatching(/content type text\/plain not documented/),
      expect.stringMatching(/accepted a body the document refuses: .*request/),
    ]);
  });
});

const HOST_SECRET = 'host-platform-secret-for-the-openapi-walk';

describeEachEngine('the desk as its document describes it', (store) => {
  let d: TestDesk;
  const exchanges: Exchange[] = [];
  beforeAll(() => {
    d = deskOver(store(), {
      hostTokenSecret: HOST_SECRET,
      onExchange: (exchange) => exchanges.push(exchange),
    });
    // Two days after the fixtures' purchase instant: inside the refund window, after the facts.
    d.clock.advance(Date.parse('2026-03-04T12:00:00.000Z') - DESK_T0_MS);
    return () => d.dispose();
  });

  it('serves the document the generator builds, listing exactly the routes it registers', async () => {
    const res = await d.app.request('/openapi.json');
    expect(await res.json()).toEqual(deskDoc);
    expect(documentedRoutes(deskDoc as JsonObject)).toEqual(registeredRoutes(d.app));
    expect(registeredRoutes(d.app).length).toBeGreaterThan(30);
  });

  it('answers the other methods of every documented path with 405 and the documented Allow', async () => {
    const paths = deskDoc as { paths: Record<string, JsonObject> };
    for (const [template, item] of Object.entries(paths.paths)) {
      const methods = HTTP_METHODS.filter((m) => isObject(item[m])).map((m) => m.toUpperCase());
      const allowed = methods.includes('GET') ? [...methods, 'HEAD'] : methods;
      const other = ['PUT', 'PATCH', 'DELETE', 'POST', 'GET'].find((m) => !allowed.includes(m));
      const path = template.replace(/\{[^}]+\}/g, 'x1');
      const res = await d.app.request(path, { method: other ?? 'OPTIONS' });
      expect(res.status, `${other ?? 'OPTIONS'} ${template}`).toBe(405);
      const allow = (res.headers.get('allow') ?? '').split(',').map((m) => m.trim());
      expect(allow.sort(), template).toEqual([...allowed].sort());
    }
  });

  it('answers every documented operation as documented, with a success for each', async () => {
    const { app } = d;
    const ok = async (res: Response | Promise<Response>, status = 200) => {
      const answer = await res;
      expect(answer.status, await answer.clone().text()).toBe(status);
      return answer;
    };
    const body = async <T>(res: Response | Promise<Response>, status = 200) =>
      (await (await ok(res, status)).json()) as T;
    const send = (method: string, json: unknown, auth: { cookie?: string; bearer?: string }) => ({
      method,
      body: JSON.stringify(json),
      headers: { 'content-type': 'application/json', ...as(auth).headers },
    });

    // Staff and API keys.
    const adminUser = await seedStaffUser(d.deps, 'admin');
    const admin = {
      cookie: sessionCookieFrom(
        await ok(
          app.request(
            '/v1/staff/sessions',
            postJson({ email: adminUser.email, password: STAFF_PASSWORD }),
          ),
        ),
      ),
    };
    const { staff } = await body<{ staff: { id: string } }>(
      app.request(
        '/v1/staff-users',
        postJson(
          {
            email: 'walk-agent@desk.example',
            name: 'Agent',
            role: 'agent',
            password: STAFF_PASSWORD,
          },
          admin,
        ),
      ),
      201,
    );
    await ok(app.request('/v1/staff-users?limit=5', as(admin)));
    await ok(app.request(`/v1/staff-users/${staff.id}/disable`, postJson({}, admin)));
    const created = await body<{ id: string; key: string }>(
      app.request(
        '/v1/api-keys',
        postJson(
          { name: 'billing', scopes: ['facts:write', 'facts:read', 'requests:read'] },
          admin,
        ),
      ),
      201,
    );
    const billing = { bearer: created.key };
    await ok(app.request('/v1/api-keys', as(admin)));

    // Billing facts: customer A's order is the one the request is filed on; customer B's
    // carries the chargeback and the refund, so A's decision stays open.
    const [customerA, customerB] = [customerInput(), customerInput()];
    const plan = planInput();
    const idOf = (input: Record<string, unknown>) => input['id'] as string;
    const orderA = orderInput(idOf(customerA), idOf(plan));
    const orderB = orderInput(idOf(customerB), idOf(plan));
    // On another product than A's plan: A's service report keeps its case pending, and open.
    const incident = incidentInput({ products: ['datacenter'] });
    const puts: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
      ['customers', customerA],
      ['customers', customerB],
      ['plans', plan],
      ['orders', orderA],
      ['orders', orderB],
      ['reports', reportInput(idOf(orderA))],
      ['incidents', incident],
      ['chargebacks', chargebackInput(idOf(orderB))],
      ['refunds', refundInput(idOf(orderB), { incidentId: idOf(incident) })],
    ];
    for (const [collection, fact] of puts) {
      const path = `/v1/${collection}/${idOf(fact)}`;
      await ok(app.request(path, send('PUT', withoutKey(fact, 'id'), billing)), 201);
    }
    await ok(app.request(`/v1/plans/${idOf(plan)}`, send('PUT', plan, billing)), 200);
    await ok(
      app.request(
        `/v1/orders/${idOf(orderA)}/usage`,
        send('POST', withoutKey(usageInput(idOf(orderA)), 'orderId'), billing),
      ),
      201,
    );
    await ok(
      app.request(
        `/v1/customers/${idOf(customerB)}/flags`,
        send('PATCH', { kycStatus: 'verified' }, billing),
      ),
    );
    await ok(app.request(`/v1/customers/${idOf(customerA)}`, as(billing)));
    await ok(app.request(`/v1/orders/${idOf(orderA)}`, as(billing)));

    // Customer A signs in: by a mailed link, and by a host platform's token.
    d.newMail();
    await ok(app.request('/v1/auth/sign-in-links', postJson({ email: orderA['email'] })), 202);
    const [token = ''] = d.newMail().flatMap(signInLinkTokens);
    const customer = {
      cookie: sessionCookieFrom(
        await ok(app.request('/v1/auth/sign-in-links/redeem', postJson({ token }))),
      ),
    };
    const nowS = Math.floor(d.clock.nowMs() / 1000);
    const hostToken = await sign(
      { sub: idOf(customerA), aud: 'refund-desk', jti: 'openapi-walk', iat: nowS, exp: nowS + 300 },
      HOST_SECRET,
      'HS256',
    );
    const hosted = {
      cookie: sessionCookieFrom(
        await ok(app.request('/v1/auth/host-token', postJson({ token: hostToken }))),
      ),
    };
    for (const who of [customer, admin, billing]) await ok(app.request('/v1/me', as(who)));

    // Technical review, the queue and the customer's answers (cases of their own).
    await walkCaseOperations(d, admin);

    // Webhook endpoints, their delivery log, and inbound mail.
    await walkWebhookOperations(d, admin);

    // Payouts: the customer's pro-rata choice, failed payouts, mark paid, the order ledger.
    await walkPayoutOperations(d, admin);

    // Provider webhooks: a signed Stripe event settles a payout.
    await walkProviderWebhookOperations(d);

    // The refund request, its decision and evidence, by the customer; read by staff and keys.
    const upload = () =>
      multipartPost(
        requestBody({ orderId: idOf(orderA), paymentMethod: 'card' }),
        [{ name: 'gateway.log', bytes: '2026-03-02 ERR upstream timeout\n' }],
        customer.cookie,
        'walk-1',
      );
    const submitted = await body<{ request: { id: string; state: string } }>(
      app.request('/v1/refund-requests', upload()),
      201,
    );
    const replayed = await ok(app.request('/v1/refund-requests', upload()), 201);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    const id = submitted.request.id;
    expect(submitted.request.state).toBe('pending_remediation');
    for (const who of [customer, admin, billing]) {
      await ok(app.request('/v1/refund-requests?limit=5', as(who)));
      await ok(app.request(`/v1/refund-requests/${id}`, as(who)));
      await ok(app.request(`/v1/refund-requests/${id}/decision`, as(who)));
    }
    const added = await body<{ evidence: Array<{ id: string }> }>(
      app.request(
        `/v1/refund-requests/${id}/evidence`,
        multipartPost(undefined, [{ name: 'screen.png', bytes: PNG_BYTES }], hosted.cookie),
      ),
      201,
    );
    await ok(app.request(`/v1/refund-requests/${id}/evidence`, as(customer)));
    const file = await ok(
      app.request(`/v1/refund-requests/${id}/evidence/${added.evidence[0]?.id ?? ''}`, as(admin)),
    );
    expect(file.headers.get('content-type')).toBe('image/png');
    await ok(
      app.request(
        `/v1/refund-requests/${id}/withdraw`,
        jsonPost({ reason: 'solved' }, customer.cookie),
      ),
    );

    // The audit log, the stateless routes, and signing out.
    await ok(app.request('/v1/audit-log?limit=5', as(admin)));
    const verdict = await body<{ ok: boolean }>(
      app.request('/v1/audit-log/verification', as(admin)),
    );
    expect(verdict.ok).toBe(true);
    const example = examples[0];
    if (example === undefined) throw new Error('no examples');
    await ok(
      app.request('/v1/decisions', {
        method: 'POST',
        body: example.text,
        headers: { 'content-type': 'application/json' },
      }),
    );
    await ok(app.request('/healthz'));
    await ok(app.request(`/v1/api-keys/${created.id}/revoke`, postJson({}, admin)));
    await ok(app.request('/v1/sessions/current', { method: 'DELETE', ...as(customer) }), 204);

    const succeeded = new Set(
      exchanges.filter((e) => e.status >= 200 && e.status < 300).map((e) => e.operationId),
    );
    const documented = operationsOf(deskDoc as JsonObject).map(({ op }) =>
      String(op['operationId']),
    );
    expect(documented.filter((operationId) => !succeeded.has(operationId))).toEqual([]);
  });
});
