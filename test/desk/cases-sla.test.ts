/**
 * SLA clocks: a walk-through with a controllable clock (intake → ask for information, clock
 * paused → answer → review → approval) whose due instants shift by exactly the paused business
 * days, the staff queue sorted by deadline with warned and breached cases marked, on both
 * engines; and a property of `slaOf`: pausing never makes a due instant earlier.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { caseConfigFromEnv } from '../../src/app/cases/config.js';
import { addBusinessDays } from '../../src/domain/calendar.js';
import type { CaseState, StateLogEntry } from '../../src/domain/case-state.js';
import { slaOf } from '../../src/domain/sla.js';
import { jsonPost } from '../support/intake.js';
import { as, customerSessionCookie } from '../support/people.js';
import {
  CASES,
  calendarOf,
  caseDesk,
  readCase,
  seedReviewCase,
  type CaseDesk,
} from '../support/cases-desk.js';
import { describeEachEngine, type TestStore } from '../support/stores.js';

const DAY = 24 * 60 * 60 * 1000;
const HOUR = 60 * 60 * 1000;
const iso = (ms: number) => new Date(ms).toISOString();

interface QueueItemJson {
  requestId: string;
  state: string;
  targetAt: string | null;
  deadlineAt: string | null;
  status: string;
}

describeEachEngine('SLA clocks and the staff queue', (store: () => TestStore) => {
  const desks: CaseDesk[] = [];
  afterEach(() => {
    for (const d of desks.splice(0)) d.dispose();
  });

  /** The whole queue, two at a time (the cursor must carry every page), in order. */
  async function queue(d: CaseDesk, cookie: string): Promise<QueueItemJson[]> {
    const items: QueueItemJson[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 500; page += 1) {
      const query: string = cursor === null ? '' : `&cursor=${cursor}`;
      const res = await d.app.request(`${CASES}?limit=2${query}`, as({ cookie }));
      expect(res.status).toBe(200);
      const body = (await res.json()) as { items: QueueItemJson[]; nextCursor: string | null };
      items.push(...body.items);
      cursor = body.nextCursor;
      if (cursor === null) return items;
    }
    throw new Error('test: the queue does not end');
  }

  it('intake → ask (paused) → answer → review → approval: due instants shift by the paused business days', async () => {
    const d = caseDesk(store());
    desks.push(d);
    // Monday 10:00 UTC in this desk's time slot (the desk calendar: UTC, Monday–Friday).
    const now = new Date(d.clock.nowMs());
    const toMonday = (8 - now.getUTCDay()) % 7 || 7;
    const monday = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + toMonday);
    const at = (days: number, hours: number) => monday + days * DAY + hours * HOUR;
    d.clock.set(at(0, 10));

    const a = await seedReviewCase(d);
    const b = await seedReviewCase(d);
    let agent = await d.staff('agent');
    // Sessions expire over these days: a fresh sign-in each time staff or the customer act.
    const mine = async () =>
      (await queue(d, await d.anotherStaff('agent'))).filter((i) =>
        [a.requestId, b.requestId].includes(i.requestId),
      );

    // Monday 10:00: Tuesday, Wednesday, Thursday count → target Friday 00:00; deadline 7 days.
    let view = await readCase(d, a.requestId, agent);
    expect(view.sla).toMatchObject({
      status: 'on_track',
      targetAt: iso(at(4, 0)),
      deadlineAt: iso(at(10, 0)),
      targetBusinessDays: 3,
      deadlineBusinessDays: 7,
    });
    const before = { targetAt: at(4, 0), deadlineAt: at(10, 0) };

    // Tuesday 12:00: the reviewer asks; the clock pauses (no whole day ran yet: nothing known).
    d.clock.set(at(1, 12));
    agent = await d.anotherStaff('agent');
    const asked = await d.app.request(
      `${CASES}/${a.requestId}/info-requests`,
      jsonPost({ questions: ['Which target fails, and when?'] }, agent),
    );
    expect(asked.status).toBe(200);
    view = await readCase(d, a.requestId, agent);
    expect(view.sla).toMatchObject({ status: 'on_track', targetAt: null, deadlineAt: null });

    // Thursday 09:00: the customer answers. Tuesday, Wednesday and Thursday were touched by the
    // pause: three business days later than before, on the calendar (not in hours).
    d.clock.set(at(3, 9));
    agent = await d.anotherStaff('agent');
    const info = view.infoRequests[0];
    if (info === undefined) throw new Error('no info request');
    const answered = await d.app.request(
      `/v1/refund-requests/${a.requestId}/info-requests/${info.id}/answer`,
      jsonPost(
        { answer: 'shop.example.org, every morning' },
        await customerSessionCookie(d.deps, a.order.customerId),
      ),
    );
    expect(answered.status).toBe(200);
    view = await readCase(d, a.requestId, agent);
    expect(view.sla).toMatchObject({
      status: 'on_track',
      targetAt: iso(at(9, 0)),
      deadlineAt: iso(at(15, 0)),
    });
    const calendar = calendarOf({});
    expect(Date.parse(view.sla.targetAt ?? '')).toBe(addBusinessDays(calendar, before.targetAt, 3));
    expect(Date.parse(view.sla.deadlineAt ?? '')).toBe(
      addBusinessDays(calendar, before.deadlineAt, 3),
    );

    // Friday 11:00: review goes on; B (never paused) is past its target, A is not.
    d.clock.set(at(4, 11));
    agent = await d.anotherStaff('agent');
    const report = view.reports[0];
    if (report === undefined) throw new Error('no report');
    const finding = await d.app.request(
      `${CASES}/${a.requestId}/findings`,
      jsonPost({ reportId: report.id, cause: 'service', remediation: 'Pool rebuilt.' }, agent),
    );
    expect(finding.status).toBe(200);
    expect(await mine()).toEqual([
      expect.objectContaining({
        requestId: b.requestId,
        status: 'warned',
        deadlineAt: iso(at(10, 0)),
      }),
      expect.objectContaining({
        requestId: a.requestId,
        status: 'on_track',
        deadlineAt: iso(at(15, 0)),
      }),
    ]);

    // Next Wednesday 10:00: A is past its target; next Thursday 10:00: B is breached.
    d.clock.set(at(9, 10));
    expect((await mine()).map((i) => i.status)).toEqual(['warned', 'warned']);
    d.clock.set(at(10, 10));
    expect(
      (await mine()).map((i) => `${i.requestId === a.requestId ? 'a' : 'b'}:${i.status}`),
    ).toEqual(['b:breached', 'a:warned']);

    // Approval stops A's clock and takes it off the queue.
    agent = await d.anotherStaff('agent');
    const approved = await d.app.request(
      `${CASES}/${a.requestId}/approve`,
      jsonPost({ refundMinor: 6_000, reason: 'Service-side failure confirmed.' }, agent),
    );
    expect(approved.status, await approved.clone().text()).toBe(200);
    view = await readCase(d, a.requestId, agent);
    expect(view.transitions.map((t) => t.event)).toEqual([
      'decide_manual_review',
      'ask_customer',
      'customer_answered',
      'approve',
      ...view.transitions.slice(4).map((t) => t.event),
    ]);
    expect(view.sla.status).toBe('stopped');
    expect((await mine()).map((i) => i.requestId)).toEqual([b.requestId]);
  });

  it('bad queue parameters name the parameter; the queue is for staff and readers', async () => {
    const d = caseDesk(store());
    desks.push(d);
    const agent = await d.staff('agent');
    const res = await d.app.request(`${CASES}?limit=0&cursor=zz`, as({ cookie: agent }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      errors: [{ pointer: '/limit' }, { pointer: '/cursor' }],
    });
    expect((await d.app.request(CASES)).status).toBe(401);
  });
});

describe('slaOf (pure)', () => {
  const STATES: readonly CaseState[] = [
    'in_review',
    'awaiting_customer',
    'awaiting_kyc',
    'awaiting_approval',
  ];
  const calendars = [
    calendarOf({}),
    calendarOf({ timeZone: 'Europe/Berlin', holidays: ['2026-04-03', '2026-04-06', '2026-05-01'] }),
    calendarOf({ timeZone: 'Pacific/Kiritimati', workingDays: [1, 2, 3, 4, 6] }),
  ];
  const params = { targetBusinessDays: 3, deadlineBusinessDays: 7 };
  const T0 = Date.parse('2026-03-01T00:00:00Z');

  const logArb = fc
    .record({
      startMs: fc.integer({ min: T0, max: T0 + 300 * DAY }),
      steps: fc.array(
        fc.record({
          gapMs: fc.integer({ min: 0, max: 6 * DAY }),
          state: fc.constantFrom(...STATES),
        }),
        { maxLength: 6 },
      ),
    })
    .map(({ startMs, steps }) => {
      const log: StateLogEntry[] = [{ state: 'in_review', atMs: startMs }];
      let atMs = startMs;
      for (const step of steps) {
        atMs += step.gapMs;
        log.push({ state: step.state, atMs });
      }
      return log;
    });

  /** `log` with a pause (awaiting_customer) inserted inside the span of its entry `index`. */
  function withPause(log: StateLogEntry[], index: number, offsetMs: number, lengthMs: number) {
    const entry = log[index];
    if (entry === undefined) return log;
    const next = log[index + 1];
    const spanMs = next === undefined ? 30 * DAY : next.atMs - entry.atMs;
    const startMs = entry.atMs + Math.min(offsetMs, spanMs);
    const endMs = Math.min(startMs + lengthMs, entry.atMs + spanMs);
    return [
      ...log.slice(0, index + 1),
      { state: 'awaiting_customer' as const, atMs: startMs },
      { state: entry.state, atMs: endMs },
      ...log.slice(index + 1),
    ];
  }

  const notEarlier = (paused: number | null, plain: number | null) =>
    plain === null ? paused === null : paused === null || paused >= plain;

  it('pausing never makes the target or the deadline earlier', () => {
    fc.assert(
      fc.property(
        logArb,
        fc.nat(),
        fc.integer({ min: 0, max: 10 * DAY }),
        fc.integer({ min: 0, max: 10 * DAY }),
        fc.constantFrom(...calendars),
        (log, pick, offsetMs, lengthMs, calendar) => {
          const index = pick % log.length;
          const nowMs = (log.at(-1)?.atMs ?? T0) + 20 * DAY;
          const plain = slaOf(log, calendar, params, nowMs);
          const paused = slaOf(withPause(log, index, offsetMs, lengthMs), calendar, params, nowMs);
          expect(notEarlier(paused.targetAtMs, plain.targetAtMs)).toBe(true);
          expect(notEarlier(paused.deadlineAtMs, plain.deadlineAtMs)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('an unpaused running case is due n business days after it entered review', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: T0, max: T0 + 300 * DAY }),
        fc.constantFrom(...calendars),
        (startMs, calendar) => {
          const sla = slaOf([{ state: 'in_review', atMs: startMs }], calendar, params, startMs);
          expect(sla.targetAtMs).toBe(addBusinessDays(calendar, startMs, 3));
          expect(sla.deadlineAtMs).toBe(addBusinessDays(calendar, startMs, 7));
          expect(sla.status).toBe('on_track');
          const late = slaOf(
            [{ state: 'in_review', atMs: startMs }],
            calendar,
            params,
            sla.deadlineAtMs ?? 0,
          );
          expect(late.status).toBe('breached');
          const decided = slaOf(
            [
              { state: 'in_review', atMs: startMs },
              { state: 'denied', atMs: startMs + DAY },
            ],
            calendar,
            params,
            startMs + 30 * DAY,
          );
          expect(decided.status).toBe('stopped');
        },
      ),
    );
  });
});

describe('the desk calendar and second-approval amounts from the environment', () => {
  it('reads them, defaults what is left out, and names what is wrong', () => {
    expect(caseConfigFromEnv({})).toEqual({ ok: true, config: undefined });
    const read = caseConfigFromEnv({
      DESK_TIME_ZONE: 'Europe/Berlin',
      DESK_HOLIDAYS: '2026-12-25, 2026-12-24',
      SECOND_APPROVAL_ABOVE: 'EUR:20000,USD:25000',
    });
    expect(read).toMatchObject({
      ok: true,
      config: {
        calendar: {
          timeZone: 'Europe/Berlin',
          workingDays: [1, 2, 3, 4, 5],
          holidays: ['2026-12-24', '2026-12-25'],
        },
        secondApprovalAboveMinor: { EUR: 20_000, USD: 25_000 },
      },
    });
    expect(caseConfigFromEnv({ DESK_TIME_ZONE: 'Mars/Olympus' })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/\/timeZone/),
    });
    expect(caseConfigFromEnv({ SECOND_APPROVAL_ABOVE: 'usd:5' })).toMatchObject({ ok: false });
  });
});
