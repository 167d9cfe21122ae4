/** The first admin on a fresh database (`bootstrapAdmin`, wired into the CLI), on both engines. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bootstrapAdmin } from '../../src/app/auth/staff.js';
import { describeEachEngine } from '../support/stores.js';
import { deskOver, postJson, sessionCookieFrom, type TestDesk } from '../support/people.js';

describeEachEngine('bootstrap admin', (store) => {
  let desk: TestDesk;
  beforeAll(() => {
    desk = deskOver(store());
  });
  afterAll(() => desk.dispose());

  it('creates the first admin once, audited as the system; that admin can sign in', async () => {
    const input = { email: 'Root@Desk.example', name: 'Root', password: 'first admin password' };
    const first = await bootstrapAdmin(desk.deps, input);
    expect(first).toMatchObject({ ok: true, value: { email: 'root@desk.example', role: 'admin' } });
    const again = await bootstrapAdmin(desk.deps, { ...input, email: 'other@desk.example' });
    expect(again).toEqual({ ok: false, error: { code: 'admin_exists' } });

    const res = await desk.app.request(
      '/v1/staff/sessions',
      postJson({ email: 'root@desk.example', password: 'first admin password' }),
    );
    expect(res.status).toBe(200);
    const list = await desk.app.request('/v1/staff-users', {
      headers: { cookie: sessionCookieFrom(res) },
    });
    expect(list.status).toBe(200);
    const audit = await desk.deps.store.db
      .selectFrom('auditLog')
      .select(['action', 'actorKind', 'actorId'])
      .where('entityKind', '=', 'staff_user')
      .execute();
    expect(audit).toEqual([
      { action: 'staff_user.created', actorKind: 'system', actorId: 'refund-desk' },
    ]);
  });
});

describeEachEngine('bootstrap admin on a fresh database, bad input', (store) => {
  it('names bad fields instead of creating a weak admin', async () => {
    const desk = deskOver(store());
    try {
      const weak = await bootstrapAdmin(desk.deps, {
        email: 'nope',
        name: 'Weak',
        password: 'short',
      });
      expect(weak).toEqual({
        ok: false,
        error: {
          code: 'invalid',
          errors: [
            { pointer: '/email', message: 'must be an email address (name@example.com)' },
            { pointer: '/password', message: 'must be at least 12 characters' },
          ],
        },
      });
      expect(await desk.deps.store.db.selectFrom('staffUsers').select('id').execute()).toEqual([]);
    } finally {
      desk.dispose();
    }
  });
});
