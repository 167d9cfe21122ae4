/**
 * Housekeeping on SQLite and PostgreSQL (app/housekeeping.ts): expired sessions, old sign-in
 * links, forgotten idempotency keys, host-token uses of expired tokens and sign-in failures out
 * of the window are deleted, everything that can still matter is kept; each call deletes at most
 * a batch per table; concurrent calls share the work; and the running worker purges when it
 * starts and then once per interval of the desk's clock, catching up with a backlog.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { HOST_TOKEN_CLOCK_SKEW_MS } from '../../src/app/auth/host-token.js';
import {
  KEEP_LINKS_MS,
  MAX_SIGN_IN_LINKS_PER_WINDOW,
  SIGN_IN_LINK_TTL_MS,
  SIGN_IN_LINK_WINDOW_MS,
  redeemSignInLink,
  requestSignInLink,
} from '../../src/app/auth/sign-in-links.js';
import { STAFF_SIGN_IN_LIMITS } from '../../src/app/auth/sign-in-throttle.js';
import type { AppContext } from '../../src/app/context.js';
import {
  HOUSEKEEPING_LIMITS,
  SESSION_RETENTION_MS,
  purgeExpired,
  purgedFullBatch,
  type PurgeCounts,
} from '../../src/app/housekeeping.js';
import { IDEMPOTENCY_LIMITS } from '../../src/app/idempotency.js';
import { HOUSEKEEPING_INTERVAL_MS, startWorker } from '../../src/jobs/worker.js';
import type { Store } from '../../src/store/connect.js';
import {
  DESK_T0_MS,
  deskOver,
  seedCustomerWithOrder,
  signInLinkTokens,
  type TestDesk,
} from '../support/people.js';
import { describeEachEngine, type TestStore } from '../support/stores.js';

const NOW_MS = DESK_T0_MS;
const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
const NOTHING: PurgeCounts = {
  sessions: 0,
  signInLinks: 0,
  idempotencyKeys: 0,
  hostTokenUses: 0,
  staffSignInFailures: 0,
};

let seq = 0;
function ids(prefix: string, count: number): string[] {
  return Array.from({ length: count }, () => `${prefix}-${(seq += 1)}`);
}

// Fixtures, named by the state of the rows they store; each returns the rows' keys.

async function seedSessions(
  store: Store,
  count: number,
  row: { readonly expiresAtMs: number; readonly revokedAtMs: number | null },
): Promise<string[]> {
  const keys = ids('session', count);
  await store.db
    .insertInto('sessions')
    .values(
      keys.map((tokenHash) => ({
        tokenHash,
        subjectKind: 'customer' as const,
        subjectId: 'cus_housekeeping',
        createdAtMs: Math.min(row.expiresAtMs, row.revokedAtMs ?? row.expiresAtMs) - HOUR_MS,
        ...row,
      })),
    )
    .execute();
  return keys;
}

function seedExpiredSessions(store: Store, count: number, expiredAtMs: number) {
  return seedSessions(store, count, { expiresAtMs: expiredAtMs, revokedAtMs: null });
}

function seedRevokedSessions(store: Store, count: number, revokedAtMs: number) {
  return seedSessions(store, count, { expiresAtMs: NOW_MS + DAY_MS, revokedAtMs });
}

function seedLiveSessions(store: Store, count: number) {
  return seedSessions(store, count, { expiresAtMs: NOW_MS + HOUR_MS, revokedAtMs: null });
}

async function seedSignInLinks(
  store: Store,
  customerId: string,
  count: number,
  createdAtMs: number,
  usedAtMs: number | null = null,
): Promise<string[]> {
  const keys = ids('link', count);
  await store.db
    .insertInto('signInLinks')
    .values(
      keys.map((tokenHash) => ({
        tokenHash,
        customerId,
        email: 'housekeeping@example.com',
        createdAtMs,
        expiresAtMs: createdAtMs + SIGN_IN_LINK_TTL_MS,
        usedAtMs,
      })),
    )
    .execute();
  return keys;
}

const seedUnusedSignInLinks = (store: Store, customerId: string, n: number, createdAtMs: number) =>
  seedSignInLinks(store, customerId, n, createdAtMs);

const seedUsedSignInLinks = (store: Store, customerId: string, n: number, createdAtMs: number) =>
  seedSignInLinks(store, customerId, n, createdAtMs, createdAtMs + 60_000);

async function seedIdempotencyKeys(
  store: Store,
  count: number,
  row: { readonly state: 'done' | 'in_flight'; readonly createdAtMs: number },
): Promise<string[]> {
  const keys = ids('key', count);
  const done = row.state === 'done';
  await store.db
    .insertInto('idempotencyKeys')
    .values(
      keys.map((key) => ({
        scope: 'customer:cus_housekeeping',
        key,
        requestHash: 'hash',
        state: row.state,
        responseStatus: done ? 201 : null,
        responseBody: done ? '{}' : null,
        responseHeadersJson: done ? '{}' : null,
        createdAtMs: row.createdAtMs,
        lockedUntilMs: row.createdAtMs + IDEMPOTENCY_LIMITS.lockTtlMs,
      })),
    )
    .execute();
  return keys;
}

const seedFinishedKeys = (store: Store, count: number, createdAtMs: number) =>
  seedIdempotencyKeys(store, count, { state: 'done', createdAtMs });

/** Keys whose first request never finished; their lock ends `lockTtlMs` after `createdAtMs`. */
const seedInFlightKeys = (store: Store, count: number, createdAtMs: number) =>
  seedIdempotencyKeys(store, count, { state: 'in_flight', createdAtMs });

async function seedHostTokenUses(
  store: Store,
  count: number,
  expiresAtMs: number,
): Promise<string[]> {
  const keys = ids('jti', count);
  await store.db
    .insertInto('hostTokenUses')
    .values(
      keys.map((jti) => ({
        jti,
        customerId: 'cus_housekeeping',
        usedAtMs: expiresAtMs - 60_000,
        expiresAtMs,
      })),
    )
    .execute();
  return keys;
}

async function seedSignInFailures(store: Store, count: number, atMs: number): Promise<string[]> {
  const keys = ids('ssf', count);
  await store.db
    .insertInto('staffSignInFailures')
    .values(keys.map((id) => ({ id, email: 'agent@desk.example', ip: '203.0.113.9', atMs })))
    .execute();
  return keys;
}

/** Of every kind, `count` rows purgeable at NOW_MS (the failures one minute apart, oldest first). */
async function seedPurgeableRowsOfEveryKind(store: Store, customerId: string, count: number) {
  const longAgoMs = NOW_MS - 30 * DAY_MS;
  return {
    sessions: await seedExpiredSessions(store, count, longAgoMs),
    signInLinks: await seedUsedSignInLinks(store, customerId, count, longAgoMs),
    idempotencyKeys: await seedFinishedKeys(store, count, longAgoMs),
    hostTokenUses: await seedHostTokenUses(store, count, longAgoMs),
    staffSignInFailures: (
      await Promise.all(
        Array.from({ length: count }, (_, i) =>
          seedSignInFailures(store, 1, longAgoMs + i * 60_000),
        ),
      )
    ).flat(),
  };
}

// What is left of the given rows.

async function sessionsLeft(store: Store, keys: readonly string[]): Promise<string[]> {
  const rows = await store.db
    .selectFrom('sessions')
    .select('tokenHash')
    .where('tokenHash', 'in', keys)
    .execute();
  return rows.map((r) => r.tokenHash).sort();
}

async function linksLeft(store: Store, keys: readonly string[]): Promise<string[]> {
  const rows = await store.db
    .selectFrom('signInLinks')
    .select('tokenHash')
    .where('tokenHash', 'in', keys)
    .execute();
  return rows.map((r) => r.tokenHash).sort();
}

async function keysLeft(store: Store, keys: readonly string[]): Promise<string[]> {
  const rows = await store.db
    .selectFrom('idempotencyKeys')
    .select('key')
    .where('key', 'in', keys)
    .execute();
  return rows.map((r) => r.key).sort();
}

async function usesLeft(store: Store, keys: readonly string[]): Promise<string[]> {
  const rows = await store.db
    .selectFrom('hostTokenUses')
    .select('jti')
    .where('jti', 'in', keys)
    .execute();
  return rows.map((r) => r.jti).sort();
}

async function failuresLeft(store: Store, keys: readonly string[]): Promise<string[]> {
  const rows = await store.db
    .selectFrom('staffSignInFailures')
    .select('id')
    .where('id', 'in', keys)
    .execute();
  return rows.map((r) => r.id).sort();
}

async function rowsOfEveryKind(store: Store): Promise<PurgeCounts> {
  const count = async (table: keyof PurgeCounts) => {
    const rows = await store.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll().as('n'))
      .execute();
    return Number(rows[0]?.n ?? 0);
  };
  return {
    sessions: await count('sessions'),
    signInLinks: await count('signInLinks'),
    idempotencyKeys: await count('idempotencyKeys'),
    hostTokenUses: await count('hostTokenUses'),
    staffSignInFailures: await count('staffSignInFailures'),
  };
}

const sorted = (...lists: readonly string[][]) => lists.flat().sort();

describeEachEngine('housekeeping', (store: () => TestStore) => {
  let desk: TestDesk;
  let ctx: AppContext;
  let customerId: string;

  beforeEach(async () => {
    const { db } = store();
    // Every test counts from empty tables of the kinds purged.
    await db.deleteFrom('sessions').execute();
    await db.deleteFrom('signInLinks').execute();
    await db.deleteFrom('idempotencyKeys').execute();
    await db.deleteFrom('hostTokenUses').execute();
    await db.deleteFrom('staffSignInFailures').execute();
    desk = deskOver(store());
    ctx = desk.deps;
    customerId = (await seedCustomerWithOrder(desk.deps)).customerId;
  });

  afterEach(() => {
    desk.dispose();
  });

  it('deletes sessions that expired or were revoked more than the retention ago, and keeps the others', async () => {
    const cutoffMs = NOW_MS - SESSION_RETENTION_MS;
    const expiredLongAgo = await seedExpiredSessions(store(), 2, cutoffMs - 1);
    const expiredAtCutoff = await seedExpiredSessions(store(), 1, cutoffMs);
    const revokedLongAgo = await seedRevokedSessions(store(), 2, cutoffMs - 1);
    const expiredRecently = await seedExpiredSessions(store(), 1, cutoffMs + 1);
    const revokedRecently = await seedRevokedSessions(store(), 1, NOW_MS - HOUR_MS);
    const live = await seedLiveSessions(store(), 2);

    expect(await purgeExpired(ctx, NOW_MS)).toEqual({ ...NOTHING, sessions: 5 });
    expect(
      await sessionsLeft(
        store(),
        sorted(
          expiredLongAgo,
          expiredAtCutoff,
          revokedLongAgo,
          expiredRecently,
          revokedRecently,
          live,
        ),
      ),
    ).toEqual(sorted(expiredRecently, revokedRecently, live));
  });

  it('deletes sign-in links older than a day, used or not, and keeps younger ones, expired and used included', async () => {
    const dayAgoMs = NOW_MS - KEEP_LINKS_MS;
    const oldUnused = await seedUnusedSignInLinks(store(), customerId, 2, dayAgoMs - 1);
    const oldUsed = await seedUsedSignInLinks(store(), customerId, 2, dayAgoMs - 1);
    const expiredToday = await seedUnusedSignInLinks(store(), customerId, 1, NOW_MS - 2 * HOUR_MS);
    const usedInTheWindow = await seedUsedSignInLinks(store(), customerId, 1, NOW_MS - 20 * 60_000);
    const live = await seedUnusedSignInLinks(store(), customerId, 1, NOW_MS - 60_000);

    expect(await purgeExpired(ctx, NOW_MS)).toEqual({ ...NOTHING, signInLinks: 4 });
    expect(
      await linksLeft(store(), sorted(oldUnused, oldUsed, expiredToday, usedInTheWindow, live)),
    ).toEqual(sorted(expiredToday, usedInTheWindow, live));
  });

  it('keeps the links the per-email rate limit counts: purging expired and used ones does not lift it', async () => {
    const { orderEmail } = await seedCustomerWithOrder(desk.deps);
    for (let i = 0; i < MAX_SIGN_IN_LINKS_PER_WINDOW; i += 1) {
      expect((await requestSignInLink(desk.deps, orderEmail)).status).toBe('mailed');
    }
    const [token] = desk.newMail().flatMap(signInLinkTokens);
    expect((await redeemSignInLink(desk.deps, token ?? '')).ok).toBe(true);
    desk.clock.advance(SIGN_IN_LINK_TTL_MS + 1); // every link is expired or used now

    await purgeExpired(ctx, desk.clock.nowMs());
    expect((await requestSignInLink(desk.deps, orderEmail)).status).toBe('rate_limited');

    desk.clock.set(NOW_MS + SIGN_IN_LINK_WINDOW_MS + 1);
    expect((await requestSignInLink(desk.deps, orderEmail)).status).toBe('mailed');
  });

  it('deletes idempotency keys past their retention, finished or abandoned, and never a live or recent claim', async () => {
    const cutoffMs = NOW_MS - IDEMPOTENCY_LIMITS.retentionMs;
    const { lockTtlMs } = IDEMPOTENCY_LIMITS;
    const finishedLongAgo = await seedFinishedKeys(store(), 2, cutoffMs);
    const finishedRecently = await seedFinishedKeys(store(), 1, cutoffMs + 1);
    const abandonedLongAgo = await seedInFlightKeys(store(), 2, cutoffMs - lockTtlMs);
    // Abandoned (its lock ran out) but within the retention: another body under it is refused.
    const abandonedRecently = await seedInFlightKeys(store(), 1, cutoffMs - lockTtlMs + 1);
    const inFlight = await seedInFlightKeys(store(), 1, NOW_MS - 1_000);

    expect(await purgeExpired(ctx, NOW_MS)).toEqual({ ...NOTHING, idempotencyKeys: 4 });
    expect(
      await keysLeft(
        store(),
        sorted(finishedLongAgo, finishedRecently, abandonedLongAgo, abandonedRecently, inFlight),
      ),
    ).toEqual(sorted(finishedRecently, abandonedRecently, inFlight));
  });

  it('deletes host-token uses of tokens expired beyond the clock skew, and keeps the others', async () => {
    const refusedBeforeMs = NOW_MS - HOST_TOKEN_CLOCK_SKEW_MS;
    const expiredBeyondSkew = await seedHostTokenUses(store(), 2, refusedBeforeMs - 1);
    const expiredWithinSkew = await seedHostTokenUses(store(), 1, NOW_MS - 1_000);
    const live = await seedHostTokenUses(store(), 1, NOW_MS + 60_000);

    expect(await purgeExpired(ctx, NOW_MS)).toEqual({ ...NOTHING, hostTokenUses: 2 });
    expect(await usesLeft(store(), sorted(expiredBeyondSkew, expiredWithinSkew, live))).toEqual(
      sorted(expiredWithinSkew, live),
    );
  });

  it('deletes sign-in failures that have left the throttle window, and keeps those it counts', async () => {
    const windowStartMs = NOW_MS - STAFF_SIGN_IN_LIMITS.windowMs;
    const outOfWindow = await seedSignInFailures(store(), 2, windowStartMs);
    const inWindow = await seedSignInFailures(store(), 2, windowStartMs + 1);

    expect(await purgeExpired(ctx, NOW_MS)).toEqual({ ...NOTHING, staffSignInFailures: 2 });
    expect(await failuresLeft(store(), sorted(outOfWindow, inWindow))).toEqual(sorted(inWindow));
  });

  it('deletes at most a batch per table per call, the oldest first; the next call goes on', async () => {
    const limits = { maxRowsPerTable: 3 };
    const seeded = await seedPurgeableRowsOfEveryKind(store(), customerId, 5);
    const full = { sessions: 3, signInLinks: 3, idempotencyKeys: 3, hostTokenUses: 3 };

    const first = await purgeExpired(ctx, NOW_MS, limits);
    expect(first).toEqual({ ...full, staffSignInFailures: 3 });
    expect(purgedFullBatch(first, limits)).toBe(true);
    // The failures were a minute apart: the two newest are left.
    expect(await failuresLeft(store(), seeded.staffSignInFailures)).toEqual(
      seeded.staffSignInFailures.slice(3).sort(),
    );

    const second = await purgeExpired(ctx, NOW_MS, limits);
    expect(second).toEqual({
      sessions: 2,
      signInLinks: 2,
      idempotencyKeys: 2,
      hostTokenUses: 2,
      staffSignInFailures: 2,
    });
    expect(purgedFullBatch(second, limits)).toBe(false);
    expect(await purgeExpired(ctx, NOW_MS, limits)).toEqual(NOTHING);
    expect(await rowsOfEveryKind(store())).toEqual(NOTHING);
  });

  it('refuses a batch size that is not a positive integer', async () => {
    await expect(purgeExpired(ctx, NOW_MS, { maxRowsPerTable: 0 })).rejects.toThrow(RangeError);
  });

  it('two purges at once share the work: every purgeable row deleted once, nothing else', async () => {
    const limits = { maxRowsPerTable: 40 };
    await seedPurgeableRowsOfEveryKind(store(), customerId, 60);
    const live = await seedLiveSessions(store(), 3);

    const both = await Promise.all([
      purgeExpired(ctx, NOW_MS, limits),
      purgeExpired(ctx, NOW_MS, limits),
    ]);
    const third = await purgeExpired(ctx, NOW_MS, limits);
    for (const table of Object.keys(NOTHING) as (keyof PurgeCounts)[]) {
      expect(both.every((counts) => counts[table] <= limits.maxRowsPerTable)).toBe(true);
      expect(both[0]![table] + both[1]![table] + third[table]).toBe(60);
    }
    expect(await rowsOfEveryKind(store())).toEqual({ ...NOTHING, sessions: live.length });
  });

  it('the running worker purges when it starts, then once per interval of the desk clock', async () => {
    const cutoffMs = NOW_MS - SESSION_RETENTION_MS;
    const expiredLongAgo = await seedExpiredSessions(store(), 1, cutoffMs - 1);
    const dueInHalfAnInterval = await seedExpiredSessions(
      store(),
      1,
      cutoffMs + HOUSEKEEPING_INTERVAL_MS / 2,
    );
    const worker = startWorker(desk.deps, {
      workerId: 'housekeeping-test',
      pollIntervalMs: 5,
      queues: { timers: false, notifications: false, webhooks: false },
    });
    try {
      await vi.waitFor(async () => expect(await sessionsLeft(store(), expiredLongAgo)).toEqual([]));
      expect(await sessionsLeft(store(), dueInHalfAnInterval)).toEqual(dueInHalfAnInterval);

      // Purgeable now, but the next run is not due yet: several idle passes leave it.
      desk.clock.advance(HOUSEKEEPING_INTERVAL_MS / 2);
      await sleep(100);
      expect(await sessionsLeft(store(), dueInHalfAnInterval)).toEqual(dueInHalfAnInterval);

      desk.clock.advance(HOUSEKEEPING_INTERVAL_MS / 2);
      await vi.waitFor(async () =>
        expect(await sessionsLeft(store(), dueInHalfAnInterval)).toEqual([]),
      );
    } finally {
      await worker.stop();
    }
  });

  it('the running worker catches up with a backlog of several batches without waiting for the interval', async () => {
    const backlog = 2 * HOUSEKEEPING_LIMITS.maxRowsPerTable + 100;
    await seedSignInFailures(store(), backlog, NOW_MS - DAY_MS);
    const errors: unknown[] = [];
    const worker = startWorker(desk.deps, {
      workerId: 'housekeeping-backlog-test',
      pollIntervalMs: 5,
      queues: { timers: false, notifications: false, webhooks: false },
      onError: (error) => errors.push(error),
    });
    try {
      // The desk's clock stands still: only full batches make the next run due.
      await vi.waitFor(
        async () => expect((await rowsOfEveryKind(store())).staffSignInFailures).toBe(0),
        { timeout: 10_000 },
      );
    } finally {
      await worker.stop();
    }
    expect(errors).toEqual([]);
  });
});
