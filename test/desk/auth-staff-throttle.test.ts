/**
 * Limits on staff password sign-in against online guessing, over HTTP on both engines: failures
 * per email and per client within the window, 429 `too_many_attempts` with `Retry-After`, no
 * password check while refused, a success clearing the email's failures, unknown emails counted
 * like wrong passwords, and the purge of expired rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STAFF_SIGN_IN_LIMITS, clientKey } from '../../src/app/auth/sign-in-throttle.js';
import type { DeskDeps } from '../../src/app/context.js';
import { newId } from '../../src/app/ids.js';
import { describeEachEngine } from '../support/stores.js';
import {
  STAFF_PASSWORD,
  deskOver,
  postJson,
  seedStaffUser,
  type TestDesk,
} from '../support/people.js';

const { windowMs, maxFailuresPerEmail, maxFailuresPerIp } = STAFF_SIGN_IN_LIMITS;
const WRONG_PASSWORD = 'not the password at all';

/** Hono's Node bindings as @hono/node-server passes them: the connection's peer address. */
function fromAddress(remoteAddress: string) {
  const remoteFamily = remoteAddress.includes(':') ? 'IPv6' : 'IPv4';
  return { incoming: { socket: { remoteAddress, remotePort: 50000, remoteFamily } } };
}

async function signIn(
  desk: TestDesk,
  email: string,
  password = STAFF_PASSWORD,
  ip?: string,
): Promise<Response> {
  return desk.app.request(
    '/v1/staff/sessions',
    postJson({ email, password }),
    ip === undefined ? undefined : fromAddress(ip),
  );
}

async function failuresOf(desk: TestDesk, email: string): Promise<number> {
  const rows = await desk.deps.store.db
    .selectFrom('staffSignInFailures')
    .select('id')
    .where('email', '=', email)
    .execute();
  return rows.length;
}

async function sessionsOf(desk: TestDesk, staffId: string): Promise<number> {
  const rows = await desk.deps.store.db
    .selectFrom('sessions')
    .select('tokenHash')
    .where('subjectId', '=', staffId)
    .execute();
  return rows.length;
}

/** `count` failed sign-ins from client `ip` now, each for another unknown email. */
async function clientWithFailures(deps: DeskDeps, ip: string, count: number): Promise<void> {
  const atMs = deps.clock.nowMs();
  const rows = Array.from({ length: count }, (_, i) => ({
    id: newId('ssf', atMs),
    email: `spray-${i}-${newId('x', atMs)}@desk.example`,
    ip,
    atMs,
  }));
  await deps.store.db.insertInto('staffSignInFailures').values(rows).execute();
}

async function expectRefused(res: Response, retryAfterSeconds: number): Promise<void> {
  expect(res.status).toBe(429);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(res.headers.get('retry-after')).toBe(String(retryAfterSeconds));
  expect(res.headers.getSetCookie()).toEqual([]);
  expect(await res.json()).toMatchObject({ code: 'too_many_attempts', status: 429 });
}

describeEachEngine('staff sign-in limits', (store) => {
  let desk: TestDesk;
  beforeAll(() => {
    desk = deskOver(store());
  });
  afterAll(() => desk.dispose());

  it(`refuses the right password after ${maxFailuresPerEmail} wrong ones until the window has passed, then clears the count`, async () => {
    const agent = await seedStaffUser(desk.deps, 'agent');
    for (let i = 0; i < maxFailuresPerEmail; i += 1) {
      expect((await signIn(desk, agent.email, WRONG_PASSWORD)).status).toBe(401);
    }
    await expectRefused(await signIn(desk, agent.email), windowMs / 1000);
    // The email is normalized: another spelling is the same email.
    await expectRefused(await signIn(desk, ` ${agent.email.toUpperCase()} `), windowMs / 1000);
    expect(await sessionsOf(desk, agent.id)).toBe(0);
    // Refusals are not failures: they do not push the end of the lock out.
    desk.clock.advance(windowMs - 1);
    await expectRefused(await signIn(desk, agent.email), 1);
    expect(await failuresOf(desk, agent.email)).toBe(maxFailuresPerEmail);

    desk.clock.advance(1);
    const res = await signIn(desk, agent.email);
    expect(res.status).toBe(200);
    expect(await sessionsOf(desk, agent.id)).toBe(1);
    expect(await failuresOf(desk, agent.email)).toBe(0);
  });

  it('lifts the lock when the oldest counted failure leaves the window (Retry-After says when)', async () => {
    const agent = await seedStaffUser(desk.deps, 'agent');
    const minuteMs = 60_000;
    for (let i = 0; i < maxFailuresPerEmail; i += 1) {
      if (i > 0) desk.clock.advance(minuteMs);
      expect((await signIn(desk, agent.email, WRONG_PASSWORD)).status).toBe(401);
    }
    const sinceLastMs = (maxFailuresPerEmail - 1) * minuteMs;
    await expectRefused(await signIn(desk, agent.email), (windowMs - sinceLastMs) / 1000);
    desk.clock.advance(windowMs - sinceLastMs);
    // The first failure has left the window: one more attempt, and the lock is back until the
    // second leaves it.
    expect((await signIn(desk, agent.email, WRONG_PASSWORD)).status).toBe(401);
    await expectRefused(await signIn(desk, agent.email), minuteMs / 1000);
  });

  it('resets the count on a successful sign-in', async () => {
    const agent = await seedStaffUser(desk.deps, 'agent');
    for (let round = 0; round < 3; round += 1) {
      for (let i = 0; i < maxFailuresPerEmail - 1; i += 1) {
        expect((await signIn(desk, agent.email, WRONG_PASSWORD)).status).toBe(401);
      }
      expect((await signIn(desk, agent.email)).status).toBe(200);
    }
    expect(await failuresOf(desk, agent.email)).toBe(0);
  });

  it('counts an unknown email like a wrong password and answers both the same way', async () => {
    const agent = await seedStaffUser(desk.deps, 'agent');
    const unknown = `nobody-${newId('x', desk.clock.nowMs())}@desk.example`;
    for (let i = 0; i < maxFailuresPerEmail; i += 1) {
      const [known, none] = await Promise.all([
        signIn(desk, agent.email, WRONG_PASSWORD),
        signIn(desk, unknown, WRONG_PASSWORD),
      ]);
      expect(known.status).toBe(401);
      expect(none.status).toBe(401);
      expect(await none.json()).toEqual(await known.json());
    }
    const [known, none] = await Promise.all([
      signIn(desk, agent.email, WRONG_PASSWORD),
      signIn(desk, unknown, WRONG_PASSWORD),
    ]);
    expect(none.status).toBe(429);
    expect(none.headers.get('retry-after')).toBe(known.headers.get('retry-after'));
    expect(await none.json()).toEqual(await known.json());
    expect(await failuresOf(desk, unknown)).toBe(maxFailuresPerEmail);
  });

  it('holds the email limit exactly under concurrent guesses', async () => {
    const agent = await seedStaffUser(desk.deps, 'agent');
    const answers = await Promise.all(
      Array.from({ length: maxFailuresPerEmail + 3 }, () =>
        signIn(desk, agent.email, WRONG_PASSWORD),
      ),
    );
    const statuses = answers.map((res) => res.status).sort();
    expect(statuses).toEqual([
      ...Array<number>(maxFailuresPerEmail).fill(401),
      ...Array<number>(3).fill(429),
    ]);
    expect(await failuresOf(desk, agent.email)).toBe(maxFailuresPerEmail);
  });

  it(`refuses a client after ${maxFailuresPerIp} failures across emails, whatever the email`, async () => {
    const ip = '203.0.113.50';
    const agent = await seedStaffUser(desk.deps, 'agent');
    await clientWithFailures(desk.deps, ip, maxFailuresPerIp - 2);
    const stamp = newId('x', desk.clock.nowMs());
    expect((await signIn(desk, `a-${stamp}@desk.example`, WRONG_PASSWORD, ip)).status).toBe(401);
    expect((await signIn(desk, agent.email, WRONG_PASSWORD, ip)).status).toBe(401);
    // The client is at its limit: even the right password of an account with one failure.
    await expectRefused(await signIn(desk, agent.email, STAFF_PASSWORD, ip), windowMs / 1000);
    await expectRefused(await signIn(desk, `b-${stamp}@desk.example`, 'x', ip), windowMs / 1000);
    expect(await sessionsOf(desk, agent.id)).toBe(0);
    // The same IPv4 address mapped into IPv6 is the same client.
    await expectRefused(
      await signIn(desk, agent.email, STAFF_PASSWORD, `::ffff:${ip}`),
      windowMs / 1000,
    );
    // Another client is not held back by this one.
    expect((await signIn(desk, agent.email, STAFF_PASSWORD, '198.51.100.7')).status).toBe(200);
    desk.clock.advance(windowMs);
    expect((await signIn(desk, agent.email, STAFF_PASSWORD, ip)).status).toBe(200);
  });

  it('counts the addresses of one IPv6 /64 as one client', async () => {
    await clientWithFailures(desk.deps, '2001:db8:7:7::/64', maxFailuresPerIp);
    const agent = await seedStaffUser(desk.deps, 'agent');
    await expectRefused(
      await signIn(desk, agent.email, STAFF_PASSWORD, '2001:db8:7:7:abcd::1'),
      windowMs / 1000,
    );
    expect((await signIn(desk, agent.email, STAFF_PASSWORD, '2001:db8:7:8::1')).status).toBe(200);
    desk.clock.advance(windowMs);
  });

  it('deletes expired failures as attempts come, a bounded batch at a time', async () => {
    const { purgeBatchRows } = STAFF_SIGN_IN_LIMITS;
    const ip = '192.0.2.77';
    await clientWithFailures(desk.deps, ip, purgeBatchRows + 20);
    desk.clock.advance(windowMs); // every row is now expired
    const stale = async () => {
      const rows = await desk.deps.store.db
        .selectFrom('staffSignInFailures')
        .select('id')
        .where('atMs', '<=', desk.clock.nowMs() - windowMs)
        .execute();
      return rows.length;
    };
    const before = await stale();
    expect(before).toBeGreaterThanOrEqual(purgeBatchRows + 20);
    const email = `purge-${newId('x', desk.clock.nowMs())}@desk.example`;
    expect((await signIn(desk, email, WRONG_PASSWORD)).status).toBe(401);
    expect(await stale()).toBe(before - purgeBatchRows);
    desk.clock.advance(1);
    expect((await signIn(desk, email, WRONG_PASSWORD)).status).toBe(401);
    expect(await stale()).toBe(Math.max(0, before - 2 * purgeBatchRows));
  });
});

describe('clientKey', () => {
  it('keeps IPv4 addresses and unwraps IPv4-mapped IPv6 ones', () => {
    expect(clientKey('203.0.113.9')).toBe('203.0.113.9');
    expect(clientKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(clientKey('::FFFF:203.0.113.9')).toBe('203.0.113.9');
  });

  it('takes the /64 prefix of IPv6 addresses, however they are written', () => {
    expect(clientKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:0DB8:0001:0002::9')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientKey('64:ff9b:1:2::192.0.2.1')).toBe('64:ff9b:1:2::/64');
    expect(clientKey('1:2:3:4:5:6:192.0.2.1')).toBe('1:2:3:4::/64');
  });

  it('has no client for an unknown address', () => {
    expect(clientKey(null)).toBeNull();
    expect(clientKey('')).toBeNull();
  });
});
