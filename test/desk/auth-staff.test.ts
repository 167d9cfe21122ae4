/**
 * Staff accounts over HTTP on both engines: password sign-in with the session cookie, sign-out,
 * who-am-I, admin-only account management, disabling (sessions stop working at once).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { STAFF_SESSION_TTL_MS } from '../../src/app/auth/sessions.js';
import { describeEachEngine } from '../support/stores.js';
import {
  STAFF_PASSWORD,
  as,
  customerSessionCookie,
  deskOver,
  postJson,
  seedCustomerWithOrder,
  seedStaffUser,
  sessionCookieFrom,
  staffSessionCookie,
  type TestDesk,
} from '../support/people.js';

async function signIn(desk: TestDesk, email: string, password = STAFF_PASSWORD) {
  return desk.app.request('/v1/staff/sessions', postJson({ email, password }));
}

async function me(desk: TestDesk, cookie: string) {
  return desk.app.request('/v1/me', as({ cookie }));
}

async function auditActions(desk: TestDesk, entityId: string) {
  const rows = await desk.deps.store.db
    .selectFrom('auditLog')
    .select(['action', 'actorKind', 'actorId', 'afterJson'])
    .where('entityId', '=', entityId)
    .orderBy('seq')
    .execute();
  return rows;
}

describeEachEngine('staff sign-in', (store) => {
  let desk: TestDesk;
  beforeAll(() => {
    desk = deskOver(store());
  });
  afterAll(() => desk.dispose());

  it('signs a staff member in with an HttpOnly, SameSite=Lax session cookie and knows them', async () => {
    const agent = await seedStaffUser(desk.deps, 'agent');
    const res = await signIn(desk, agent.email.toUpperCase());
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      staff: { id: agent.id, email: agent.email, name: agent.name, role: 'agent' },
    });
    const setCookie = res.headers.getSetCookie().join('\n');
    expect(setCookie).toMatch(/^rd_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toMatch(/; HttpOnly/);
    expect(setCookie).toMatch(/; SameSite=Lax/);
    expect(setCookie).toMatch(/; Path=\//);
    expect(setCookie).not.toMatch(/; Secure/); // the public URL is http
    const who = await me(desk, sessionCookieFrom(res));
    expect(who.status).toBe(200);
    expect(await who.json()).toEqual({
      kind: 'staff',
      staff: { id: agent.id, email: agent.email, name: agent.name, role: 'agent' },
    });
  });

  it('marks the cookie Secure when the desk is reached over https', async () => {
    const https = deskOver(store(), { publicUrl: 'https://desk.example' });
    try {
      const admin = await seedStaffUser(https.deps, 'admin');
      const res = await signIn(https, admin.email);
      expect(res.status).toBe(200);
      expect(res.headers.getSetCookie().join('\n')).toMatch(/; Secure/);
    } finally {
      https.dispose();
    }
  });

  it('answers a wrong password, an unknown email and a disabled account the same way', async () => {
    const approver = await seedStaffUser(desk.deps, 'approver');
    const disabled = await seedStaffUser(desk.deps, 'agent');
    const admin = await staffSessionCookie(desk.deps, 'admin');
    const off = await desk.app.request(
      `/v1/staff-users/${disabled.id}/disable`,
      postJson({}, { cookie: admin }),
    );
    expect(off.status).toBe(200);

    const answers = await Promise.all([
      signIn(desk, approver.email, 'not the password at all'),
      signIn(desk, 'nobody-here@desk.example'),
      signIn(desk, disabled.email),
    ]);
    const bodies = await Promise.all(answers.map((res) => res.json()));
    for (const [index, res] of answers.entries()) {
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.headers.getSetCookie()).toEqual([]);
      expect(bodies[index]).toEqual(bodies[0]);
    }
    expect(bodies[0]).toMatchObject({
      code: 'unauthorized',
      detail: 'The email or password is wrong.',
    });
  });

  it('takes about as long for an unknown email as for a wrong password (dummy hash)', async () => {
    const agent = await seedStaffUser(desk.deps, 'agent');
    await signIn(desk, 'warm-up@desk.example');
    const time = async (email: string) => {
      const start = performance.now();
      const res = await signIn(desk, email, 'a wrong password here');
      expect(res.status).toBe(401);
      return performance.now() - start;
    };
    const wrongPasswordMs = await time(agent.email);
    const unknownEmailMs = await time('nobody-at-all@desk.example');
    // Without the dummy verification an unknown email answers in ~1 ms against ~250 ms.
    expect(unknownEmailMs).toBeGreaterThan(wrongPasswordMs * 0.3);
  });

  it('rejects a malformed sign-in body with a problem naming the field', async () => {
    const res = await desk.app.request('/v1/staff/sessions', postJson({ email: 'a@b.example' }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      code: 'invalid_request',
      errors: [{ pointer: '/password', detail: 'is required' }],
    });
    const form = await desk.app.request('/v1/staff/sessions', {
      method: 'POST',
      body: 'email=a@b.example&password=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
  });

  it('signs out: the session is revoked and the cookie cleared', async () => {
    const agent = await seedStaffUser(desk.deps, 'agent');
    const cookie = sessionCookieFrom(await signIn(desk, agent.email));
    const out = await desk.app.request('/v1/sessions/current', {
      method: 'DELETE',
      ...as({ cookie }),
    });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie().join('\n')).toMatch(/^rd_session=;.*Max-Age=0/);
    expect((await me(desk, cookie)).status).toBe(401);
    const again = await desk.app.request('/v1/sessions/current', {
      method: 'DELETE',
      ...as({ cookie }),
    });
    expect(again.status).toBe(401);
  });

  it('ends a staff session after its lifetime', async () => {
    const agent = await seedStaffUser(desk.deps, 'agent');
    const cookie = sessionCookieFrom(await signIn(desk, agent.email));
    desk.clock.advance(STAFF_SESSION_TTL_MS - 1);
    expect((await me(desk, cookie)).status).toBe(200);
    desk.clock.advance(1);
    const expired = await me(desk, cookie);
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ code: 'unauthorized' });
  });

  it('revokes the session the browser held before a new sign-in', async () => {
    const agent = await seedStaffUser(desk.deps, 'agent');
    const first = sessionCookieFrom(await signIn(desk, agent.email));
    const res = await desk.app.request('/v1/staff/sessions', {
      ...postJson({ email: agent.email, password: STAFF_PASSWORD }, { cookie: first }),
    });
    const second = sessionCookieFrom(res);
    expect(second).not.toBe(first);
    expect((await me(desk, first)).status).toBe(401);
    expect((await me(desk, second)).status).toBe(200);
  });

  it('answers /v1/me anonymously with 401', async () => {
    const res = await desk.app.request('/v1/me');
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const junk = await me(desk, 'rd_session=not-a-session');
    expect(junk.status).toBe(401);
  });
});

describeEachEngine('staff accounts (admin only)', (store) => {
  let desk: TestDesk;
  let admin: string;
  beforeAll(async () => {
    desk = deskOver(store());
    const user = await seedStaffUser(desk.deps, 'admin');
    admin = sessionCookieFrom(await signIn(desk, user.email));
  });
  afterAll(() => desk.dispose());

  it('lets an admin create an account that can then sign in, audited without the password', async () => {
    const res = await desk.app.request(
      '/v1/staff-users',
      postJson(
        {
          email: 'New.Agent@Desk.example',
          name: 'New Agent',
          role: 'agent',
          password: 'twelve chars!',
        },
        { cookie: admin },
      ),
    );
    expect(res.status).toBe(201);
    const { staff } = (await res.json()) as { staff: Record<string, unknown> };
    expect(staff).toEqual({
      id: expect.stringMatching(/^stf_/),
      email: 'new.agent@desk.example',
      name: 'New Agent',
      role: 'agent',
      createdAt: '2026-03-02T10:00:00.000Z',
      disabledAt: null,
    });
    expect((await signIn(desk, 'new.agent@desk.example', 'twelve chars!')).status).toBe(200);

    const stored = await desk.deps.store.db
      .selectFrom('staffUsers')
      .select('passwordHash')
      .where('id', '=', String(staff['id']))
      .executeTakeFirstOrThrow();
    expect(stored.passwordHash).toMatch(
      /^scrypt\$N=32768,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/,
    );
    const audit = await auditActions(desk, String(staff['id']));
    expect(audit.map((a) => [a.action, a.actorKind])).toEqual([['staff_user.created', 'staff']]);
    expect(audit[0]?.afterJson).not.toMatch(/password|scrypt/);
  });

  it('refuses a second account with the same email (any case) with 409 email_taken', async () => {
    const body = {
      email: 'twin@desk.example',
      name: 'Twin',
      role: 'approver',
      password: 'long enough secret',
    };
    expect(
      (await desk.app.request('/v1/staff-users', postJson(body, { cookie: admin }))).status,
    ).toBe(201);
    const again = await desk.app.request(
      '/v1/staff-users',
      postJson({ ...body, email: 'TWIN@desk.example' }, { cookie: admin }),
    );
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ code: 'email_taken' });
  });

  it('names each bad field of a new account', async () => {
    const res = await desk.app.request(
      '/v1/staff-users',
      postJson(
        { email: 'x@y.example', name: '', role: 'owner', password: 'short' },
        { cookie: admin },
      ),
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; errors: { pointer: string }[] };
    expect(body.code).toBe('invalid_request');
    expect(body.errors.map((e) => e.pointer).sort()).toEqual(['/name', '/password', '/role']);
    const email = await desk.app.request(
      '/v1/staff-users',
      postJson(
        { email: 'not-an-email', name: 'N', role: 'agent', password: 'long enough secret' },
        { cookie: admin },
      ),
    );
    expect(email.status).toBe(400);
    expect(await email.json()).toMatchObject({ errors: [{ pointer: '/email' }] });
  });

  it('lists accounts a page at a time, without password hashes', async () => {
    const first = await desk.app.request('/v1/staff-users?limit=1', as({ cookie: admin }));
    expect(first.status).toBe(200);
    const page = (await first.json()) as { items: { id: string }[]; next: string | null };
    expect(page.items).toHaveLength(1);
    expect(page.next).toBe(page.items[0]?.id);
    const rest = await desk.app.request(
      `/v1/staff-users?limit=200&after=${page.next}`,
      as({ cookie: admin }),
    );
    const restPage = (await rest.json()) as { items: { id: string }[]; next: string | null };
    expect(restPage.next).toBeNull();
    expect(restPage.items.map((i) => i.id)).not.toContain(page.next);
    expect(JSON.stringify(restPage)).not.toMatch(/password|scrypt/i);
    const bad = await desk.app.request('/v1/staff-users?limit=0', as({ cookie: admin }));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'invalid_request' });
  });

  it('disables an account: its open session stops working and it cannot sign in', async () => {
    const agent = await seedStaffUser(desk.deps, 'agent');
    const agentCookie = sessionCookieFrom(await signIn(desk, agent.email));
    expect((await me(desk, agentCookie)).status).toBe(200);

    desk.clock.advance(1000);
    const res = await desk.app.request(
      `/v1/staff-users/${agent.id}/disable`,
      postJson({}, { cookie: admin }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      staff: { id: agent.id, disabledAt: expect.any(String) },
    });
    expect((await me(desk, agentCookie)).status).toBe(401);
    expect((await signIn(desk, agent.email)).status).toBe(401);
    const revoked = await desk.deps.store.db
      .selectFrom('sessions')
      .select('revokedAtMs')
      .where('subjectId', '=', agent.id)
      .execute();
    expect(revoked.map((s) => s.revokedAtMs)).toEqual([desk.clock.nowMs()]);

    const again = await desk.app.request(
      `/v1/staff-users/${agent.id}/disable`,
      postJson({}, { cookie: admin }),
    );
    expect(again.status).toBe(200);
    const audit = await auditActions(desk, agent.id);
    expect(audit.map((a) => a.action)).toEqual(['staff_user.created', 'staff_user.disabled']);
  });

  it('stops a disabled account even when its session row was not revoked', async () => {
    const agent = await seedStaffUser(desk.deps, 'agent');
    const cookie = sessionCookieFrom(await signIn(desk, agent.email));
    await desk.deps.store.db
      .updateTable('staffUsers')
      .set({ disabledAtMs: desk.clock.nowMs() })
      .where('id', '=', agent.id)
      .execute();
    expect((await me(desk, cookie)).status).toBe(401);
  });

  it('refuses to disable oneself (so an admin always remains) and unknown accounts', async () => {
    const whoAmI = (await (await me(desk, admin)).json()) as { staff: { id: string } };
    const self = await desk.app.request(
      `/v1/staff-users/${whoAmI.staff.id}/disable`,
      postJson({}, { cookie: admin }),
    );
    expect(self.status).toBe(403);
    expect(await self.json()).toMatchObject({ code: 'forbidden' });
    const unknown = await desk.app.request(
      '/v1/staff-users/stf_nobody/disable',
      postJson({}, { cookie: admin }),
    );
    expect(unknown.status).toBe(404);
  });

  it('forbids agents, approvers and customers (403) and anonymous callers (401)', async () => {
    const agent = await staffSessionCookie(desk.deps, 'agent');
    const approver = await staffSessionCookie(desk.deps, 'approver');
    const { customerId } = await seedCustomerWithOrder(desk.deps);
    const customer = await customerSessionCookie(desk.deps, customerId);
    const target = await seedStaffUser(desk.deps, 'agent');
    const newUser = {
      email: 'sneaky@desk.example',
      name: 'S',
      role: 'admin',
      password: 'long enough secret',
    };
    const calls = (cookie?: string) => [
      desk.app.request(
        '/v1/staff-users',
        postJson(newUser, cookie === undefined ? {} : { cookie }),
      ),
      desk.app.request('/v1/staff-users', as(cookie === undefined ? {} : { cookie })),
      desk.app.request(
        `/v1/staff-users/${target.id}/disable`,
        postJson({}, cookie === undefined ? {} : { cookie }),
      ),
    ];
    for (const cookie of [agent, approver, customer]) {
      for (const res of await Promise.all(calls(cookie))) {
        expect(res.status).toBe(403);
        expect(await res.json()).toMatchObject({ code: 'forbidden' });
      }
    }
    for (const res of await Promise.all(calls())) {
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ code: 'unauthorized' });
    }
    const taken = await desk.deps.store.db
      .selectFrom('staffUsers')
      .select('id')
      .where('email', '=', newUser.email)
      .execute();
    expect(taken).toEqual([]);
    const still = await desk.deps.store.db
      .selectFrom('staffUsers')
      .select('disabledAtMs')
      .where('id', '=', target.id)
      .executeTakeFirstOrThrow();
    expect(still.disabledAtMs).toBeNull();
  });

  it('never turns a customer session into staff', async () => {
    const { customerId } = await seedCustomerWithOrder(desk.deps);
    const customer = await customerSessionCookie(desk.deps, customerId);
    const who = await me(desk, customer);
    expect(await who.json()).toMatchObject({ kind: 'customer', customer: { id: customerId } });
    // A staff account with the customer's id does not make the customer's session staff.
    await desk.deps.store.db
      .insertInto('staffUsers')
      .values({
        id: customerId,
        email: `${customerId}@staff.example`,
        name: 'Impostor',
        role: 'admin',
        passwordHash: 'none',
        createdAtMs: desk.clock.nowMs(),
        disabledAtMs: null,
      })
      .execute();
    expect(await (await me(desk, customer)).json()).toMatchObject({ kind: 'customer' });
    const res = await desk.app.request('/v1/staff-users', as({ cookie: customer }));
    expect(res.status).toBe(403);
  });
});
