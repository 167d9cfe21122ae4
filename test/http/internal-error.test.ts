/**
 * A bug inside the evaluator on the real route: 500 `internal`, the error goes to the server's
 * reporter, and nothing of it (message, stack, paths) reaches the client.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/http/app.js';
import { shippedVersions, type Policy } from '../../src/index.js';

// A policy object that skipped validation (no usage caps): the evaluator hits a real bug.
const shipped = shippedVersions()[0];
if (shipped === undefined) throw new Error('no shipped policy');
const broken = { ...shipped, usageCaps: {} } as unknown as Policy;
const validCase = readFileSync(
  new URL('../fixtures/examples/denied-crypto.case.json', import.meta.url),
  'utf8',
);

describe('POST /v1/decisions when the evaluator throws', () => {
  it('answers 500 internal without leaking the error', async () => {
    const onInternalError = vi.fn();
    const res = await createApp({ onInternalError, versions: [broken] }).request('/v1/decisions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: validCase,
    });
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({
      type: 'urn:refund-desk:problem:internal',
      title: 'Internal error',
      status: 500,
      detail: 'An unexpected error occurred; it has been logged.',
      code: 'internal',
    });
    expect(text).not.toMatch(/TypeError|evaluate|undefined|trafficBytes/);
    expect(onInternalError).toHaveBeenCalledOnce();
    expect(onInternalError.mock.calls[0]?.[0]).toBeInstanceOf(TypeError);
  });
});
