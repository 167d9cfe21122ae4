/** The real server: Node's HTTP stack on 127.0.0.1, an ephemeral port, a real fetch. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decideCase } from '../../src/app/decide.js';
import { listen } from '../../src/http/server.js';

describe('listen', () => {
  it('serves decisions on 127.0.0.1 and closes', async () => {
    const text = readFileSync(
      new URL('../fixtures/examples/pending-remediation-window.case.json', import.meta.url),
      'utf8',
    );
    const direct = decideCase(JSON.parse(text));
    if (!direct.ok) throw new Error('example is invalid');

    const server = await listen();
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${server.url}/v1/decisions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: text,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(await res.text()).toBe(JSON.stringify(direct.value.decision));
    } finally {
      await server.close();
    }
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});
