/**
 * POST /v1/decisions: the same decision, byte for byte, as the CLI prints (both are
 * `JSON.stringify` of what `decideCase` returns), and every way a request can be refused.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decideCase } from '../../src/app/decide.js';
import { createApp, DEFAULT_MAX_BODY_BYTES } from '../../src/http/app.js';
import { isJsonMediaType } from '../../src/http/media.js';

const examplesDir = new URL('../fixtures/examples/', import.meta.url);
const examples = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.case.json'))
  .map((f) => ({
    name: f.replace(/\.case\.json$/, ''),
    text: readFileSync(new URL(f, examplesDir), 'utf8'),
  }));

function exampleCase(name = 'denied-crypto'): Record<string, unknown> {
  const found = examples.find((e) => e.name === name);
  if (found === undefined) throw new Error(`no example ${name}`);
  return JSON.parse(found.text) as Record<string, unknown>;
}

const app = createApp();

function decide(body: string, headers: Record<string, string> = {}): Promise<Response> {
  return Promise.resolve(
    app.request('/v1/decisions', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
    }),
  );
}

interface ProblemBody {
  code: string;
  status: number;
  detail: string;
  errors?: { pointer: string; detail: string }[];
}

describe('POST /v1/decisions', () => {
  it('has the shipped examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(7);
  });

  for (const { name, text } of examples) {
    it(`${name}: the decision, byte for byte as decideCase gives it`, async () => {
      const res = await decide(text);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      const direct = decideCase(JSON.parse(text));
      if (!direct.ok) throw new Error(`example ${name} is invalid`);
      expect(await res.text()).toBe(JSON.stringify(direct.value.decision));
    });
  }

  it('accepts application/json with a UTF-8 charset and application/*+json', async () => {
    const text = JSON.stringify(exampleCase());
    for (const type of [
      'application/json; charset=utf-8',
      'Application/JSON;charset="UTF-8"',
      'application/vnd.refund-desk.case+json',
    ]) {
      expect((await decide(text, { 'content-type': type })).status, type).toBe(200);
    }
  });

  it('decides the same whatever the key order and whitespace of the body', async () => {
    const text = JSON.stringify(exampleCase('prorata-after-window'), null, 2);
    const reordered = JSON.stringify(
      Object.fromEntries(Object.entries(exampleCase('prorata-after-window')).reverse()),
    );
    expect(await (await decide(text)).text()).toBe(await (await decide(reordered)).text());
  });
});

describe('invalid_case', () => {
  it('names every bad field at once, by JSON pointer', async () => {
    const c = exampleCase();
    const order = c['order'] as Record<string, unknown>;
    const bad = {
      ...c,
      evaluatedAt: '2026-05-22 09:30', // not RFC 3339
      order: { ...order, amountCents: -1, currency: 'usd', paymentMethod: 'cheque' },
      usage: { trafficBytes: 1.5 }, // fractional, and requests missing
      surprise: true, // unknown field
    };
    const res = await decide(JSON.stringify(bad));
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = (await res.json()) as ProblemBody;
    expect(body.code).toBe('invalid_case');
    expect(body.errors?.map((e) => e.pointer).sort()).toEqual(
      [
        '/evaluatedAt',
        '/order/amountCents',
        '/order/currency',
        '/order/paymentMethod',
        '/surprise',
        '/usage/requests',
        '/usage/trafficBytes',
      ].sort(),
    );
    for (const error of body.errors ?? []) expect(error.detail.length).toBeGreaterThan(0);
    expect(body.detail).toContain('7 invalid fields');
  });

  it('gives the same field errors as decideCase with errors: all', async () => {
    const c = exampleCase();
    const order = c['order'] as Record<string, unknown>;
    const bad = {
      ...c,
      order: { ...order, refundedCents: 99_999 },
      evaluatedAt: '2020-01-01T00:00:00Z',
    };
    const direct = decideCase(bad, { errors: 'all' });
    if (direct.ok) throw new Error('expected an invalid case');
    const body = (await (await decide(JSON.stringify(bad))).json()) as ProblemBody;
    expect(body.errors).toEqual(
      direct.error.map((e) => ({ pointer: e.pointer, detail: e.message })),
    );
    expect(body.errors?.map((e) => e.pointer)).toEqual(
      expect.arrayContaining(['/evaluatedAt', '/order/refundedCents']),
    );
  });

  it.each([
    ['an array', '[]'],
    ['a string', '"case"'],
    ['null', 'null'],
  ])('refuses %s as the whole body, pointer ""', async (_label, text) => {
    const body = (await (await decide(text)).json()) as ProblemBody;
    expect(body.code).toBe('invalid_case');
    expect(body.errors?.map((e) => e.pointer)).toEqual(['']);
  });
});

describe('invalid_json', () => {
  it.each([
    ['empty', ''],
    ['truncated', '{"order": {'],
    ['trailing comma', '{"a": 1,}'],
    ['two documents', '{} {}'],
  ])('%s body: 400 invalid_json', async (_label, text) => {
    const res = await decide(text);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = (await res.json()) as ProblemBody;
    expect(body.code).toBe('invalid_json');
    expect(body.errors).toBeUndefined();
  });
});

describe('unsupported_media_type', () => {
  it.each([
    ['text/plain'],
    ['application/x-www-form-urlencoded'],
    ['application/json; charset=iso-8859-1'],
    ['application/jsonx'],
  ])('content-type %s: 415', async (type) => {
    const res = await decide(JSON.stringify(exampleCase()), { 'content-type': type });
    expect(res.status).toBe(415);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(((await res.json()) as ProblemBody).code).toBe('unsupported_media_type');
  });

  it('no content-type: 415', async () => {
    const res = await app.request('/v1/decisions', {
      method: 'POST',
      body: new Uint8Array([123, 125]),
    });
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.status).toBe(415);
  });

  it('recognises JSON media types', () => {
    expect(isJsonMediaType('application/json')).toBe(true);
    expect(isJsonMediaType('application/problem+json')).toBe(true);
    expect(isJsonMediaType(undefined)).toBe(false);
    expect(isJsonMediaType('')).toBe(false);
    expect(isJsonMediaType('text/json')).toBe(false);
  });
});

describe('payload_too_large', () => {
  const padded = (bytes: number): string => {
    const text = JSON.stringify(exampleCase());
    return text + ' '.repeat(bytes - Buffer.byteLength(text));
  };

  it('accepts a body of exactly the limit (1 MiB)', async () => {
    const res = await decide(padded(DEFAULT_MAX_BODY_BYTES));
    expect(res.status).toBe(200);
  });

  it('refuses one byte more, streamed without content-length', async () => {
    const res = await decide(padded(DEFAULT_MAX_BODY_BYTES + 1));
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(((await res.json()) as ProblemBody).code).toBe('payload_too_large');
  });

  it('refuses on a content-length over the limit, before reading the body', async () => {
    const res = await decide('{}', { 'content-length': String(DEFAULT_MAX_BODY_BYTES + 1) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as ProblemBody).code).toBe('payload_too_large');
  });

  it('honours a configured limit', async () => {
    const small = createApp({ maxBodyBytes: 10 });
    const res = await small.request('/v1/decisions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":12345}',
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as ProblemBody).detail).toContain('10 bytes');
  });
});

describe('GET /healthz', () => {
  it('answers 200 {"status":"ok"}', async () => {
    const res = await app.request('/healthz');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers HEAD with no body', async () => {
    const res = await app.request('/healthz', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });
});
