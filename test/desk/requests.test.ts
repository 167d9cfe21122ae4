/**
 * Refund-request intake over HTTP, on SQLite and PostgreSQL: each outcome's state, the stored
 * decision reproducible from its facts snapshot, ownership (another customer gets 404 on every
 * route), validation naming fields, listing, the decision with its explanation, withdrawal and
 * the audit trail.
 */
import { describe, expect, it } from 'vitest';
import { verifyAudit } from '../../src/app/audit.js';
import { createApiKey } from '../../src/app/auth/api-keys.js';
import { SYSTEM_ORIGIN } from '../../src/app/context.js';
import { decideCase } from '../../src/app/decide.js';
import { shippedVersions } from '../../src/policies/load.js';
import {
  asCookie,
  useFreshDesks,
  jsonPost,
  multipartPost,
  requestBody,
  seedCustomerWithOrder,
  seedOrderWithLocalIncident,
  seedOrderWithServiceReport,
  seedOrderWithUndeterminedReport,
  seedOrderWithWideIncident,
  type SeededOrder,
} from '../support/intake.js';
import { customerSessionCookie, staffSessionCookie, type TestDesk } from '../support/people.js';
import { describeEachEngine, type TestStore } from '../support/stores.js';

interface RequestJson {
  id: string;
  orderId: string;
  customerId: string;
  state: string;
  submittedAt: string;
  policyId: string;
  policyVersion: number;
  networkContext: { egressCidrs: string[] };
  contact: { email: string | null; im: string | null };
}
interface DecisionJson {
  outcome: string;
  refundCents: number;
  reasons: Array<{ code: string }>;
  policyVersion: string;
}
interface Created {
  request: RequestJson;
  decision: DecisionJson;
  evidence: unknown[];
}

const BASE = '/v1/refund-requests';

describeEachEngine('refund-request intake', (store: () => TestStore) => {
  const { desk } = useFreshDesks(store);

  async function file(d: TestDesk, order: SeededOrder, overrides = {}): Promise<Created> {
    const res = await d.app.request(BASE, jsonPost(requestBody(order, overrides), order.cookie));
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as Created;
  }

  describe('each outcome opens the request in its state', () => {
    const cases = [
      // An approval starts its payout in the same transaction: the request answers in the state
      // it is in now (the state log holds approved, then payout_pending).
      ['payout_pending', 'full_refund', seedOrderWithWideIncident],
      ['prorata_offered', 'prorata', seedOrderWithLocalIncident],
      ['pending_remediation', 'pending', seedOrderWithServiceReport],
      ['in_review', 'manual_review', seedOrderWithUndeterminedReport],
      ['denied', 'denied', seedCustomerWithOrder],
    ] as const;
    for (const [state, outcome, seed] of cases) {
      it(`${outcome} → ${state}, decision stored with its exact facts and version`, async () => {
        const d = desk();
        const order = await seed(d.deps);
        const res = await d.app.request(BASE, jsonPost(requestBody(order), order.cookie));
        expect(res.status).toBe(201);
        const created = (await res.json()) as Created;
        expect(res.headers.get('location')).toBe(`${BASE}/${created.request.id}`);
        expect(created.request).toMatchObject({
          orderId: order.orderId,
          customerId: order.customerId,
          state,
          submittedAt: new Date(d.clock.nowMs()).toISOString(),
          policyId: 'okkproxy',
          policyVersion: 1,
        });
        expect(created.decision.outcome).toBe(outcome);

        const { db } = store();
        const row = await db
          .selectFrom('decisions')
          .selectAll()
          .where('requestId', '=', created.request.id)
          .executeTakeFirstOrThrow();
        expect(row).toMatchObject({
          seq: 1,
          source: 'engine',
          outcome,
          policyVersion: 'okkproxy@1',
        });
        expect(row.decisionJson).toBe(JSON.stringify(created.decision));
        // Reproducible: the stored facts decide to the stored bytes, under the stored version.
        const again = decideCase(JSON.parse(row.factsJson), { versions: shippedVersions() });
        expect(again.ok).toBe(true);
        if (again.ok) expect(JSON.stringify(again.value.decision)).toBe(row.decisionJson);
        const facts = JSON.parse(row.factsJson) as { evaluatedAt: string; request: object };
        expect(facts.evaluatedAt).toBe(created.request.submittedAt);
        expect(facts.request).toEqual({
          submittedAt: created.request.submittedAt,
          legallyRequired: false,
        });
      });
    }
  });

  it('reports the amounts the engine computed (full refund, pro-rata)', async () => {
    // Two desks: an incident is a global fact, so each needs its own time slot.
    const d = desk();
    const full = await file(d, await seedOrderWithWideIncident(d.deps));
    expect(full.decision).toMatchObject({ outcome: 'full_refund', refundCents: 6_000 });
    const e = desk();
    const prorata = await file(e, await seedOrderWithLocalIncident(e.deps));
    // One day of a 30-day period: floor(6000 / 30).
    expect(prorata.decision).toMatchObject({ outcome: 'prorata', refundCents: 200 });
  });

  it('stores the request as sent, audits it and its decision in one chain', async () => {
    const d = desk();
    const order = await seedOrderWithServiceReport(d.deps);
    const created = await file(d, order);
    const got = await d.app.request(`${BASE}/${created.request.id}`, asCookie(order.cookie));
    expect(got.status).toBe(200);
    expect(await got.json()).toEqual(created.request);
    expect(created.request.networkContext.egressCidrs).toEqual(['203.0.113.0/24', '2001:db8::/32']);
    expect(created.request.contact).toEqual({ email: 'ada@example.com', im: 'telegram:@ada' });

    const audit = await store()
      .db.selectFrom('auditLog')
      .select(['action', 'actorKind', 'actorId', 'entityId'])
      .where('entityId', 'in', [created.request.id])
      .execute();
    expect(audit).toEqual([
      {
        action: 'refund_request.submitted',
        actorKind: 'customer',
        actorId: order.customerId,
        entityId: created.request.id,
      },
    ]);
    const decisionAudit = await store()
      .db.selectFrom('auditLog')
      .select(['action', 'afterJson'])
      .where('action', '=', 'decision.recorded')
      .where('afterJson', 'like', `%${created.request.id}%`)
      .execute();
    expect(decisionAudit).toHaveLength(1);
    expect(await verifyAudit(store().db)).toMatchObject({ ok: true });
  });

  describe('refusals', () => {
    it('payment method other than the order’s: 422 naming /paymentMethod, nothing stored', async () => {
      const d = desk();
      const order = await seedCustomerWithOrder(d.deps);
      const res = await d.app.request(
        BASE,
        jsonPost(requestBody(order, { paymentMethod: 'paypal' }), order.cookie),
      );
      expect(res.status).toBe(422);
      expect(await res.json()).toMatchObject({
        code: 'payment_method_mismatch',
        errors: [{ pointer: '/paymentMethod', detail: expect.stringContaining('card') }],
      });
      const rows = await store()
        .db.selectFrom('refundRequests')
        .select('id')
        .where('orderId', '=', order.orderId)
        .execute();
      expect(rows).toEqual([]);
    });

    it("another customer's order, or no such order: the same 404", async () => {
      const d = desk();
      const mine = await seedCustomerWithOrder(d.deps);
      const theirs = await seedCustomerWithOrder(d.deps);
      const foreign = await d.app.request(BASE, jsonPost(requestBody(theirs), mine.cookie));
      const missing = await d.app.request(
        BASE,
        jsonPost(requestBody({ ...theirs, orderId: 'ord_nope' }), mine.cookie),
      );
      expect(foreign.status).toBe(404);
      expect(missing.status).toBe(404);
      const [a, b] = [(await foreign.json()) as object, (await missing.json()) as object];
      expect(a).toEqual(b);
    });

    it('a second request while one is open on the order: 409; after withdrawing: accepted', async () => {
      const d = desk();
      const order = await seedOrderWithServiceReport(d.deps);
      const first = await file(d, order);
      const again = await d.app.request(BASE, jsonPost(requestBody(order), order.cookie));
      expect(again.status).toBe(409);
      expect(await again.json()).toMatchObject({
        code: 'request_already_open',
        detail: expect.stringContaining(first.request.id),
      });
      const withdrawn = await d.app.request(
        `${BASE}/${first.request.id}/withdraw`,
        jsonPost({}, order.cookie),
      );
      expect(withdrawn.status).toBe(200);
      const third = await d.app.request(BASE, jsonPost(requestBody(order), order.cookie));
      expect(third.status).toBe(201);
    });

    it('names each bad field by JSON pointer', async () => {
      const d = desk();
      const order = await seedCustomerWithOrder(d.deps);
      const res = await d.app.request(
        BASE,
        jsonPost(
          requestBody(order, {
            description: '   ',
            networkContext: {
              targetSites: ['exa mple.com', 'ftp://example.com'],
              timestamps: ['2026-03-03 10:15:00', '2026-03-03T10:15:00Z'],
              egressCidrs: [
                '10.0.0.0/8',
                '2001:db8::/129',
                '10.0.0.1/8',
                '300.1.1.0/24',
                '10.0.0.0',
              ],
              clientConfig: 'x',
            },
            contact: { email: 'not-an-email' },
          }),
          order.cookie,
        ),
      );
      expect(res.status).toBe(400);
      const body = (await res.json()) as { code: string; errors: Array<{ pointer: string }> };
      expect(body.code).toBe('invalid_request');
      expect(body.errors.map((e) => e.pointer).sort()).toEqual(
        [
          '/description',
          '/networkContext/targetSites/0',
          '/networkContext/targetSites/1',
          '/networkContext/timestamps/0',
          '/networkContext/egressCidrs/1',
          '/networkContext/egressCidrs/2',
          '/networkContext/egressCidrs/3',
          '/networkContext/egressCidrs/4',
          '/contact/email',
        ].sort(),
      );
    });

    it('schema limits: lengths, counts, unknown fields, a contact', async () => {
      const d = desk();
      const order = await seedCustomerWithOrder(d.deps);
      const res = await d.app.request(
        BASE,
        jsonPost(
          requestBody(order, {
            description: 'x'.repeat(5_001),
            networkContext: {
              targetSites: Array.from({ length: 51 }, () => 'example.com'),
              clientConfig: 'x'.repeat(20_001),
            },
            contact: {},
            extra: true,
          }),
          order.cookie,
        ),
      );
      expect(res.status).toBe(400);
      const body = (await res.json()) as { errors: Array<{ pointer: string }> };
      expect(body.errors.map((e) => e.pointer).sort()).toEqual(
        [
          '/description',
          '/extra',
          '/networkContext/clientConfig',
          '/networkContext/targetSites',
        ].sort(),
      );
      const noContact = await d.app.request(
        BASE,
        jsonPost(requestBody(order, { contact: {} }), order.cookie),
      );
      expect(await noContact.json()).toMatchObject({ errors: [{ pointer: '/contact' }] });
    });

    it('malformed JSON, another media type, anonymous and staff callers', async () => {
      const d = desk();
      const order = await seedCustomerWithOrder(d.deps);
      const bad = await d.app.request(BASE, jsonPost('{"orderId":', order.cookie));
      expect(await bad.json()).toMatchObject({ code: 'invalid_json' });
      const text = await d.app.request(BASE, {
        method: 'POST',
        body: 'hello',
        headers: { 'content-type': 'text/plain', cookie: order.cookie },
      });
      expect(text.status).toBe(415);
      const anonymous = await d.app.request(BASE, jsonPost(requestBody(order)));
      expect(anonymous.status).toBe(401);
      const staff = await staffSessionCookie(d.deps, 'admin');
      const asStaff = await d.app.request(BASE, jsonPost(requestBody(order), staff));
      expect(asStaff.status).toBe(403);
    });

    it('a JSON body over the limit: 413 before parsing', async () => {
      const d = desk();
      const order = await seedCustomerWithOrder(d.deps);
      const res = await d.app.request(
        BASE,
        jsonPost(requestBody(order, { description: 'x'.repeat(600 * 1024) }), order.cookie),
      );
      expect(res.status).toBe(413);
    });

    it('a cross-site POST (foreign Origin) is refused', async () => {
      const d = desk();
      const order = await seedCustomerWithOrder(d.deps);
      const init = jsonPost(requestBody(order), order.cookie);
      const res = await d.app.request(BASE, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), origin: 'https://evil.example' },
      });
      expect(res.status).toBe(403);
      const same = await d.app.request(BASE, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), origin: 'http://127.0.0.1:3000' },
      });
      expect(same.status).toBe(201);
    });
  });

  it('another customer gets 404 on every route, exactly as for a missing request', async () => {
    const d = desk();
    const owner = await seedOrderWithServiceReport(d.deps);
    const created = await d.app.request(
      BASE,
      multipartPost(requestBody(owner), [{ name: 'gw.log', bytes: 'timeout\n' }], owner.cookie),
    );
    expect(created.status).toBe(201);
    const { request, evidence } = (await created.json()) as {
      request: RequestJson;
      evidence: Array<{ id: string }>;
    };
    const evidenceId = evidence[0]?.id ?? '';
    const stranger = await seedCustomerWithOrder(d.deps);
    const routes: Array<[string, string, () => RequestInit]> = [
      ['GET', `${BASE}/${request.id}`, () => asCookie(stranger.cookie)],
      ['GET', `${BASE}/${request.id}/decision`, () => asCookie(stranger.cookie)],
      ['GET', `${BASE}/${request.id}/evidence`, () => asCookie(stranger.cookie)],
      ['GET', `${BASE}/${request.id}/evidence/${evidenceId}`, () => asCookie(stranger.cookie)],
      [
        'POST',
        `${BASE}/${request.id}/evidence`,
        () => multipartPost(undefined, [{ name: 'x.log', bytes: 'x\n' }], stranger.cookie),
      ],
      ['POST', `${BASE}/${request.id}/withdraw`, () => jsonPost({}, stranger.cookie)],
    ];
    for (const [method, path, init] of routes) {
      const res = await d.app.request(path, init());
      expect(res.status, `${method} ${path}`).toBe(404);
      const body = (await res.json()) as { code: string; detail: string };
      expect(body.code).toBe('not_found');
      const missing = await d.app.request(path.replace(request.id, 'rr_missing'), init());
      expect(missing.status, `${method} ${path} (missing)`).toBe(404);
      expect(((await missing.json()) as { detail: string }).detail).toBe(body.detail);
    }
    // The list shows the stranger nothing of the owner's.
    const list = await d.app.request(BASE, asCookie(stranger.cookie));
    expect(await list.json()).toEqual({ items: [], nextCursor: null });
    // Nothing changed for the owner.
    const mine = await d.app.request(`${BASE}/${request.id}`, asCookie(owner.cookie));
    expect(await mine.json()).toMatchObject({ state: 'pending_remediation' });
    const files = await d.app.request(`${BASE}/${request.id}/evidence`, asCookie(owner.cookie));
    expect(((await files.json()) as { items: unknown[] }).items).toHaveLength(1);
  });

  it('anonymous callers get 401 on the read routes; API keys need requests:read', async () => {
    const d = desk();
    const res = await d.app.request(BASE);
    expect(res.status).toBe(401);
    const one = await d.app.request(`${BASE}/rr_x/decision`);
    expect(one.status).toBe(401);
    const created = await file(d, await seedCustomerWithOrder(d.deps));
    const reader = await createApiKey(d.deps, SYSTEM_ORIGIN, {
      name: 'console',
      scopes: ['requests:read'],
    });
    const other = await createApiKey(d.deps, SYSTEM_ORIGIN, {
      name: 'billing',
      scopes: ['facts:write'],
    });
    const path = `${BASE}/${created.request.id}`;
    const allowed = await d.app.request(path, {
      headers: { authorization: `Bearer ${reader.key}` },
    });
    expect(allowed.status).toBe(200);
    const refused = await d.app.request(path, {
      headers: { authorization: `Bearer ${other.key}` },
    });
    expect(refused.status).toBe(403);
    // An API key cannot file a request (customers only).
    const post = await d.app.request(BASE, {
      ...jsonPost(requestBody({ orderId: 'x', paymentMethod: 'card' })),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${reader.key}` },
    });
    expect(post.status).toBe(403);
  });

  it('other methods on these paths: 405 naming the allowed ones', async () => {
    const d = desk();
    const order = await seedCustomerWithOrder(d.deps);
    for (const [method, path, allow] of [
      ['PUT', BASE, 'GET, HEAD, POST'],
      ['DELETE', `${BASE}/rr_x`, 'GET, HEAD'],
      ['POST', `${BASE}/rr_x/decision`, 'GET, HEAD'],
      ['GET', `${BASE}/rr_x/withdraw`, 'POST'],
      ['DELETE', `${BASE}/rr_x/evidence/ev_x`, 'GET, HEAD'],
    ] as const) {
      const res = await d.app.request(path, { method, headers: { cookie: order.cookie } });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get('allow')).toBe(allow);
    }
  });

  describe('listing', () => {
    it('a customer sees their own, newest first, a page at a time', async () => {
      const d = desk();
      const first = await seedCustomerWithOrder(d.deps);
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        const order =
          i === 0 ? first : await seedCustomerWithOrder(d.deps, { customerId: first.customerId });
        d.clock.advance(1_000);
        ids.push((await file(d, { ...order, cookie: first.cookie })).request.id);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor === null ? '?limit=2' : `?limit=2&cursor=${cursor}`;
        const res = await d.app.request(`${BASE}${query}`, asCookie(first.cookie));
        expect(res.status).toBe(200);
        const page = (await res.json()) as { items: RequestJson[]; nextCursor: string | null };
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((r) => r.id));
        cursor = page.nextCursor;
      } while (cursor !== null);
      expect(seen).toEqual([...ids].reverse());
    });

    it('staff see every customer’s requests and filter by state', async () => {
      const d = desk();
      const a = await file(d, await seedOrderWithServiceReport(d.deps));
      const b = await file(d, await seedCustomerWithOrder(d.deps));
      const agent = await staffSessionCookie(d.deps, 'agent');
      const all = await d.app.request(`${BASE}?limit=100`, asCookie(agent));
      const allIds = ((await all.json()) as { items: RequestJson[] }).items.map((r) => r.id);
      expect(allIds).toEqual(expect.arrayContaining([a.request.id, b.request.id]));
      const denied = await d.app.request(`${BASE}?state=denied&limit=100`, asCookie(agent));
      const deniedItems = ((await denied.json()) as { items: RequestJson[] }).items;
      expect(deniedItems.every((r) => r.state === 'denied')).toBe(true);
      expect(deniedItems.map((r) => r.id)).toContain(b.request.id);
      expect(deniedItems.map((r) => r.id)).not.toContain(a.request.id);
      const read = await d.app.request(`${BASE}/${a.request.id}/decision`, asCookie(agent));
      expect(read.status).toBe(200);
    });

    it('bad query parameters name the parameter', async () => {
      const d = desk();
      const order = await seedCustomerWithOrder(d.deps);
      for (const [query, pointer] of [
        ['?limit=0', '/limit'],
        ['?limit=101', '/limit'],
        ['?limit=ten', '/limit'],
        ['?cursor=bm9wZQ', '/cursor'],
        ['?state=open', '/state'],
      ] as const) {
        const res = await d.app.request(`${BASE}${query}`, asCookie(order.cookie));
        expect(res.status, query).toBe(400);
        expect(await res.json()).toMatchObject({ code: 'invalid_request', errors: [{ pointer }] });
      }
    });
  });

  it('the decision with its reasons and the clause texts that explain them', async () => {
    const d = desk();
    const order = await seedOrderWithServiceReport(d.deps);
    const created = await file(d, order);
    const res = await d.app.request(
      `${BASE}/${created.request.id}/decision`,
      asCookie(order.cookie),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      seq: number;
      source: string;
      decision: DecisionJson;
      explanation: { headline: string; reasons: Array<{ code: string; clauseText: string }> };
    };
    expect(body).toMatchObject({ requestId: created.request.id, seq: 1, source: 'engine' });
    expect(body.decision).toEqual(created.decision);
    expect(body.explanation.headline).toMatch(/^Pending/);
    expect(body.explanation.reasons.map((r) => r.code)).toEqual(
      created.decision.reasons.map((r) => r.code),
    );
    expect(body.explanation.reasons.every((r) => r.clauseText.length > 20)).toBe(true);
  });

  describe('withdrawal', () => {
    it('the owner withdraws an open request once; then 409 naming the state; audited', async () => {
      const d = desk();
      const order = await seedOrderWithServiceReport(d.deps);
      const created = await file(d, order);
      expect(created.request.state).toBe('pending_remediation');
      d.clock.advance(60_000);
      const res = await d.app.request(
        `${BASE}/${created.request.id}/withdraw`,
        jsonPost({ reason: 'works again' }, order.cookie),
      );
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        request: {
          id: created.request.id,
          state: 'withdrawn',
          updatedAt: new Date(d.clock.nowMs()).toISOString(),
        },
      });
      const again = await d.app.request(
        `${BASE}/${created.request.id}/withdraw`,
        jsonPost({}, order.cookie),
      );
      expect(again.status).toBe(409);
      expect(await again.json()).toMatchObject({
        code: 'request_state_conflict',
        state: 'withdrawn',
      });
      const audit = await store()
        .db.selectFrom('auditLog')
        .select(['action', 'beforeJson', 'afterJson'])
        .where('entityId', '=', created.request.id)
        .where('action', '=', 'refund_request.withdrawn')
        .execute();
      expect(audit).toHaveLength(1);
      expect(JSON.parse(audit[0]?.beforeJson ?? 'null')).toMatchObject({
        state: 'pending_remediation',
      });
      expect(JSON.parse(audit[0]?.afterJson ?? 'null')).toMatchObject({
        state: 'withdrawn',
        reason: 'works again',
      });
    });

    it('a denied request cannot be withdrawn (409 with its state); staff may not withdraw', async () => {
      const d = desk();
      const order = await seedCustomerWithOrder(d.deps);
      const created = await file(d, order);
      const res = await d.app.request(
        `${BASE}/${created.request.id}/withdraw`,
        jsonPost({}, order.cookie),
      );
      expect(res.status).toBe(409);
      expect(await res.json()).toMatchObject({ state: 'denied' });
      const staff = await staffSessionCookie(d.deps, 'admin');
      const asStaff = await d.app.request(
        `${BASE}/${created.request.id}/withdraw`,
        jsonPost({}, staff),
      );
      expect(asStaff.status).toBe(403);
    });

    it('refuses a bad body without changing anything', async () => {
      const d = desk();
      const order = await seedOrderWithServiceReport(d.deps);
      const created = await file(d, order);
      const res = await d.app.request(
        `${BASE}/${created.request.id}/withdraw`,
        jsonPost({ reason: 7 }, order.cookie),
      );
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ errors: [{ pointer: '/reason' }] });
      const cookie = await customerSessionCookie(d.deps, order.customerId);
      const still = await d.app.request(`${BASE}/${created.request.id}`, asCookie(cookie));
      expect(await still.json()).toMatchObject({ state: 'pending_remediation' });
    });
  });
});
