/**
 * Durable timers on both engines: scheduling is idempotent by effect key, each effect happens
 * once (a second run, a second worker, a duplicate effect row), a crashed worker's claim is taken
 * over after its lease, failures are retried with back-off and given up with the error kept,
 * SLA warnings and breaches fire once and move with pauses, progress updates repeat while a case
 * is open, and a pending case re-decides itself after a restart of store and worker.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { SYSTEM_ORIGIN, ManualClock, type DeskDeps } from '../../src/app/context.js';
import { answerInfoRequest, askCustomer } from '../../src/app/cases/info.js';
import { OutboxMailer } from '../../src/app/mail.js';
import {
  claimTimers,
  runTimer,
  scheduleTimer,
  timerBackoffMs,
  TIMER_LIMITS,
  type TimerHandlers,
} from '../../src/app/timers.js';
import { CASE_TIMER_HANDLERS } from '../../src/app/timer-handlers.js';
import { createApp } from '../../src/http/app.js';
import { runUntilIdle, runWorkerPass } from '../../src/jobs/worker.js';
import { openStore, type Engine, type Store } from '../../src/store/connect.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { caseDesk, seedPendingCase, seedReviewCase, type CaseDesk } from '../support/cases-desk.js';
import { DAY_MS } from '../support/intake.js';
import {
  ENGINES,
  TEST_DATABASE_URL,
  createTestSchema,
  describeEachEngine,
} from '../support/stores.js';

const HOUR_MS = 60 * 60_000;

async function timersOf(store: Store, requestId: string) {
  return store.db
    .selectFrom('timers')
    .selectAll()
    .where('requestId', '=', requestId)
    .orderBy('createdAtMs')
    .orderBy('id')
    .execute();
}

async function effectsOf(store: Store, requestId: string) {
  return store.db
    .selectFrom('timerEffects')
    .selectAll()
    .where('requestId', '=', requestId)
    .orderBy('atMs')
    .execute();
}

async function stateOf(store: Store, requestId: string): Promise<string> {
  const row = await store.db
    .selectFrom('refundRequests')
    .select('state')
    .where('id', '=', requestId)
    .executeTakeFirstOrThrow();
  return row.state;
}

/** Handlers that count their calls (and fire), or throw, for any kind. */
function countingHandlers(calls: string[], fail?: Error): TimerHandlers {
  const handler = async (_trx: unknown, timer: { effectKey: string }) => {
    calls.push(timer.effectKey);
    if (fail !== undefined) throw fail;
    return { outcome: 'fired' as const };
  };
  return {
    redecide: handler,
    sla_warning: handler,
    sla_breach: handler,
    progress_update: handler,
  };
}

async function scheduleOne(deps: DeskDeps, requestId: string, effectKey: string, dueAtMs: number) {
  await deps.store.db.transaction().execute((trx) =>
    scheduleTimer(trx, deps.clock.nowMs(), {
      kind: 'progress_update',
      effectKey,
      requestId,
      dueAtMs,
      payload: { n: 1 },
    }),
  );
}

describeEachEngine('durable timers', (store) => {
  const desks: CaseDesk[] = [];
  afterAll(() => {
    for (const d of desks) d.dispose();
  });
  function desk(): CaseDesk {
    const d = caseDesk(store());
    desks.push(d);
    return d;
  }

  it('schedules an effect once however often it is asked for, and never re-arms a fired one', async () => {
    const d = desk();
    const requestId = `rr_test_${randomBytes(4).toString('hex')}`;
    const key = `test:${requestId}`;
    const now = d.clock.nowMs();
    await scheduleOne(d.deps, requestId, key, now + HOUR_MS);
    await scheduleOne(d.deps, requestId, key, now + 2 * HOUR_MS);
    let timers = await timersOf(store(), requestId);
    expect(timers).toHaveLength(1);
    expect(timers[0]).toMatchObject({ status: 'pending', dueAtMs: now + 2 * HOUR_MS });

    d.clock.advance(2 * HOUR_MS);
    const calls: string[] = [];
    await runUntilIdle(d.deps, { timerHandlers: countingHandlers(calls) });
    expect(calls).toEqual([key]);
    await scheduleOne(d.deps, requestId, key, d.clock.nowMs());
    await runUntilIdle(d.deps, { timerHandlers: countingHandlers(calls) });
    expect(calls).toEqual([key]);
    timers = await timersOf(store(), requestId);
    expect(timers).toMatchObject([{ status: 'done', outcome: 'fired' }]);
    expect(await effectsOf(store(), requestId)).toHaveLength(1);
  });

  it('fires each effect once: a second run, a second worker and a duplicate effect row are refused', async () => {
    const d = desk();
    const requestId = `rr_test_${randomBytes(4).toString('hex')}`;
    await scheduleOne(d.deps, requestId, `once:${requestId}`, d.clock.nowMs());
    const calls: string[] = [];
    const handlers = countingHandlers(calls);
    const [claimed] = await claimTimers(d.deps, { workerId: 'a', limit: 10, leaseMs: 60_000 });
    expect(claimed?.requestId).toBe(requestId);
    // Another worker finds nothing to claim while the lease holds.
    const other = await claimTimers(d.deps, { workerId: 'b', limit: 10, leaseMs: 60_000 });
    expect(other.filter((t) => t.requestId === requestId)).toEqual([]);
    if (claimed === undefined) throw new Error('unreachable');
    expect(await runTimer(d.deps, claimed, 'b', handlers)).toBe('skipped');
    expect(await runTimer(d.deps, claimed, 'a', handlers)).toBe('fired');
    expect(await runTimer(d.deps, claimed, 'a', handlers)).toBe('skipped');
    expect(calls).toHaveLength(1);
    await expect(
      store()
        .db.insertInto('timerEffects')
        .values({
          effectKey: `once:${requestId}`,
          timerId: claimed.id,
          kind: 'progress_update',
          requestId,
          worker: 'c',
          detailJson: '{}',
          atMs: d.clock.nowMs(),
        })
        .execute(),
    ).rejects.toThrow(/unique|UNIQUE|duplicate/i);
    expect(await effectsOf(store(), requestId)).toHaveLength(1);
  });

  it("takes over a crashed worker's claim after its lease; the late worker then does nothing", async () => {
    const d = desk();
    const requestId = `rr_test_${randomBytes(4).toString('hex')}`;
    await scheduleOne(d.deps, requestId, `lease:${requestId}`, d.clock.nowMs());
    const mine = (t: { requestId: string }) => t.requestId === requestId;
    const crashed = (
      await claimTimers(d.deps, { workerId: 'crashed', limit: 100, leaseMs: 30_000 })
    ).filter(mine);
    expect(crashed).toHaveLength(1);
    d.clock.advance(29_000);
    expect(
      (await claimTimers(d.deps, { workerId: 'b', limit: 100, leaseMs: 30_000 })).filter(mine),
    ).toEqual([]);
    d.clock.advance(1_000);
    const taken = (
      await claimTimers(d.deps, { workerId: 'b', limit: 100, leaseMs: 30_000 })
    ).filter(mine);
    expect(taken).toHaveLength(1);
    const calls: string[] = [];
    const handlers = countingHandlers(calls);
    expect(await runTimer(d.deps, taken[0] ?? crashed[0]!, 'b', handlers)).toBe('fired');
    expect(await runTimer(d.deps, crashed[0]!, 'crashed', handlers)).toBe('skipped');
    expect(calls).toHaveLength(1);
    expect(await effectsOf(store(), requestId)).toMatchObject([{ worker: 'b' }]);
  });

  it('retries a failing handler after a growing back-off and gives up at the limit, keeping the error', async () => {
    const d = desk();
    const requestId = `rr_test_${randomBytes(4).toString('hex')}`;
    await scheduleOne(d.deps, requestId, `fail:${requestId}`, d.clock.nowMs());
    const calls: string[] = [];
    const handlers = countingHandlers(calls, new Error('the facts are broken'));
    for (let attempt = 1; attempt <= TIMER_LIMITS.maxAttempts; attempt += 1) {
      await runWorkerPass(d.deps, {
        timerHandlers: handlers,
        queues: { timers: true, notifications: false, webhooks: false },
      });
      expect(calls).toHaveLength(attempt);
      const [timer] = await timersOf(store(), requestId);
      expect(timer?.lastError).toBe('the facts are broken');
      if (attempt < TIMER_LIMITS.maxAttempts) {
        expect(timer).toMatchObject({ status: 'pending', attempts: attempt });
        expect(timer?.leaseUntilMs).toBe(d.clock.nowMs() + timerBackoffMs(attempt));
        // Not before the back-off…
        d.clock.advance(timerBackoffMs(attempt) - 1);
        await runWorkerPass(d.deps, {
          timerHandlers: handlers,
          queues: { timers: true, notifications: false, webhooks: false },
        });
        expect(calls).toHaveLength(attempt);
        d.clock.advance(1);
      } else {
        expect(timer).toMatchObject({ status: 'cancelled', outcome: 'gave_up' });
      }
    }
    expect(timerBackoffMs(2)).toBe(2 * timerBackoffMs(1));
    expect(await effectsOf(store(), requestId)).toEqual([]);
  });

  it('warns and breaches the SLA once each; asking the customer pauses them and the answer moves them', async () => {
    const d = desk();
    const filed = await seedReviewCase(d);
    expect(filed.state).toBe('in_review');
    const slaEffects = async () =>
      (await effectsOf(store(), filed.requestId)).filter((e) => e.kind.startsWith('sla_'));
    const request = await store()
      .db.selectFrom('refundRequests')
      .select(['slaTargetAtMs', 'slaDeadlineAtMs'])
      .where('id', '=', filed.requestId)
      .executeTakeFirstOrThrow();
    const sla = (await timersOf(store(), filed.requestId))
      .filter((t) => t.kind.startsWith('sla'))
      .sort((a, b) => a.dueAtMs - b.dueAtMs);
    expect(sla.map((t) => [t.kind, t.dueAtMs])).toEqual([
      ['sla_warning', request.slaTargetAtMs],
      ['sla_breach', request.slaDeadlineAtMs],
    ]);
    const targetAtMs = request.slaTargetAtMs ?? 0;
    const deadlineAtMs = request.slaDeadlineAtMs ?? 0;

    // Just before the target nothing fires; at it, the warning fires once.
    d.clock.set(targetAtMs - 1);
    await runUntilIdle(d.deps);
    expect(await slaEffects()).toEqual([]);
    d.clock.set(targetAtMs);
    await runUntilIdle(d.deps);
    await runUntilIdle(d.deps);
    expect((await slaEffects()).map((e) => e.kind)).toEqual(['sla_warning']);

    // Waiting on the customer pauses the clock: the breach does not fire at the old deadline.
    const asked = await askCustomer(d.deps, SYSTEM_ORIGIN, filed.requestId, {
      questions: ['Which exit IP did you use?'],
      reason: null,
    });
    expect(asked.ok).toBe(true);
    d.clock.set(deadlineAtMs + DAY_MS);
    await runUntilIdle(d.deps);
    expect((await slaEffects()).map((e) => e.kind)).toEqual(['sla_warning']);

    // The answer resumes it with a later deadline; the breach fires there, once.
    if (!asked.ok) throw new Error('unreachable');
    const answered = await answerInfoRequest(
      d.deps,
      { actor: { kind: 'customer', id: filed.order.customerId }, ip: null },
      filed.order.customerId,
      filed.requestId,
      asked.value.id,
      'From 203.0.113.7.',
    );
    expect(answered.ok).toBe(true);
    const breach = (await timersOf(store(), filed.requestId)).find((t) => t.kind === 'sla_breach');
    expect(breach?.status).toBe('pending');
    expect(breach?.dueAtMs).toBeGreaterThan(deadlineAtMs + DAY_MS);
    d.clock.set((breach?.dueAtMs ?? 0) - 1);
    await runUntilIdle(d.deps);
    expect((await slaEffects()).map((e) => e.kind)).toEqual(['sla_warning']);
    d.clock.set(breach?.dueAtMs ?? 0);
    await runUntilIdle(d.deps);
    await runUntilIdle(d.deps);
    expect((await slaEffects()).map((e) => e.kind)).toEqual(['sla_warning', 'sla_breach']);
    const audited = await store()
      .db.selectFrom('auditLog')
      .select('action')
      .where('entityId', '=', filed.requestId)
      .where('action', 'like', 'case.sla_%')
      .execute();
    expect(audited.map((a) => a.action)).toEqual(['case.sla_warning', 'case.sla_breach']);
  });

  it('mails progress updates every N business days while the case is open, none after it closes', async () => {
    const d = desk();
    const deps: DeskDeps = { ...d.deps, notify: { progressUpdateBusinessDays: 2 } };
    const filed = await seedReviewCase({ ...d, deps, app: createApp({ desk: deps }) });
    const progress = () =>
      store()
        .db.selectFrom('notifications')
        .select(['kind', 'text', 'status'])
        .where('requestId', '=', filed.requestId)
        .where('kind', '=', 'progress_update')
        .execute();
    const first = (await timersOf(store(), filed.requestId)).find(
      (t) => t.kind === 'progress_update',
    );
    // Filed on a Monday 10:00 UTC slot or later; 2 business days later it is due.
    expect(first?.dueAtMs).toBeGreaterThan(d.clock.nowMs());
    d.clock.set((first?.dueAtMs ?? 0) - 1);
    await runUntilIdle(deps);
    expect(await progress()).toEqual([]);
    d.clock.set(first?.dueAtMs ?? 0);
    await runUntilIdle(deps);
    expect(await progress()).toMatchObject([{ status: 'sent' }]);
    expect((await progress())[0]?.text).toMatch(/has been open for 2 business days/);
    // A long outage: one catch-up update, not one per missed period.
    d.clock.advance(30 * DAY_MS);
    await runUntilIdle(deps);
    expect(await progress()).toHaveLength(2);

    const staff = {
      actor: { kind: 'staff' as const, id: 'stf_test', role: 'agent' as const },
      ip: null,
    };
    const { deny } = await import('../../src/app/cases/review.js');
    const denied = await deny(deps, staff, filed.requestId, {
      reason: 'Caused by the target site.',
    });
    expect(denied.ok).toBe(true);
    d.clock.advance(30 * DAY_MS);
    await runUntilIdle(deps);
    expect(await progress()).toHaveLength(2);
    expect(
      (await timersOf(store(), filed.requestId)).filter((t) => t.status === 'pending'),
    ).toEqual([]);
  });
});

// ── Restarts ─────────────────────────────────────────────────────────────────────────────────

interface Reopenable {
  open(): Promise<Store>;
  dispose(): Promise<void>;
}

async function reopenable(engine: Engine): Promise<Reopenable> {
  if (engine === 'postgres') {
    const schema = await createTestSchema();
    return {
      async open() {
        const store = openStore({ url: TEST_DATABASE_URL, schema, poolSize: 4 });
        await migrateToLatest(store.db, 'postgres');
        return store;
      },
      async dispose() {
        const store = openStore({ url: TEST_DATABASE_URL, schema, poolSize: 1 });
        await sql.raw(`DROP SCHEMA ${schema} CASCADE`).execute(store.db);
        await store.close();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'refund-desk-restart-'));
  return {
    async open() {
      const store = openStore({ url: `sqlite:${join(dir, 'desk.sqlite')}` });
      await migrateToLatest(store.db);
      return store;
    },
    async dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

for (const engine of ENGINES) {
  describe(`a pending case across a restart [${engine}]`, () => {
    it('re-decides itself when its window closes, after store and worker were closed and reopened', async () => {
      const db = await reopenable(engine);
      try {
        // Before the restart: the case is filed and waits out its remediation window.
        const first = await db.open();
        const d = caseDesk(first);
        const filed = await seedPendingCase(d);
        expect(filed.state).toBe('pending_remediation');
        const [redecide] = (await timersOf(first, filed.requestId)).filter(
          (t) => t.kind === 'redecide',
        );
        expect(redecide?.status).toBe('pending');
        const decidableAtMs = redecide?.dueAtMs ?? 0;
        d.clock.set(decidableAtMs - 1);
        await runUntilIdle(d.deps);
        expect(await stateOf(first, filed.requestId)).toBe('pending_remediation');
        await first.close();
        d.dispose();

        // After it: a new store, a new worker, a clock past decidableAt.
        const second = await db.open();
        const clock = new ManualClock(decidableAtMs + HOUR_MS);
        const outbox = mkdtempSync(join(tmpdir(), 'refund-desk-restart-mail-'));
        const deps: DeskDeps = {
          store: second,
          clock,
          mailer: new OutboxMailer(outbox, { clock }),
          evidenceDir: join(outbox, 'evidence'),
          publicUrl: 'http://127.0.0.1:3000',
        };
        try {
          await runUntilIdle(deps, { timerHandlers: CASE_TIMER_HANDLERS });
          await runUntilIdle(deps);
          const state = await stateOf(second, filed.requestId);
          expect(state).not.toBe('pending_remediation');
          const decisions = await second.db
            .selectFrom('decisions')
            .select(['seq', 'outcome', 'decidedAtMs'])
            .where('requestId', '=', filed.requestId)
            .orderBy('seq')
            .execute();
          expect(decisions.map((x) => x.outcome)).toEqual(['pending', 'full_refund']);
          expect(decisions[1]?.decidedAtMs).toBe(clock.nowMs());
          expect(
            (await effectsOf(second, filed.requestId)).filter((e) => e.kind === 'redecide'),
          ).toHaveLength(1);
          const log = await second.db
            .selectFrom('caseTransitions')
            .select(['event', 'actorId'])
            .where('requestId', '=', filed.requestId)
            .orderBy('seq')
            .execute();
          expect(log[1]).toEqual({ event: 'decide_full_refund', actorId: 'timer' });
          const decided = await second.db
            .selectFrom('notifications')
            .select(['status', 'text'])
            .where('requestId', '=', filed.requestId)
            .where('kind', '=', 'decided')
            .execute();
          expect(decided).toMatchObject([{ status: 'sent' }]);
          expect(decided[0]?.text).toMatch(/Full refund: 60\.00 USD/);
          // Running again changes nothing.
          clock.advance(DAY_MS);
          await runUntilIdle(deps);
          expect(
            (await effectsOf(second, filed.requestId)).filter((e) => e.kind === 'redecide'),
          ).toHaveLength(1);
        } finally {
          await second.close();
          rmSync(outbox, { recursive: true, force: true });
        }
      } finally {
        await db.dispose();
      }
    });
  });
}
