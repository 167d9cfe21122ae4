/**
 * Outbound webhooks, on both engines, against a real HTTP receiver on loopback that verifies
 * each delivery with the documented verifier: admins register endpoints over the API; every
 * case move is delivered once per enabled endpoint, signed; a forged, a tampered, a stale and a
 * replayed delivery are rejected by `verifyWebhook`; a 500 is retried with exponential back-off
 * and the delivery log (attempts, status codes, errors, durations) is readable by admins.
 */
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  caseEventId,
  DELIVERY_LIMITS,
  deliveryBackoffMs,
} from '../../src/app/webhooks/deliveries.js';
import {
  DEFAULT_TOLERANCE_MS,
  signWebhook,
  verifyWebhook,
} from '../../src/app/webhooks/signing.js';
import { runUntilIdle, runWorkerPass } from '../../src/jobs/worker.js';
import { caseDesk, seedDeniedCase, type CaseDesk } from '../support/cases-desk.js';
import { as, postJson } from '../support/people.js';
import { describeEachEngine } from '../support/stores.js';
import { startReceiver, type Receiver } from '../support/webhooks.js';

const HOOKS = '/v1/webhook-endpoints';
const webhooksOnly = { queues: { timers: false, notifications: false, webhooks: true } } as const;

interface DeliveryJson {
  id: string;
  eventId: string;
  status: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  payload: { id: string; data: { seq: number; to: string } };
  log: Array<{
    attempt: number;
    statusCode: number | null;
    error: string | null;
    durationMs: number;
    startedAt: string;
  }>;
}

describe('verifyWebhook', () => {
  const secret = 'whsec_test_secret_of_at_least_32_chars!';
  const body = JSON.stringify({
    id: 'evt_rr_1_1',
    type: 'case.state_changed',
    createdAt: '2026-03-02T10:00:00.000Z',
    data: { requestId: 'rr_1', from: null, to: 'denied', event: 'decide_denied', seq: 1 },
  });
  const nowMs = Date.parse('2026-03-02T10:00:05.000Z');
  const header = signWebhook(secret, body, nowMs - 5_000);

  it('accepts a genuine delivery and names what is wrong with any other', () => {
    expect(verifyWebhook({ body, header, secret, nowMs })).toMatchObject({
      ok: true,
      event: { id: 'evt_rr_1_1', data: { to: 'denied' } },
    });
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const reason = (input: Partial<Parameters<typeof verifyWebhook>[0]>) => {
      const result = verifyWebhook({ body, header, secret, nowMs, ...input });
      return result.ok ? 'ok' : result.reason;
    };
    expect(reason({ secret: 'whsec_another_secret_of_32_chars_long' })).toBe('forged');
    expect(reason({ body: body.replace('denied', 'approved') })).toBe('forged');
    expect(reason({ header: header.replace(/t=\d+/, `t=${Math.floor(nowMs / 1000)}`) })).toBe(
      'forged',
    );
    expect(reason({ nowMs: nowMs + DEFAULT_TOLERANCE_MS })).toBe('stale');
    expect(reason({ nowMs: nowMs - 5_000 + DEFAULT_TOLERANCE_MS })).toBe('ok');
    expect(reason({ nowMs: nowMs, toleranceMs: 1_000 })).toBe('stale');
    expect(reason({ seenIds: new Set(['evt_rr_1_1']) })).toBe('replayed');
    expect(reason({ header: undefined })).toBe('malformed_signature');
    expect(reason({ header: 'v1=abc' })).toBe('malformed_signature');
    expect(reason({ header: `${header},v1=${'0'.repeat(64)}` })).toBe('ok');
    const notAnEvent = '{"hello":1}';
    expect(reason({ body: notAnEvent, header: signWebhook(secret, notAnEvent, nowMs) })).toBe(
      'malformed_body',
    );
  });
});

describeEachEngine('outbound webhooks', (store) => {
  let d: CaseDesk;
  let admin: { cookie: string };
  let receiver: Receiver;
  let secret = '';
  let endpointId = '';

  beforeAll(async () => {
    d = caseDesk(store());
    admin = { cookie: await d.staff('admin') };
    receiver = await startReceiver(() => secret, d.clock);
  });
  afterAll(async () => {
    await receiver.close();
    d.dispose();
  });

  async function deliveriesOf(endpointId: string): Promise<DeliveryJson[]> {
    const res = await d.app.request(`${HOOKS}/${endpointId}/deliveries?limit=200`, as(admin));
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: DeliveryJson[] }).items;
  }

  it('is registered by admins only, with a secret shown once', async () => {
    const agent = { cookie: await d.staff('agent') };
    expect((await d.app.request(HOOKS, postJson({ url: receiver.url }, agent))).status).toBe(403);
    expect((await d.app.request(HOOKS, postJson({ url: 'ftp://x.example/' }, admin))).status).toBe(
      400,
    );
    const bad = await d.app.request(HOOKS, postJson({ url: 'https://u:p@x.example/' }, admin));
    expect(await bad.json()).toMatchObject({ errors: [{ pointer: '/url' }] });

    const res = await d.app.request(
      HOOKS,
      postJson({ url: receiver.url, description: 'ERP' }, admin),
    );
    expect(res.status).toBe(201);
    const { endpoint } = (await res.json()) as { endpoint: { id: string; secret: string } };
    expect(endpoint.secret).toMatch(/^whsec_/);
    secret = endpoint.secret;
    endpointId = endpoint.id;
    const list = (await (await d.app.request(HOOKS, as(admin))).json()) as {
      items: Array<Record<string, unknown>>;
    };
    expect(list.items.find((e) => e['id'] === endpoint.id)).toMatchObject({
      enabled: true,
      url: receiver.url,
    });
    expect(JSON.stringify(list)).not.toContain(secret);
  });

  it('delivers every case move once per enabled endpoint, signed so the receiver verifies it', async () => {
    const endpoint = { id: endpointId };
    // A second endpoint, disabled: it receives nothing.
    const off = await d.app.request(
      HOOKS,
      postJson({ url: `${receiver.url}/off`, enabled: false }, admin),
    );
    expect(off.status).toBe(201);

    const before = receiver.received.length;
    const filed = await seedDeniedCase(d);
    expect(receiver.received.length).toBe(before); // only queued so far
    await runUntilIdle(d.deps, webhooksOnly);
    await runUntilIdle(d.deps, webhooksOnly);
    const mine = receiver.received.slice(before);
    expect(mine).toHaveLength(1);
    const [delivery] = mine;
    expect(delivery?.status).toBe(204);
    expect(delivery?.verdict).toMatchObject({ ok: true });
    expect(JSON.parse(delivery?.body ?? '')).toEqual({
      id: caseEventId(filed.requestId, 1),
      type: 'case.state_changed',
      createdAt: new Date(d.clock.nowMs()).toISOString(),
      data: {
        requestId: filed.requestId,
        from: null,
        to: 'denied',
        event: 'decide_denied',
        seq: 1,
      },
    });
    expect(delivery?.headers['content-type']).toBe('application/json');
    expect(delivery?.headers['refund-desk-event']).toBe(caseEventId(filed.requestId, 1));
    const log = (await deliveriesOf(endpoint.id)).filter(
      (x) => x.payload.data.seq === 1 && x.eventId === caseEventId(filed.requestId, 1),
    );
    expect(log).toMatchObject([
      { status: 'delivered', attempts: 1, lastStatusCode: 204, nextAttemptAt: null },
    ]);
    expect(delivery?.headers['refund-desk-delivery']).toBe(log[0]?.id);

    // The same bytes sent again are a replay; signed with another secret, a forgery.
    const replayed = verifyWebhook({
      body: delivery?.body ?? '',
      header: String(delivery?.headers['refund-desk-signature']),
      secret,
      nowMs: d.clock.nowMs(),
      seenIds: receiver.seen,
    });
    expect(replayed).toEqual({ ok: false, reason: 'replayed' });
    const forged = await fetch(receiver.url, {
      method: 'POST',
      body: delivery?.body ?? '',
      headers: {
        'content-type': 'application/json',
        'refund-desk-signature': signWebhook(
          'whsec_not_the_endpoint_secret_0000000',
          delivery?.body ?? '',
          d.clock.nowMs(),
        ),
      },
    });
    expect(forged.status).toBe(400);
    expect(receiver.received.at(-1)?.verdict).toEqual({ ok: false, reason: 'forged' });
    // Captured and replayed later than the tolerance: stale, whatever the seen set holds.
    expect(
      verifyWebhook({
        body: delivery?.body ?? '',
        header: String(delivery?.headers['refund-desk-signature']),
        secret,
        nowMs: d.clock.nowMs() + DEFAULT_TOLERANCE_MS + 1_000,
      }),
    ).toEqual({ ok: false, reason: 'stale' });
  });

  it('retries a 500 with exponential back-off, logging every attempt, until it is accepted', async () => {
    const endpoint = { id: endpointId };
    receiver.failNext(2, 500);
    const filed = await seedDeniedCase(d);
    const eventId = caseEventId(filed.requestId, 1);
    const current = async () =>
      (await deliveriesOf(endpoint.id)).find((x) => x.eventId === eventId);

    await runWorkerPass(d.deps, webhooksOnly);
    const startMs = d.clock.nowMs();
    expect(await current()).toMatchObject({
      status: 'queued',
      attempts: 1,
      lastStatusCode: 500,
      lastError: 'HTTP 500',
      nextAttemptAt: new Date(startMs + deliveryBackoffMs(1)).toISOString(),
    });
    // Not before the back-off.
    d.clock.advance(deliveryBackoffMs(1) - 1);
    await runWorkerPass(d.deps, webhooksOnly);
    expect((await current())?.attempts).toBe(1);
    d.clock.advance(1);
    await runWorkerPass(d.deps, webhooksOnly);
    expect(await current()).toMatchObject({
      attempts: 2,
      nextAttemptAt: new Date(d.clock.nowMs() + deliveryBackoffMs(2)).toISOString(),
    });
    expect(deliveryBackoffMs(2)).toBe(2 * deliveryBackoffMs(1));
    d.clock.advance(deliveryBackoffMs(2));
    await runWorkerPass(d.deps, webhooksOnly);
    const done = await current();
    expect(done).toMatchObject({
      status: 'delivered',
      attempts: 3,
      lastStatusCode: 204,
      lastError: null,
    });
    expect(done?.log.map((a) => [a.attempt, a.statusCode, a.error])).toEqual([
      [1, 500, 'HTTP 500'],
      [2, 500, 'HTTP 500'],
      [3, 204, null],
    ]);
    for (const attempt of done?.log ?? []) expect(attempt.durationMs).toBeGreaterThanOrEqual(0);
    // Every attempt was signed afresh and verified by the receiver.
    const posts = receiver.received.filter((r) => r.body.includes(eventId));
    expect(posts.map((p) => [p.status, p.verdict.ok])).toEqual([
      [500, true],
      [500, true],
      [204, true],
    ]);
    expect(new Set(posts.map((p) => p.headers['refund-desk-signature'])).size).toBe(3);
  });

  it('gives up after the attempt limit on an endpoint that never answers, keeping the error', async () => {
    // A port nobody listens on: bound once, then closed.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const res = await d.app.request(
      HOOKS,
      postJson({ url: `http://127.0.0.1:${port}/nobody` }, admin),
    );
    const { endpoint } = (await res.json()) as { endpoint: { id: string } };
    // Only this endpoint: the others are disabled for this test.
    const others = (
      (await (await d.app.request(HOOKS, as(admin))).json()) as { items: Array<{ id: string }> }
    ).items.filter((e) => e.id !== endpoint.id);
    for (const other of others) {
      await d.app.request(`${HOOKS}/${other.id}`, {
        ...postJson({ enabled: false }, admin),
        method: 'PATCH',
      });
    }
    await seedDeniedCase(d);
    for (let attempt = 1; attempt <= DELIVERY_LIMITS.maxAttempts; attempt += 1) {
      await runWorkerPass(d.deps, webhooksOnly);
      d.clock.advance(deliveryBackoffMs(attempt));
    }
    const [delivery] = await deliveriesOf(endpoint.id);
    expect(delivery).toMatchObject({
      status: 'failed',
      attempts: DELIVERY_LIMITS.maxAttempts,
      lastStatusCode: null,
      nextAttemptAt: null,
    });
    expect(delivery?.lastError).toMatch(/ECONNREFUSED|connect/i);
    expect(delivery?.log).toHaveLength(DELIVERY_LIMITS.maxAttempts);
    await runWorkerPass(d.deps, webhooksOnly);
    expect((await deliveriesOf(endpoint.id))[0]?.attempts).toBe(DELIVERY_LIMITS.maxAttempts);
  });
});
