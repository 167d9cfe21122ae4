/**
 * GET /openapi.json: an OpenAPI 3.1 document generated from the schemas that validate requests.
 * Checked with a real JSON Schema 2020-12 validator (Ajv): every component is a valid schema,
 * every $ref resolves inside the document, and the shipped examples validate against it.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { decideCase } from '../../src/app/decide.js';
import { caseSchema, decisionSchema } from '../../src/engine/index.js';
import { createApp } from '../../src/http/app.js';
import { PROBLEM_CODES } from '../../src/http/problems.js';

const examplesDir = new URL('../fixtures/examples/', import.meta.url);
const examples = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.case.json'))
  .map((f) => ({
    name: f.replace(/\.case\.json$/, ''),
    text: readFileSync(new URL(f, examplesDir), 'utf8'),
  }));

const DOC_ID = 'https://refund-desk.test/openapi.json';

type JsonObject = { [key: string]: unknown };

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

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

function pointer(...tokens: string[]): string {
  return `#/${tokens.map((t) => t.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
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

  it('validates a served health body', async () => {
    const res = await createApp().request('/healthz');
    expect(validator(pointer('components', 'schemas', 'Health'))(await res.json())).toBe(true);
  });
});
