/**
 * Idempotency-Key on the desk's POSTs, on SQLite and PostgreSQL: 50 concurrent identical POSTs
 * create one request; the same key with another body is 422; a key still in flight is 409 (or
 * replayed when the first finishes while the repeat waits); abandoned keys are taken over;
 * server errors release the key; keys are scoped to the caller.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  DAY_MS,
  useFreshDesks,
  holdKeyInFlight,
  jsonPost,
  listDir,
  multipartPost,
  refuseEvidenceRowsNamed,
  requestBody,
  requestsAppWith,
  seedCustomerWithOrder,
  seedOrderWithServiceReport,
  type SeededOrder,
} from '../support/intake.js';
import { describeEachEngine, type TestStore } from '../support/stores.js';

const BASE = '/v1/refund-requests';
const REPLAYED = 'idempotent-replayed';

describeEachEngine('idempotency keys', (store: () => TestStore) => {
  const { desk, requestsOn, evidenceOn } = useFreshDesks(store);

  async function keyRow(order: SeededOrder, key: string) {
    return store()
      .db.selectFrom('idempotencyKeys')
      .selectAll()
      .where('scope', '=', `customer:${order.customerId}`)
      .where('key', '=', key)
      .executeTakeFirst();
  }

  async function auditCount(): Promise<number> {
    const rows = await store().db.selectFrom('auditLog').select('seq').execute();
    return rows.length;
  }

  it('50 concurrent identical POSTs create exactly one request; every answer is the same', async () => {
    const d = desk();
    const order = await seedOrderWithServiceReport(d.deps);
    const body = requestBody(order);
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        d.app.request(BASE, jsonPost(body, order.cookie, 'intake-0001')),
      ),
    );
    const answers = await Promise.all(
      responses.map(async (res) => ({
        status: res.status,
        body: await res.text(),
        type: res.headers.get('content-type'),
        location: res.headers.get('location'),
        replayed: res.headers.get(REPLAYED),
      })),
    );
    expect(await requestsOn(order)).toBe(1);
    const first = answers[0];
    expect(first?.status).toBe(201);
    for (const answer of answers) {
      expect({ ...answer, replayed: null }).toEqual({ ...first, replayed: null });
    }
    expect(answers.filter((a) => a.replayed === 'true')).toHaveLength(49);
    expect(answers.filter((a) => a.replayed === null)).toHaveLength(1);
    expect(await keyRow(order, 'intake-0001')).toMatchObject({
      state: 'done',
      responseStatus: 201,
    });
  });

  it('a replay returns the stored answer without doing the work again', async () => {
    const d = desk();
    const order = await seedOrderWithServiceReport(d.deps);
    const body = requestBody(order);
    const first = await d.app.request(BASE, jsonPost(body, order.cookie, 'k-replay'));
    expect(first.status).toBe(201);
    const auditBefore = await auditCount();
    d.clock.advance(60_000);
    // Key order and whitespace do not make it another request.
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(body).reverse()), null, 2);
    const again = await d.app.request(BASE, jsonPost(reordered, order.cookie, 'k-replay'));
    expect(again.status).toBe(201);
    expect(again.headers.get(REPLAYED)).toBe('true');
    expect(again.headers.get('content-type')).toBe('application/json');
    expect(await again.text()).toBe(await first.text());
    expect(await auditCount()).toBe(auditBefore);
    expect(await requestsOn(order)).toBe(1);
  });

  it('the same key with another body: 422, and nothing is done', async () => {
    const d = desk();
    const order = await seedOrderWithServiceReport(d.deps);
    const first = await d.app.request(BASE, jsonPost(requestBody(order), order.cookie, 'k-1'));
    expect(first.status).toBe(201);
    const other = await d.app.request(
      BASE,
      jsonPost(requestBody(order, { description: 'something else' }), order.cookie, 'k-1'),
    );
    expect(other.status).toBe(422);
    expect(await other.json()).toMatchObject({ code: 'idempotency_key_reused' });
    // Another path with the same key is another request too.
    const { request } = (await first.json()) as { request: { id: string } };
    const elsewhere = await d.app.request(
      `${BASE}/${request.id}/withdraw`,
      jsonPost(requestBody(order), order.cookie, 'k-1'),
    );
    expect(elsewhere.status).toBe(422);
    expect(await requestsOn(order)).toBe(1);
  });

  it('a key still in flight: 409 after a short wait, and the held row is untouched', async () => {
    const d = desk();
    const order = await seedCustomerWithOrder(d.deps);
    const body = requestBody(order);
    await holdKeyInFlight(d.deps, `customer:${order.customerId}`, 'k-held', BASE, body);
    const held = await keyRow(order, 'k-held');
    const res = await d.app.request(BASE, jsonPost(body, order.cookie, 'k-held'));
    expect(res.status).toBe(409);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toMatchObject({ code: 'idempotency_key_in_flight' });
    expect(await keyRow(order, 'k-held')).toEqual(held);
    expect(await requestsOn(order)).toBe(0);
  });

  it('a repeat waiting on a key in flight replays the answer once the first finishes', async () => {
    const d = desk();
    const order = await seedCustomerWithOrder(d.deps);
    const body = requestBody(order);
    const scope = `customer:${order.customerId}`;
    await holdKeyInFlight(d.deps, scope, 'k-wait', BASE, body);
    const app = requestsAppWith(d.deps, { inFlightWaitMs: 20_000 });
    const pending = app.request(BASE, jsonPost(body, order.cookie, 'k-wait'));
    await sleep(100);
    // The first request (held by the test) finishes now.
    await store()
      .db.updateTable('idempotencyKeys')
      .set({
        state: 'done',
        responseStatus: 201,
        responseBody: '{"finished":"by the first request"}',
        responseHeadersJson: JSON.stringify({ 'content-type': 'application/json' }),
      })
      .where('scope', '=', scope)
      .where('key', '=', 'k-wait')
      .execute();
    const res = await pending;
    expect(res.status).toBe(201);
    expect(res.headers.get(REPLAYED)).toBe('true');
    expect(await res.text()).toBe('{"finished":"by the first request"}');
    expect(await requestsOn(order)).toBe(0);
  });

  it('a key whose lock expired (its instance crashed) is taken over', async () => {
    const d = desk();
    const order = await seedCustomerWithOrder(d.deps);
    const body = requestBody(order);
    await holdKeyInFlight(
      d.deps,
      `customer:${order.customerId}`,
      'k-crashed',
      BASE,
      body,
      d.clock.nowMs() - 1,
    );
    const res = await d.app.request(BASE, jsonPost(body, order.cookie, 'k-crashed'));
    expect(res.status).toBe(201);
    expect(res.headers.get(REPLAYED)).toBeNull();
    expect(await requestsOn(order)).toBe(1);
    expect(await keyRow(order, 'k-crashed')).toMatchObject({ state: 'done', responseStatus: 201 });
  });

  it('a finished key is forgotten after the retention (a day): the key may be used again', async () => {
    const d = desk();
    const order = await seedCustomerWithOrder(d.deps);
    const first = await d.app.request(BASE, jsonPost(requestBody(order), order.cookie, 'k-old'));
    expect(first.status).toBe(201);
    d.clock.advance(DAY_MS);
    const other = await seedCustomerWithOrder(d.deps, { customerId: order.customerId });
    const res = await d.app.request(BASE, jsonPost(requestBody(other), order.cookie, 'k-old'));
    expect(res.status).toBe(201);
    expect(res.headers.get(REPLAYED)).toBeNull();
    expect(await requestsOn(other)).toBe(1);
  });

  it('a server error is not stored: the key is released and a retry does the work', async () => {
    const d = desk();
    const order = await seedOrderWithServiceReport(d.deps);
    const app = requestsAppWith(d.deps, {});
    const files = [{ name: 'fail-transaction.log', bytes: 'boom\n' }];
    const undo = await refuseEvidenceRowsNamed(store(), 'fail-transaction.log');
    let failed: Response;
    try {
      failed = await app.request(
        BASE,
        multipartPost(requestBody(order), files, order.cookie, 'k-5xx'),
      );
    } finally {
      await undo();
    }
    expect(failed.status).toBe(500);
    expect(await keyRow(order, 'k-5xx')).toBeUndefined();
    expect(await evidenceOn(order)).toEqual({ rows: 0, contentBytes: 0 });
    expect(listDir(d.deps.evidenceDir)).toEqual([]);
    // A new FormData (a new boundary) with the same content is the same request.
    const retry = await app.request(
      BASE,
      multipartPost(requestBody(order), files, order.cookie, 'k-5xx'),
    );
    expect(retry.status).toBe(201);
    const replay = await app.request(
      BASE,
      multipartPost(requestBody(order), files, order.cookie, 'k-5xx'),
    );
    expect(replay.status).toBe(201);
    expect(replay.headers.get(REPLAYED)).toBe('true');
    expect(await replay.text()).toBe(await retry.text());
    expect(await requestsOn(order)).toBe(1);
    expect(await evidenceOn(order)).toEqual({ rows: 1, contentBytes: 'boom\n'.length });
    expect(listDir(d.deps.evidenceDir)).toEqual([]);
  });

  it('client errors are stored and replayed like any answer', async () => {
    const d = desk();
    const order = await seedCustomerWithOrder(d.deps);
    const body = requestBody(order, { paymentMethod: 'paypal' });
    const first = await d.app.request(BASE, jsonPost(body, order.cookie, 'k-422'));
    expect(first.status).toBe(422);
    const again = await d.app.request(BASE, jsonPost(body, order.cookie, 'k-422'));
    expect(again.status).toBe(422);
    expect(again.headers.get('content-type')).toBe('application/problem+json');
    expect(again.headers.get(REPLAYED)).toBe('true');
    expect(await again.text()).toBe(await first.text());
  });

  it('keys are scoped to the caller: two customers may use the same key', async () => {
    const d = desk();
    const alice = await seedOrderWithServiceReport(d.deps);
    const bob = await seedOrderWithServiceReport(d.deps);
    const a = await d.app.request(BASE, jsonPost(requestBody(alice), alice.cookie, 'shared-key'));
    const b = await d.app.request(BASE, jsonPost(requestBody(bob), bob.cookie, 'shared-key'));
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.headers.get(REPLAYED)).toBeNull();
    const [ja, jb] = (await Promise.all([a.json(), b.json()])) as Array<{
      request: { id: string };
    }>;
    expect(ja?.request.id).not.toBe(jb?.request.id);
    expect(await requestsOn(alice)).toBe(1);
    expect(await requestsOn(bob)).toBe(1);
  });

  it('other POSTs are idempotent too: a replayed withdrawal answers as the first did', async () => {
    const d = desk();
    const order = await seedOrderWithServiceReport(d.deps);
    const created = await d.app.request(BASE, jsonPost(requestBody(order), order.cookie));
    const { request } = (await created.json()) as { request: { id: string } };
    const path = `${BASE}/${request.id}/withdraw`;
    const first = await d.app.request(path, jsonPost({}, order.cookie, 'w-1'));
    const again = await d.app.request(path, jsonPost({}, order.cookie, 'w-1'));
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.headers.get(REPLAYED)).toBe('true');
    const unkeyed = await d.app.request(path, jsonPost({}, order.cookie));
    expect(unkeyed.status).toBe(409);
  });

  describe('the header itself', () => {
    it('refuses keys that are empty, too long or not visible ASCII', async () => {
      const d = desk();
      const order = await seedCustomerWithOrder(d.deps);
      for (const key of ['', 'x'.repeat(256), 'two words', 'tab\there']) {
        const res = await d.app.request(BASE, jsonPost(requestBody(order), order.cookie, key));
        expect(res.status, JSON.stringify(key)).toBe(400);
        expect(await res.json()).toMatchObject({ code: 'invalid_idempotency_key' });
      }
      const longest = await d.app.request(
        BASE,
        jsonPost(requestBody(order), order.cookie, '~'.repeat(255)),
      );
      expect(longest.status).toBe(201);
      expect(await requestsOn(order)).toBe(1);
    });

    it('is ignored for anonymous callers (nothing to scope it to)', async () => {
      const d = desk();
      const order = await seedCustomerWithOrder(d.deps);
      const res = await d.app.request(BASE, jsonPost(requestBody(order), undefined, 'anon-key'));
      expect(res.status).toBe(401);
      const rows = await store()
        .db.selectFrom('idempotencyKeys')
        .select('scope')
        .where('key', '=', 'anon-key')
        .execute();
      expect(rows).toEqual([]);
    });
  });
});
