/**
 * The billing-fact routes over real HTTP in-process, on both engines: every endpoint creates
 * (201) and replaces (200) with audit entries, names bad fields (400), missing references
 * (422), and answers each kind of caller as it should (401, 403, 404).
 */
import { afterEach, expect, it } from 'vitest';
import { verifyAudit } from '../../src/app/audit.js';
import { describeEachEngine } from '../support/stores.js';
import {
  as,
  customerSessionCookie,
  deskOver,
  staffSessionCookie,
  type TestDesk,
} from '../support/people.js';
import {
  apiKeyWithScopes,
  auditEntriesOf,
  chargebackInput,
  customerInput,
  incidentInput,
  mustWrite,
  orderInput,
  planInput,
  refundInput,
  reportInput,
  seedCustomerAndPlan,
  seedOrder,
  uniqueId,
  usageInput,
} from '../support/facts.js';

interface Auth {
  readonly cookie?: string;
  readonly bearer?: string;
}

function send(method: string, body: unknown, auth: Auth = {}): RequestInit {
  return {
    method,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...as(auth).headers },
  };
}

/** The path's id travels in the URL; the body need not repeat it. */
function withoutKey(input: Record<string, unknown>, key: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([k]) => k !== key));
}

async function problemOf(
  res: Response,
): Promise<{ code: string; errors?: Array<{ pointer: string; detail: string }> }> {
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  return (await res.json()) as {
    code: string;
    errors?: Array<{ pointer: string; detail: string }>;
  };
}

describeEachEngine('billing facts over HTTP', (store) => {
  const desks: TestDesk[] = [];
  afterEach(() => {
    for (const d of desks.splice(0)) d.dispose();
  });
  function desk(): TestDesk {
    const d = deskOver(store());
    desks.push(d);
    return d;
  }

  it('creates (201) and replaces (200) each kind of fact with a facts:write key, audited', async () => {
    const d = desk();
    const writer = { bearer: await apiKeyWithScopes(d.deps, ['facts:write']) };
    const customer = customerInput();
    const plan = planInput();
    const customerId = customer['id'] as string;
    const order = orderInput(customerId, plan['id'] as string);
    const orderId = order['id'] as string;
    const incident = incidentInput();
    const steps: Array<{
      method: string;
      path: string;
      body: Record<string, unknown>;
      change: Record<string, unknown>;
      entity: readonly [string, string];
    }> = [
      {
        method: 'PUT',
        path: `/v1/customers/${customerId}`,
        body: withoutKey(customer, 'id'),
        change: { name: 'Grace' },
        entity: ['customer', customerId],
      },
      {
        method: 'PUT',
        path: `/v1/plans/${plan['id'] as string}`,
        body: plan,
        change: { name: 'ISP 31' },
        entity: ['plan', plan['id'] as string],
      },
      {
        method: 'PUT',
        path: `/v1/orders/${orderId}`,
        body: withoutKey(order, 'id'),
        change: { promoCreditsMinor: 500 },
        entity: ['order', orderId],
      },
      {
        method: 'POST',
        path: `/v1/orders/${orderId}/usage`,
        body: withoutKey(usageInput(orderId), 'orderId'),
        change: { trafficBytes: 2_000_000 },
        entity: ['usage_reading', `${orderId}@2026-03-03T09:00:00.000Z`],
      },
      ...(
        [
          ['reports', reportInput(orderId), { cause: 'undetermined' }, 'report'],
          ['incidents', incident, { widelyImpacting: false }, 'incident'],
          ['chargebacks', chargebackInput(orderId), { status: 'lost' }, 'chargeback'],
          [
            'refunds',
            refundInput(orderId, { incidentId: incident['id'] }),
            { amountMinor: 2_000 },
            'refund',
          ],
        ] as const
      ).map(([collection, body, change, kind]) => ({
        method: 'PUT',
        path: `/v1/${collection}/${body['id'] as string}`,
        body: withoutKey(body, 'id'),
        change,
        entity: [kind, body['id'] as string] as const,
      })),
      {
        method: 'PATCH',
        path: `/v1/customers/${customerId}/flags`,
        body: { stressTesting: true },
        change: { tosBreach: true },
        entity: ['customer', customerId],
      },
    ];
    for (const step of steps) {
      const first = await d.app.request(step.path, send(step.method, step.body, writer));
      const expectedFirst = step.method === 'PATCH' ? 200 : 201;
      expect(first.status, `${step.method} ${step.path}`).toBe(expectedFirst);
      expect(first.headers.get('cache-control')).toBe('no-store');
      const second = await d.app.request(
        step.path,
        send(step.method, { ...step.body, ...step.change }, writer),
      );
      expect(second.status, `${step.method} ${step.path} again`).toBe(200);
      expect(await second.json()).toMatchObject(step.change);
      const entries = await auditEntriesOf(d.deps, ...step.entity);
      const last = entries.at(-1);
      expect(last?.actorKind, step.path).toBe('api_key');
      expect(last?.after, step.path).toMatchObject(step.change);
      expect(last?.before, step.path).not.toMatchObject(step.change);
    }
    const read = await d.app.request(
      `/v1/orders/${orderId}`,
      as({ cookie: await staffSessionCookie(d.deps, 'agent') }),
    );
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({
      order: { id: orderId, product: 'static_isp', promoCreditsMinor: 500 },
      plan: { id: plan['id'] },
      refundedMinor: 2_000,
      usage: [{ trafficBytes: 2_000_000 }],
      reports: [{ cause: 'undetermined' }],
      chargebacks: [{ status: 'lost' }],
      refunds: [{ amountMinor: 2_000, incidentId: incident['id'] }],
      compensations: [{ incidentId: incident['id'], kind: 'refund' }],
    });
    expect(await verifyAudit(d.deps.store.db)).toMatchObject({ ok: true });
  });

  it('a staff admin may write facts; other staff may only read them', async () => {
    const d = desk();
    const admin = { cookie: await staffSessionCookie(d.deps, 'admin') };
    const approver = { cookie: await staffSessionCookie(d.deps, 'approver') };
    const customer = customerInput();
    const path = `/v1/customers/${customer['id'] as string}`;
    expect((await d.app.request(path, send('PUT', customer, approver))).status).toBe(403);
    expect((await d.app.request(path, send('PUT', customer, admin))).status).toBe(201);
    const read = await d.app.request(path, as(approver));
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual({
      id: customer['id'],
      email: customer['email'],
      name: 'Ada Customer',
      kycStatus: 'not_required',
      tosBreach: false,
      stressTesting: false,
    });
    const entries = await auditEntriesOf(d.deps, 'customer', customer['id'] as string);
    expect(entries.map((e) => [e.action, e.actorKind])).toEqual([['customer.created', 'staff']]);
  });

  it('400 names every invalid field by JSON pointer, and nothing is written', async () => {
    const d = desk();
    const writer = { bearer: await apiKeyWithScopes(d.deps, ['facts:write']) };
    const { customerId, planId } = await seedCustomerAndPlan(d.deps);
    const res = await d.app.request(
      '/v1/orders/ord_bad',
      send(
        'PUT',
        orderInput(customerId, planId, {
          id: undefined,
          amountMinor: -1,
          currency: 'dollars',
          purchasedAt: 'yesterday',
          paymentMethod: 'cash',
          colour: 'red',
        }),
        writer,
      ),
    );
    expect(res.status).toBe(400);
    const body = await problemOf(res);
    expect(body.code).toBe('invalid_request');
    expect(body.errors?.map((e) => e.pointer).sort()).toEqual(
      ['/amountMinor', '/colour', '/currency', '/paymentMethod', '/purchasedAt'].sort(),
    );
    const missing = await d.app.request(
      '/v1/orders/ord_bad',
      as({ cookie: await staffSessionCookie(d.deps, 'agent') }),
    );
    expect(missing.status).toBe(404);
  });

  it('refuses a card number as the charge reference, naming /chargeRef', async () => {
    const d = desk();
    const writer = { bearer: await apiKeyWithScopes(d.deps, ['facts:write']) };
    const { customerId, planId } = await seedCustomerAndPlan(d.deps);
    for (const chargeRef of ['4242424242424242', '4242 4242 4242 4242', 'ch_4242-4242-4242-4242']) {
      const res = await d.app.request(
        `/v1/orders/${uniqueId('ord')}`,
        send('PUT', withoutKey(orderInput(customerId, planId, { chargeRef }), 'id'), writer),
      );
      expect(res.status, chargeRef).toBe(400);
      const body = await problemOf(res);
      expect(body.errors).toEqual([
        { pointer: '/chargeRef', detail: expect.stringContaining('card number') as string },
      ]);
    }
  });

  it('400 when the body names another id than the path, or is not JSON; 415, 413', async () => {
    const d = desk();
    const writer = { bearer: await apiKeyWithScopes(d.deps, ['facts:write']) };
    const other = await d.app.request(
      '/v1/customers/cus_a',
      send('PUT', customerInput({ id: 'cus_b' }), writer),
    );
    expect(other.status).toBe(400);
    expect((await problemOf(other)).errors).toEqual([
      { pointer: '/id', detail: 'must equal the id in the path (cus_a) or be left out' },
    ]);
    const notJson = await d.app.request('/v1/customers/cus_a', send('PUT', '{"id":', writer));
    expect(notJson.status).toBe(400);
    expect((await problemOf(notJson)).code).toBe('invalid_json');
    const text = await d.app.request('/v1/customers/cus_a', {
      method: 'PUT',
      body: '{}',
      headers: { 'content-type': 'text/plain', ...as(writer).headers },
    });
    expect(text.status).toBe(415);
    const huge = await d.app.request(
      '/v1/customers/cus_a',
      send('PUT', customerInput({ name: 'x'.repeat(70_000) }), writer),
    );
    expect(huge.status).toBe(413);
    const badId = await d.app.request(
      '/v1/customers/has%20space',
      send('PUT', customerInput({ id: undefined }), writer),
    );
    expect(badId.status).toBe(400);
    expect((await problemOf(badId)).errors?.[0]?.pointer).toBe('/id');
  });

  it('422 names each reference that is not stored; 404 for the order or customer in the path', async () => {
    const d = desk();
    const writer = { bearer: await apiKeyWithScopes(d.deps, ['facts:write']) };
    const order = await d.app.request(
      '/v1/orders/ord_orphan',
      send('PUT', withoutKey(orderInput('cus_nobody', 'plan_nothing'), 'id'), writer),
    );
    expect(order.status).toBe(422);
    expect(await problemOf(order)).toMatchObject({
      code: 'unknown_reference',
      errors: [
        { pointer: '/customerId', detail: 'no customer cus_nobody is stored' },
        { pointer: '/planId', detail: 'no plan plan_nothing is stored' },
      ],
    });
    const refund = await d.app.request(
      '/v1/refunds/ref_orphan',
      send('PUT', withoutKey(refundInput('ord_nothing'), 'id'), writer),
    );
    expect(refund.status).toBe(422);
    expect((await problemOf(refund)).errors).toEqual([
      { pointer: '/orderId', detail: 'no order ord_nothing is stored' },
    ]);
    const usage = await d.app.request(
      '/v1/orders/ord_nothing/usage',
      send('POST', withoutKey(usageInput('x'), 'orderId'), writer),
    );
    expect(usage.status).toBe(404);
    const flags = await d.app.request(
      '/v1/customers/cus_nobody/flags',
      send('PATCH', { tosBreach: true }, writer),
    );
    expect(flags.status).toBe(404);
  });

  it('422 inconsistent_facts when a refund would exceed the order amount', async () => {
    const d = desk();
    const writer = { bearer: await apiKeyWithScopes(d.deps, ['facts:write']) };
    const { orderId } = await seedOrder(d.deps);
    const res = await d.app.request(
      `/v1/refunds/${uniqueId('ref')}`,
      send('PUT', withoutKey(refundInput(orderId, { amountMinor: 8_801 }), 'id'), writer),
    );
    expect(res.status).toBe(422);
    expect(await problemOf(res)).toMatchObject({
      code: 'inconsistent_facts',
      errors: [{ pointer: '/amountMinor' }],
    });
  });

  const ENDPOINTS: ReadonlyArray<readonly [string, string]> = [
    ['PUT', '/v1/customers/cus_x'],
    ['GET', '/v1/customers/cus_x'],
    ['PATCH', '/v1/customers/cus_x/flags'],
    ['PUT', '/v1/plans/plan_x'],
    ['PUT', '/v1/orders/ord_x'],
    ['GET', '/v1/orders/ord_x'],
    ['POST', '/v1/orders/ord_x/usage'],
    ['PUT', '/v1/reports/rep_x'],
    ['PUT', '/v1/incidents/inc_x'],
    ['PUT', '/v1/chargebacks/cb_x'],
    ['PUT', '/v1/refunds/ref_x'],
  ];

  function call(
    d: TestDesk,
    method: string,
    path: string,
    auth: Auth,
  ): Promise<Response> | Response {
    return method === 'GET'
      ? d.app.request(path, as(auth))
      : d.app.request(path, send(method, {}, auth));
  }

  it('anonymous callers get 401 on every endpoint', async () => {
    const d = desk();
    for (const [method, path] of ENDPOINTS) {
      const res = await call(d, method, path, {});
      expect(res.status, `${method} ${path}`).toBe(401);
      expect((await problemOf(res)).code).toBe('unauthorized');
    }
  });

  it('API keys without the scope get 403: facts:read cannot write, facts:write cannot read', async () => {
    const d = desk();
    const reader = { bearer: await apiKeyWithScopes(d.deps, ['facts:read']) };
    const writer = { bearer: await apiKeyWithScopes(d.deps, ['facts:write']) };
    const unrelated = { bearer: await apiKeyWithScopes(d.deps, ['requests:read']) };
    for (const [method, path] of ENDPOINTS) {
      const wrong = method === 'GET' ? writer : reader;
      expect((await call(d, method, path, wrong)).status, `${method} ${path}`).toBe(403);
      expect((await call(d, method, path, unrelated)).status, `${method} ${path}`).toBe(403);
    }
    const { orderId, customerId } = await seedOrder(d.deps);
    expect((await d.app.request(`/v1/orders/${orderId}`, as(reader))).status).toBe(200);
    expect((await d.app.request(`/v1/customers/${customerId}`, as(reader))).status).toBe(200);
    expect((await d.app.request('/v1/orders/ord_none', as(reader))).status).toBe(404);
  });

  it('customers get 403 on every write, 404 on what is not theirs, 403 on their own records', async () => {
    const d = desk();
    const mine = await seedOrder(d.deps);
    const theirs = await seedOrder(d.deps);
    const customer = { cookie: await customerSessionCookie(d.deps, mine.customerId) };
    for (const [method, path] of ENDPOINTS.filter(([m]) => m !== 'GET')) {
      const own = path.replace('cus_x', mine.customerId).replace('ord_x', mine.orderId);
      const res = await call(d, method, own, customer);
      expect(res.status, `${method} ${own}`).toBe(403);
    }
    const reads: Array<[string, number]> = [
      [`/v1/orders/${theirs.orderId}`, 404],
      [`/v1/customers/${theirs.customerId}`, 404],
      ['/v1/orders/ord_none', 404],
      ['/v1/customers/cus_none', 404],
      [`/v1/orders/${mine.orderId}`, 403],
      [`/v1/customers/${mine.customerId}`, 403],
    ];
    for (const [path, status] of reads) {
      const res = await d.app.request(path, as(customer));
      expect(res.status, path).toBe(status);
      const body = await problemOf(res);
      if (status === 404) {
        // The same answer as for an id that does not exist: nothing about the owner.
        const [, collection = '', id = ''] = path.split('/').slice(1);
        const what = collection === 'orders' ? 'order' : 'customer';
        expect(body).toMatchObject({ code: 'not_found', detail: `No ${what} ${id}.` });
        expect(JSON.stringify(body)).not.toContain(
          collection === 'orders' ? theirs.customerId : 'Ada',
        );
      }
    }
  });

  it('answers other methods with 405 and Allow', async () => {
    const d = desk();
    const res = await d.app.request('/v1/orders/ord_x', { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD, PUT');
    const usage = await d.app.request('/v1/orders/ord_x/usage', { method: 'GET' });
    expect(usage.status).toBe(405);
    expect(usage.headers.get('allow')).toBe('POST');
  });

  it('a replaced order keeps the facts hanging off it', async () => {
    const d = desk();
    const writer = { bearer: await apiKeyWithScopes(d.deps, ['facts:write']) };
    const { customerId, planId, orderId } = await seedOrder(d.deps);
    await mustWrite(d.deps, 'report', reportInput(orderId));
    const res = await d.app.request(
      `/v1/orders/${orderId}`,
      send('PUT', withoutKey(orderInput(customerId, planId, { amountMinor: 9_900 }), 'id'), writer),
    );
    expect(res.status).toBe(200);
    const read = await d.app.request(
      `/v1/orders/${orderId}`,
      as({ cookie: await staffSessionCookie(d.deps, 'agent') }),
    );
    expect(await read.json()).toMatchObject({
      order: { amountMinor: 9_900 },
      reports: [{ orderId }],
    });
  });
});
