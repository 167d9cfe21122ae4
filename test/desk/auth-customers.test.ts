/**
 * Customers sign in without a password of ours, on both engines: a one-time link mailed (to the
 * outbox folder) to the order's email, and a host platform's signed token.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sign } from 'hono/jwt';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import {
  HOST_TOKEN_CLOCK_SKEW_MS,
  HOST_TOKEN_USES_PURGED_PER_SIGN_IN,
  MAX_HOST_TOKEN_LIFETIME_MS,
  signInWithHostToken,
} from '../../src/app/auth/host-token.js';
import { CUSTOMER_SESSION_TTL_MS } from '../../src/app/auth/sessions.js';
import {
  MAX_SIGN_IN_LINKS_PER_WINDOW,
  SIGN_IN_LINK_TTL_MS,
  SIGN_IN_LINK_WINDOW_MS,
} from '../../src/app/auth/sign-in-links.js';
import { sha256Hex } from '../../src/app/auth/tokens.js';
import { OutboxMailer } from '../../src/app/mail.js';
import { createApp } from '../../src/http/app.js';
import { describeEachEngine } from '../support/stores.js';
import {
  as,
  deskOver,
  postJson,
  seedCustomerWithOrder,
  sessionCookieFrom,
  signInLinkTokens,
  staffSessionCookie,
  type TestDesk,
} from '../support/people.js';

function header(message: string, name: string): string | undefined {
  const head = message.split('\r\n\r\n', 1)[0] ?? '';
  const line = head
    .replace(/\r\n[ \t]+/g, ' ')
    .split('\r\n')
    .find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

async function askForLink(desk: TestDesk, email: string) {
  return desk.app.request('/v1/auth/sign-in-links', postJson({ email }));
}

async function redeem(desk: TestDesk, token: string) {
  return desk.app.request('/v1/auth/sign-in-links/redeem', postJson({ token }));
}

describeEachEngine('customer sign-in links', (store) => {
  let desk: TestDesk;
  beforeAll(() => {
    desk = deskOver(store());
  });
  afterAll(() => desk.dispose());

  it("mails a one-time link to the order's email; redeeming it signs the customer in once", async () => {
    const customer = await seedCustomerWithOrder(desk.deps, {
      orderEmail: 'billing@ada.example',
      customerEmail: 'ada@profile.example',
      name: 'Ada',
    });
    desk.newMail();
    const res = await askForLink(desk, 'billing@ada.example');
    expect(res.status).toBe(202);
    const messages = desk.newMail();
    expect(messages).toHaveLength(1);
    const mail = messages[0] ?? '';
    expect(header(mail, 'To')).toBe('billing@ada.example');
    expect(header(mail, 'Subject')).toBe('Your Refund Desk sign-in link');
    expect(header(mail, 'Date')).toBe('Mon, 02 Mar 2026 10:00:00 +0000');
    const [token] = signInLinkTokens(mail);
    expect(token).toBeDefined();

    const stored = await desk.deps.store.db
      .selectFrom('signInLinks')
      .selectAll()
      .where('customerId', '=', customer.customerId)
      .execute();
    expect(stored).toEqual([
      {
        tokenHash: sha256Hex(token ?? ''),
        customerId: customer.customerId,
        email: 'billing@ada.example',
        createdAtMs: desk.clock.nowMs(),
        expiresAtMs: desk.clock.nowMs() + SIGN_IN_LINK_TTL_MS,
        usedAtMs: null,
      },
    ]);

    const signedIn = await redeem(desk, token ?? '');
    expect(signedIn.status).toBe(200);
    expect(await signedIn.json()).toEqual({
      customer: { id: customer.customerId, email: 'ada@profile.example', name: 'Ada' },
    });
    const cookie = sessionCookieFrom(signedIn);
    expect(signedIn.headers.getSetCookie().join()).toMatch(
      /HttpOnly.*SameSite=Lax|SameSite=Lax.*HttpOnly/,
    );
    const who = await desk.app.request('/v1/me', as({ cookie }));
    expect(await who.json()).toEqual({
      kind: 'customer',
      customer: { id: customer.customerId, email: 'ada@profile.example', name: 'Ada' },
    });

    const twice = await redeem(desk, token ?? '');
    expect(twice.status).toBe(401);
    expect(twice.headers.getSetCookie()).toEqual([]);
    expect(await twice.json()).toMatchObject({
      code: 'unauthorized',
      detail: 'This sign-in link has already been used. Ask for a new one.',
    });
  });

  it('answers 202 for an email with no order, and mails nothing', async () => {
    desk.newMail();
    const known = await seedCustomerWithOrder(desk.deps);
    const [unknown, knownRes] = [
      await askForLink(desk, 'stranger@nowhere.example'),
      await askForLink(desk, known.orderEmail),
    ];
    expect(unknown.status).toBe(202);
    expect(await unknown.json()).toEqual(await knownRes.json());
    const mails = desk.newMail();
    expect(mails.map((m) => header(m, 'To'))).toEqual([known.orderEmail]);
    const rows = await desk.deps.store.db
      .selectFrom('signInLinks')
      .select('email')
      .where('email', '=', 'stranger@nowhere.example')
      .execute();
    expect(rows).toEqual([]);
  });

  it('matches the order email regardless of case and surrounding spaces', async () => {
    const customer = await seedCustomerWithOrder(desk.deps, {
      orderEmail: 'Mixed.Case@Example.COM',
    });
    desk.newMail();
    expect((await askForLink(desk, '  mixed.case@example.com ')).status).toBe(202);
    const [mail] = desk.newMail();
    expect(header(mail ?? '', 'To')).toBe('mixed.case@example.com');
    const res = await redeem(desk, signInLinkTokens(mail ?? '')[0] ?? '');
    expect(await res.json()).toMatchObject({ customer: { id: customer.customerId } });
  });

  it('lets exactly one of many concurrent redemptions of a link win', async () => {
    const customer = await seedCustomerWithOrder(desk.deps);
    desk.newMail();
    await askForLink(desk, customer.orderEmail);
    const [token = ''] = signInLinkTokens(desk.newMail()[0] ?? '');
    const other = deskOver(desk.deps.store); // a second instance over the same database
    try {
      other.clock.set(desk.clock.nowMs());
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => redeem(i % 2 === 0 ? desk : other, token)),
      );
      expect(answers.map((res) => res.status).sort()).toEqual([200, ...Array<number>(9).fill(401)]);
      const sessions = await desk.deps.store.db
        .selectFrom('sessions')
        .select('tokenHash')
        .where('subjectId', '=', customer.customerId)
        .execute();
      expect(sessions).toHaveLength(1);
    } finally {
      other.dispose();
    }
  });

  it('refuses a link after 15 minutes', async () => {
    const customer = await seedCustomerWithOrder(desk.deps);
    desk.newMail();
    await askForLink(desk, customer.orderEmail);
    const [token = ''] = signInLinkTokens(desk.newMail()[0] ?? '');
    desk.clock.advance(SIGN_IN_LINK_TTL_MS);
    const res = await redeem(desk, token);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({
      detail: 'This sign-in link has expired. Ask for a new one.',
    });
  });

  it('refuses an unknown token and a malformed body', async () => {
    const unknown = await redeem(desk, 'A'.repeat(43));
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({
      code: 'unauthorized',
      detail: 'This sign-in link is not valid. Ask for a new one.',
    });
    const bad = await desk.app.request('/v1/auth/sign-in-links', postJson({ email: 42, extra: 1 }));
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { errors: { pointer: string }[] };
    expect(body.errors.map((e) => e.pointer).sort()).toEqual(['/email', '/extra']);
    const tooLong = await redeem(desk, 'x'.repeat(201));
    expect(tooLong.status).toBe(400);
    const huge = await desk.app.request(
      '/v1/auth/sign-in-links',
      postJson({ email: `${'a'.repeat(20_000)}@example.com` }),
    );
    expect(huge.status).toBe(413);
  });

  it('mails at most 5 links per email per hour, still answering 202, counted in the database', async () => {
    const customer = await seedCustomerWithOrder(desk.deps);
    desk.newMail();
    for (let i = 0; i < MAX_SIGN_IN_LINKS_PER_WINDOW + 2; i += 1) {
      expect((await askForLink(desk, customer.orderEmail)).status).toBe(202);
      desk.clock.advance(1000);
    }
    expect(desk.newMail()).toHaveLength(MAX_SIGN_IN_LINKS_PER_WINDOW);
    // A second desk (another instance) over the same database sees the same count.
    const other = deskOver(desk.deps.store);
    try {
      other.clock.set(desk.clock.nowMs());
      expect((await askForLink(other, customer.orderEmail)).status).toBe(202);
      expect(other.newMail()).toEqual([]);
      other.clock.advance(SIGN_IN_LINK_WINDOW_MS);
      expect((await askForLink(other, customer.orderEmail)).status).toBe(202);
      expect(other.newMail()).toHaveLength(1);
    } finally {
      other.dispose();
    }
  });

  it('mails one link per customer when several customers share the order email', async () => {
    const shared = `shared-${Date.now()}@family.example`;
    const first = await seedCustomerWithOrder(desk.deps, { orderEmail: shared, name: 'First' });
    const second = await seedCustomerWithOrder(desk.deps, { orderEmail: shared, name: 'Second' });
    desk.newMail();
    await askForLink(desk, shared);
    const mails = desk.newMail();
    expect(mails).toHaveLength(1);
    const tokens = signInLinkTokens(mails[0] ?? '');
    expect(tokens).toHaveLength(2);
    const ids = [];
    for (const token of tokens) {
      const res = await redeem(desk, token);
      ids.push(((await res.json()) as { customer: { id: string } }).customer.id);
    }
    expect(ids.sort()).toEqual([first.customerId, second.customerId].sort());
  });

  it('still answers 202 when the mail cannot be written, and reports it to the server', async () => {
    const root = mkdtempSync(join(tmpdir(), 'refund-desk-broken-outbox-'));
    const notADir = join(root, 'file');
    writeFileSync(notADir, 'x');
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const app = createApp({
        desk: { ...desk.deps, mailer: new OutboxMailer(join(notADir, 'outbox')) },
      });
      const customer = await seedCustomerWithOrder(desk.deps);
      const res = await app.request(
        '/v1/auth/sign-in-links',
        postJson({ email: customer.orderEmail }),
      );
      expect(res.status).toBe(202);
      expect(String(stderr.mock.calls.at(-1)?.[0])).toMatch(/sign-in link mail failed/);
    } finally {
      stderr.mockRestore();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('ends a customer session after 7 days', async () => {
    const customer = await seedCustomerWithOrder(desk.deps);
    desk.newMail();
    await askForLink(desk, customer.orderEmail);
    const [token = ''] = signInLinkTokens(desk.newMail()[0] ?? '');
    const cookie = sessionCookieFrom(await redeem(desk, token));
    desk.clock.advance(CUSTOMER_SESSION_TTL_MS - 1);
    expect((await desk.app.request('/v1/me', as({ cookie }))).status).toBe(200);
    desk.clock.advance(1);
    expect((await desk.app.request('/v1/me', as({ cookie }))).status).toBe(401);
  });

  it('signs a customer out', async () => {
    const customer = await seedCustomerWithOrder(desk.deps);
    desk.newMail();
    await askForLink(desk, customer.orderEmail);
    const [token = ''] = signInLinkTokens(desk.newMail()[0] ?? '');
    const cookie = sessionCookieFrom(await redeem(desk, token));
    const out = await desk.app.request('/v1/sessions/current', {
      method: 'DELETE',
      ...as({ cookie }),
    });
    expect(out.status).toBe(204);
    expect((await desk.app.request('/v1/me', as({ cookie }))).status).toBe(401);
  });
});

const SECRET = 'host-platform-shared-secret-0123456789';

describeEachEngine('host-platform tokens', (store) => {
  let desk: TestDesk;
  beforeAll(() => {
    desk = deskOver(store(), { hostTokenSecret: SECRET });
  });
  afterAll(() => desk.dispose());

  const nowS = () => Math.floor(desk.clock.nowMs() / 1000);
  const exchange = (token: string, target = desk) =>
    target.app.request('/v1/auth/host-token', postJson({ token }));
  /** A valid token for the customer, with an id of its own, living 5 minutes unless told. */
  const tokenFor = (customerId: string, claims: Record<string, unknown> = {}) =>
    sign(
      {
        sub: customerId,
        aud: 'refund-desk',
        jti: randomUUID(),
        iat: nowS(),
        exp: nowS() + 300,
        ...claims,
      },
      SECRET,
      'HS256',
    );
  const sessionsOf = async (customerId: string) =>
    Number(
      (
        await desk.deps.store.db
          .selectFrom('sessions')
          .select(sql<number>`count(*)`.as('n'))
          .where('subjectId', '=', customerId)
          .executeTakeFirstOrThrow()
      ).n,
    );
  const usesOf = (customerId: string) =>
    desk.deps.store.db
      .selectFrom('hostTokenUses')
      .selectAll()
      .where('customerId', '=', customerId)
      .execute();

  it('signs the customer named by a valid token in', async () => {
    const customer = await seedCustomerWithOrder(desk.deps, { name: 'Hosted' });
    const token = await sign(
      {
        sub: customer.customerId,
        aud: 'refund-desk',
        jti: 'platform-token-0001',
        iat: nowS(),
        exp: nowS() + 300,
      },
      SECRET,
      'HS256',
    );
    const res = await exchange(token);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      customer: { id: customer.customerId, name: 'Hosted' },
    });
    const who = await desk.app.request('/v1/me', as({ cookie: sessionCookieFrom(res) }));
    expect(await who.json()).toMatchObject({
      kind: 'customer',
      customer: { id: customer.customerId },
    });
    expect(await usesOf(customer.customerId)).toEqual([
      {
        jti: 'platform-token-0001',
        customerId: customer.customerId,
        usedAtMs: desk.clock.nowMs(),
        expiresAtMs: (nowS() + 300) * 1000,
      },
    ]);
  });

  it('refuses expired, long-lived, wrongly addressed, wrongly signed and incomplete tokens', async () => {
    const { customerId } = await seedCustomerWithOrder(desk.deps);
    const base = {
      sub: customerId,
      aud: 'refund-desk',
      jti: randomUUID(),
      iat: nowS(),
      exp: nowS() + 300,
    };
    const { sub, aud, jti } = base;
    const cases: [string, Promise<string>, RegExp][] = [
      [
        'expired',
        sign({ ...base, iat: nowS() - 600, exp: nowS() - 60 }, SECRET, 'HS256'),
        /expired/,
      ],
      [
        'lives 11 minutes',
        sign({ ...base, exp: nowS() + 660 }, SECRET, 'HS256'),
        /at most 10 minutes/,
      ],
      [
        'no iat, 11 minutes ahead',
        sign({ sub, aud, jti, exp: nowS() + 660 }, SECRET, 'HS256'),
        /at most 10 minutes/,
      ],
      ['no exp', sign({ sub, aud, jti, iat: nowS() }, SECRET, 'HS256'), /no exp/],
      ['other audience', sign({ ...base, aud: 'someone-else' }, SECRET, 'HS256'), /audience/],
      [
        'no audience',
        sign({ sub, jti, iat: nowS(), exp: nowS() + 300 }, SECRET, 'HS256'),
        /audience/,
      ],
      ['other secret', sign(base, `${SECRET}-not`, 'HS256'), /signed/],
      ['HS512', sign(base, SECRET, 'HS512'), /HS256/],
      [
        'unknown customer',
        sign({ ...base, sub: 'cus_nobody' }, SECRET, 'HS256'),
        /no known customer/,
      ],
      ['no sub', sign({ aud, jti, iat: nowS(), exp: nowS() + 300 }, SECRET, 'HS256'), /no sub/],
      ['not a JWT', Promise.resolve('not.a.jwt'), /HS256 JWT/],
    ];
    for (const [label, token, detail] of cases) {
      const res = await exchange(await token);
      expect(res.status, label).toBe(401);
      expect(res.headers.getSetCookie(), label).toEqual([]);
      const body = (await res.json()) as { code: string; detail: string };
      expect(body.code, label).toBe('unauthorized');
      expect(body.detail, label).toMatch(detail);
    }
    const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(
      JSON.stringify(base),
    ).toString('base64url')}.`;
    expect((await exchange(unsigned)).status).toBe(401);
    // None of them was recorded: the valid token still works, once.
    expect(await usesOf(customerId)).toEqual([]);
    expect((await exchange(await sign(base, SECRET, 'HS256'))).status).toBe(200);
  });

  it('refuses a token without a jti, or with an unusable one, naming the claim', async () => {
    const { customerId } = await seedCustomerWithOrder(desk.deps);
    const noJti = { sub: customerId, aud: 'refund-desk', iat: nowS(), exp: nowS() + 300 };
    const direct = await signInWithHostToken(desk.deps, SECRET, await sign(noJti, SECRET, 'HS256'));
    expect(direct).toEqual({
      ok: false,
      error: { code: 'invalid', detail: expect.stringMatching(/has no jti claim/) },
    });
    const cases: [string, unknown][] = [
      ['missing', undefined],
      ['empty', ''],
      ['a number', 42],
      ['129 characters', 'j'.repeat(129)],
      ['not ASCII', 'jeton-é'],
      ['a control character', 'line\nbreak'],
    ];
    for (const [label, jti] of cases) {
      const res = await exchange(await sign({ ...noJti, jti }, SECRET, 'HS256'));
      expect(res.status, label).toBe(401);
      expect(res.headers.getSetCookie(), label).toEqual([]);
      expect(await res.json(), label).toMatchObject({
        code: 'unauthorized',
        detail: expect.stringMatching(/jti claim.*1 to 128 printable ASCII/),
      });
    }
    expect(await sessionsOf(customerId)).toBe(0);
    // The limits themselves are fine.
    for (const jti of ['j'.repeat(128), 'x', ' ~!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}']) {
      expect((await exchange(await tokenFor(customerId, { jti }))).status, jti).toBe(200);
    }
  });

  it('signs in once per token: a second use is refused (401 token_replayed) and opens no session', async () => {
    const { customerId } = await seedCustomerWithOrder(desk.deps);
    const token = await tokenFor(customerId);
    expect((await exchange(token)).status).toBe(200);
    const again = await exchange(token);
    expect(again.status).toBe(401);
    expect(again.headers.getSetCookie()).toEqual([]);
    expect(await again.json()).toMatchObject({
      code: 'token_replayed',
      detail: 'This sign-in token has already been used.',
    });
    expect(await signInWithHostToken(desk.deps, SECRET, token)).toEqual({
      ok: false,
      error: { code: 'replayed', detail: 'This sign-in token has already been used.' },
    });
    expect(await sessionsOf(customerId)).toBe(1);
    expect(await usesOf(customerId)).toHaveLength(1);
    // Still refused later on, while the token has not expired.
    desk.clock.advance(250_000);
    expect(await (await exchange(token)).json()).toMatchObject({ code: 'token_replayed' });
  });

  it('of concurrent uses of one token, exactly one signs in', async () => {
    const { customerId } = await seedCustomerWithOrder(desk.deps);
    const token = await tokenFor(customerId);
    const answers = await Promise.all(Array.from({ length: 6 }, () => exchange(token)));
    const statuses = answers.map((res) => res.status).sort();
    expect(statuses).toEqual([200, 401, 401, 401, 401, 401]);
    for (const res of answers.filter((r) => r.status === 401)) {
      expect(await res.json()).toMatchObject({ code: 'token_replayed' });
    }
    expect(await sessionsOf(customerId)).toBe(1);
    expect(await usesOf(customerId)).toHaveLength(1);
  });

  it('signs one customer in with each of two tokens with their own jti', async () => {
    const { customerId } = await seedCustomerWithOrder(desk.deps);
    const [first, second] = [await tokenFor(customerId), await tokenFor(customerId)];
    expect((await exchange(first)).status).toBe(200);
    expect((await exchange(second)).status).toBe(200);
    expect(await sessionsOf(customerId)).toBe(2);
    expect(await usesOf(customerId)).toHaveLength(2);
  });

  it('honours the lifetime against the desk clock: valid until exp, refused after', async () => {
    const { customerId } = await seedCustomerWithOrder(desk.deps);
    const early = await tokenFor(customerId, { exp: nowS() + 120 });
    const late = await tokenFor(customerId, { exp: nowS() + 120 });
    desk.clock.advance(119_000);
    expect((await exchange(early)).status).toBe(200);
    desk.clock.advance(60_000); // 59 s past exp: beyond the 30 s clock skew allowed
    const res = await exchange(late);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({
      code: 'unauthorized',
      detail: 'The token has expired.',
    });
  });

  it('deletes the uses of tokens past exp and the clock skew as later tokens are used, a bounded number each time', async () => {
    // Every token of the tests above has expired: this sign-in deletes their uses (fewer than
    // a batch), so what follows counts this test's rows alone.
    desk.clock.advance(MAX_HOST_TOKEN_LIFETIME_MS + HOST_TOKEN_CLOCK_SKEW_MS + 1_000);
    const { customerId } = await seedCustomerWithOrder(desk.deps);
    const used = await tokenFor(customerId, { exp: nowS() + 60 });
    expect((await exchange(used)).status).toBe(200);
    const purgeable = (atMs: number) =>
      desk.deps.store.db
        .selectFrom('hostTokenUses')
        .select('jti')
        .where('expiresAtMs', '<', atMs - HOST_TOKEN_CLOCK_SKEW_MS)
        .execute();
    expect(await purgeable(desk.clock.nowMs())).toEqual([]);

    // 60 s to exp and 30 s of skew later, the row may go (it would refuse nothing any more).
    desk.clock.advance(90_001);
    const nowMs = desk.clock.nowMs();
    const extra = HOST_TOKEN_USES_PURGED_PER_SIGN_IN + 20;
    const stale = Array.from({ length: extra }, (_, i) => ({
      jti: `stale-${String(i).padStart(4, '0')}`,
      customerId,
      usedAtMs: nowMs - 700_000,
      expiresAtMs: nowMs - HOST_TOKEN_CLOCK_SKEW_MS - 1 - i,
    }));
    const edge = { jti: 'at-the-edge', customerId, usedAtMs: nowMs - 100_000 };
    await desk.deps.store.db
      .insertInto('hostTokenUses')
      .values([
        ...stale,
        // Expired, but within the skew: a token with this jti could still be accepted.
        { ...edge, expiresAtMs: nowMs - HOST_TOKEN_CLOCK_SKEW_MS },
      ])
      .execute();
    expect(await purgeable(nowMs)).toHaveLength(extra + 1);

    expect((await exchange(await tokenFor(customerId))).status).toBe(200);
    expect(await purgeable(nowMs)).toHaveLength(extra + 1 - HOST_TOKEN_USES_PURGED_PER_SIGN_IN);
    expect((await exchange(await tokenFor(customerId))).status).toBe(200);
    expect(await purgeable(nowMs)).toEqual([]);
    const kept = (await usesOf(customerId)).map((use) => use.jti);
    expect(kept).toHaveLength(3);
    expect(kept).toContain('at-the-edge');
    // The purged token stays refused, as expired.
    expect(await (await exchange(used)).json()).toMatchObject({
      code: 'unauthorized',
      detail: 'The token has expired.',
    });
  });

  it('is off (404) when no host secret is configured', async () => {
    const off = deskOver(store());
    try {
      const { customerId } = await seedCustomerWithOrder(off.deps);
      const token = await sign(
        { sub: customerId, aud: 'refund-desk', jti: randomUUID(), exp: nowS() + 60 },
        SECRET,
        'HS256',
      );
      const res = await exchange(token, off);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ code: 'not_found' });
    } finally {
      off.dispose();
    }
  });

  it('gives a customer signed in by token no staff rights', async () => {
    const { customerId } = await seedCustomerWithOrder(desk.deps);
    const token = await sign(
      { sub: customerId, aud: 'refund-desk', jti: randomUUID(), exp: nowS() + 60 },
      SECRET,
      'HS256',
    );
    const cookie = sessionCookieFrom(await exchange(token));
    expect((await desk.app.request('/v1/staff-users', as({ cookie }))).status).toBe(403);
    expect((await desk.app.request('/v1/api-keys', as({ cookie }))).status).toBe(403);
    // And a staff cookie stays staff after a customer token is exchanged with another cookie.
    const staff = await staffSessionCookie(desk.deps, 'agent');
    expect(await (await desk.app.request('/v1/me', as({ cookie: staff }))).json()).toMatchObject({
      kind: 'staff',
    });
  });
});
