/**
 * The authorization helpers other areas use (src/http/guards.ts), through a real Hono app whose
 * middleware stands in for the session/API-key lookup (that lookup is tested in auth-*.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Actor, StaffRole } from '../../src/app/context.js';
import { createApp } from '../../src/http/app.js';
import {
  isCustomer,
  requireActor,
  requireCustomer,
  requireScope,
  requireStaff,
  roleAtLeast,
} from '../../src/http/guards.js';

function appAs(actor: Actor | undefined) {
  const app = createApp();
  app.use('/guarded/*', async (c, next) => {
    c.set('actor', actor);
    await next();
  });
  app.get('/guarded/actor', (c) => c.json(requireActor(c)));
  app.get('/guarded/customer', (c) => c.json(requireCustomer(c)));
  for (const role of ['agent', 'approver', 'admin'] as const) {
    app.get(`/guarded/staff/${role}`, (c) => c.json(requireStaff(c, role)));
  }
  app.get('/guarded/scope/facts', (c) => c.json(requireScope(c, 'facts:write')));
  return app;
}

const customer: Actor = { kind: 'customer', id: 'cus_1' };
const staff = (role: StaffRole): Actor => ({ kind: 'staff', id: `stf_${role}`, role });
const key = (scopes: string[]): Actor => ({ kind: 'api_key', id: 'key_1', scopes });

async function status(actor: Actor | undefined, path: string): Promise<number> {
  const res = await appAs(actor).request(`/guarded/${path}`);
  if (res.status !== 200) {
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = (await res.json()) as { code: string };
    expect(body.code).toBe(res.status === 401 ? 'unauthorized' : 'forbidden');
  }
  return res.status;
}

describe('guards', () => {
  it('requireActor: 401 when anonymous or a system stand-in, the actor otherwise', async () => {
    expect(await status(undefined, 'actor')).toBe(401);
    expect(await status({ kind: 'system', id: 'anonymous' }, 'actor')).toBe(401);
    const res = await appAs(customer).request('/guarded/actor');
    expect(await res.json()).toEqual(customer);
  });

  it('requireStaff: agent < approver < admin; others 403, anonymous 401', async () => {
    const table: [Actor | undefined, number, number, number][] = [
      [undefined, 401, 401, 401],
      [customer, 403, 403, 403],
      [key(['admin']), 403, 403, 403],
      [staff('agent'), 200, 403, 403],
      [staff('approver'), 200, 200, 403],
      [staff('admin'), 200, 200, 200],
    ];
    for (const [actor, agent, approver, admin] of table) {
      const label = JSON.stringify(actor);
      expect(await status(actor, 'staff/agent'), label).toBe(agent);
      expect(await status(actor, 'staff/approver'), label).toBe(approver);
      expect(await status(actor, 'staff/admin'), label).toBe(admin);
    }
    expect(roleAtLeast('admin', 'agent')).toBe(true);
    expect(roleAtLeast('agent', 'approver')).toBe(false);
  });

  it('requireScope: a key with the exact scope or a staff admin', async () => {
    expect(await status(key(['facts:write']), 'scope/facts')).toBe(200);
    expect(await status(key(['admin', 'facts:read']), 'scope/facts')).toBe(403);
    expect(await status(staff('admin'), 'scope/facts')).toBe(200);
    expect(await status(staff('approver'), 'scope/facts')).toBe(403);
    expect(await status(customer, 'scope/facts')).toBe(403);
    expect(await status(undefined, 'scope/facts')).toBe(401);
  });

  it('requireCustomer and isCustomer: only that customer', async () => {
    expect(await status(customer, 'customer')).toBe(200);
    expect(await status(staff('admin'), 'customer')).toBe(403);
    expect(await status(undefined, 'customer')).toBe(401);
    expect(isCustomer(customer, 'cus_1')).toBe(true);
    expect(isCustomer(customer, 'cus_2')).toBe(false);
    expect(isCustomer({ kind: 'staff', id: 'cus_1', role: 'admin' }, 'cus_1')).toBe(false);
    expect(isCustomer(undefined, 'cus_1')).toBe(false);
  });
});
