/**
 * API key management on both engines: admin staff (or a key with the `admin` scope) create,
 * list and revoke keys; the key is shown once, stored hashed, and stops working when revoked.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApiKey } from '../../src/app/auth/api-keys.js';
import { sha256Hex } from '../../src/app/auth/tokens.js';
import { SYSTEM_ORIGIN } from '../../src/app/context.js';
import { describeEachEngine } from '../support/stores.js';
import {
  as,
  customerSessionCookie,
  deskOver,
  postJson,
  seedCustomerWithOrder,
  staffSessionCookie,
  type TestDesk,
} from '../support/people.js';

interface KeyView {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
  key?: string;
}

describeEachEngine('API keys', (store) => {
  let desk: TestDesk;
  let admin: string;
  beforeAll(async () => {
    desk = deskOver(store());
    admin = await staffSessionCookie(desk.deps, 'admin');
  });
  afterAll(() => desk.dispose());

  async function create(
    body: unknown,
    auth: { cookie?: string; bearer?: string } = { cookie: admin },
  ) {
    return desk.app.request('/v1/api-keys', postJson(body, auth));
  }

  it('creates a key shown once, stored only as a digest, that authenticates as itself', async () => {
    const res = await create({ name: ' billing feed ', scopes: ['facts:write', 'facts:read'] });
    expect(res.status).toBe(201);
    const created = (await res.json()) as KeyView;
    expect(created).toEqual({
      id: expect.stringMatching(/^key_/),
      key: expect.stringMatching(/^rdk_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/),
      name: 'billing feed',
      prefix: created.key?.slice(4, 16),
      scopes: ['facts:read', 'facts:write'],
      createdAt: '2026-03-02T10:00:00.000Z',
      createdBy: expect.stringMatching(/^staff:stf_/),
      revokedAt: null,
    });
    const secret = created.key?.slice(17) ?? '';
    const row = await desk.deps.store.db
      .selectFrom('apiKeys')
      .selectAll()
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow();
    expect(row.secretHash).toBe(sha256Hex(secret));
    expect(JSON.stringify(row)).not.toContain(secret);

    const who = await desk.app.request('/v1/me', as({ bearer: created.key ?? '' }));
    expect(await who.json()).toEqual({
      kind: 'api_key',
      apiKey: { id: created.id, name: 'billing feed', scopes: ['facts:read', 'facts:write'] },
    });
    const audit = await desk.deps.store.db
      .selectFrom('auditLog')
      .select(['action', 'actorKind'])
      .where('entityId', '=', created.id)
      .execute();
    expect(audit).toEqual([{ action: 'api_key.created', actorKind: 'staff' }]);
  });

  it('lists keys without secrets, a page at a time', async () => {
    const made = (await (
      await create({ name: 'listed', scopes: ['requests:read'] })
    ).json()) as KeyView;
    const res = await desk.app.request('/v1/api-keys?limit=200', as({ cookie: admin }));
    expect(res.status).toBe(200);
    const page = (await res.json()) as { items: KeyView[]; next: string | null };
    const listed = page.items.find((k) => k.id === made.id);
    expect(listed).toEqual({ ...made, key: undefined });
    expect(Object.keys(listed ?? {})).not.toContain('key');
    const text = JSON.stringify(page);
    expect(text).not.toContain(made.key?.slice(17));
    expect(text).not.toMatch(/secret|hash/i);
    const one = (await (
      await desk.app.request('/v1/api-keys?limit=1', as({ cookie: admin }))
    ).json()) as {
      items: KeyView[];
      next: string | null;
    };
    expect(one.items).toHaveLength(1);
    expect(one.next).toBe(one.items[0]?.id);
  });

  it('revokes a key: it gets 401 on its next use; revoking again is harmless', async () => {
    const made = (await (
      await create({ name: 'doomed', scopes: ['facts:read'] })
    ).json()) as KeyView;
    const key = made.key ?? '';
    expect((await desk.app.request('/v1/me', as({ bearer: key }))).status).toBe(200);
    desk.clock.advance(5000);
    const res = await desk.app.request(
      `/v1/api-keys/${made.id}/revoke`,
      postJson({}, { cookie: admin }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      apiKey: { id: made.id, revokedAt: '2026-03-02T10:00:05.000Z' },
    });
    const after = await desk.app.request('/v1/me', as({ bearer: key }));
    expect(after.status).toBe(401);
    expect(await after.json()).toMatchObject({ code: 'unauthorized' });
    const again = await desk.app.request(
      `/v1/api-keys/${made.id}/revoke`,
      postJson({}, { cookie: admin }),
    );
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ apiKey: { revokedAt: '2026-03-02T10:00:05.000Z' } });
    const audit = await desk.deps.store.db
      .selectFrom('auditLog')
      .select('action')
      .where('entityId', '=', made.id)
      .orderBy('seq')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['api_key.created', 'api_key.revoked']);
    const unknown = await desk.app.request(
      '/v1/api-keys/key_nobody/revoke',
      postJson({}, { cookie: admin }),
    );
    expect(unknown.status).toBe(404);
  });

  it('lets a key with the admin scope manage keys, and no other key', async () => {
    const adminKey = await createApiKey(desk.deps, SYSTEM_ORIGIN, {
      name: 'ops',
      scopes: ['admin'],
    });
    const res = await create(
      { name: 'made by a key', scopes: ['facts:write'] },
      { bearer: adminKey.key },
    );
    expect(res.status).toBe(201);
    const made = (await res.json()) as KeyView;
    expect(made.createdBy).toBe(`api_key:${adminKey.id}`);

    const factsKey = made.key ?? '';
    const refused = [
      await create({ name: 'escalate', scopes: ['admin'] }, { bearer: factsKey }),
      await desk.app.request('/v1/api-keys', as({ bearer: factsKey })),
      await desk.app.request(
        `/v1/api-keys/${adminKey.id}/revoke`,
        postJson({}, { bearer: factsKey }),
      ),
    ];
    for (const r of refused) {
      expect(r.status).toBe(403);
      expect(await r.json()).toMatchObject({ code: 'forbidden' });
    }
    // API keys never manage staff accounts, whatever their scopes.
    const staff = await desk.app.request('/v1/staff-users', as({ bearer: adminKey.key }));
    expect(staff.status).toBe(403);
  });

  it('forbids agents, approvers and customers (403) and anonymous callers (401)', async () => {
    const { customerId } = await seedCustomerWithOrder(desk.deps);
    const cookies = [
      await staffSessionCookie(desk.deps, 'agent'),
      await staffSessionCookie(desk.deps, 'approver'),
      await customerSessionCookie(desk.deps, customerId),
    ];
    const target = await createApiKey(desk.deps, SYSTEM_ORIGIN, {
      name: 'target',
      scopes: ['admin'],
    });
    const before = await desk.deps.store.db
      .selectFrom('apiKeys')
      .select('id')
      .orderBy('id')
      .execute();
    for (const cookie of cookies) {
      expect((await create({ name: 'nope', scopes: ['admin'] }, { cookie })).status).toBe(403);
      expect((await desk.app.request('/v1/api-keys', as({ cookie }))).status).toBe(403);
      const revoke = await desk.app.request(
        `/v1/api-keys/${target.id}/revoke`,
        postJson({}, { cookie }),
      );
      expect(revoke.status).toBe(403);
    }
    expect((await create({ name: 'nope', scopes: ['admin'] }, {})).status).toBe(401);
    expect((await desk.app.request('/v1/api-keys')).status).toBe(401);
    expect((await desk.app.request('/v1/api-keys', as({ bearer: 'rdk_nothing' }))).status).toBe(
      401,
    );
    const after = await desk.deps.store.db
      .selectFrom('apiKeys')
      .select(['id', 'revokedAtMs'])
      .orderBy('id')
      .execute();
    expect(after.map((k) => k.id)).toEqual(before.map((k) => k.id));
    expect(after.find((k) => k.id === target.id)?.revokedAtMs).toBeNull();
  });

  it('names bad fields of a new key', async () => {
    const cases: [unknown, string[]][] = [
      [{ name: 'x', scopes: ['root'] }, ['/scopes/0']],
      [{ name: 'x', scopes: [] }, ['/scopes']],
      [{ name: 'x', scopes: ['admin', 'admin'] }, ['/scopes']],
      [{ name: '   ', scopes: ['admin'] }, ['/name']],
      [{ name: 'x'.repeat(101), scopes: ['admin'] }, ['/name']],
      [{ scopes: ['admin'], owner: 'me' }, ['/name', '/owner']],
    ];
    for (const [body, pointers] of cases) {
      const res = await create(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const problem = (await res.json()) as { code: string; errors: { pointer: string }[] };
      expect(problem.code).toBe('invalid_request');
      expect(problem.errors.map((e) => e.pointer).sort(), JSON.stringify(body)).toEqual(pointers);
    }
  });
});
