/**
 * Business-day calendars and SLA due instants. vitest.config.ts runs this file again under
 * TZ=Pacific/Kiritimati and TZ=America/Adak: every expected instant below is written out in
 * full, so all three runs must produce the same results.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addBusinessDays,
  businessDaysBetween,
  CALENDAR_MAX_INSTANT_MS,
  CALENDAR_MIN_INSTANT_MS,
  dueInstant,
  elapsedBusinessDays,
  isBusinessDay,
  localDate,
  parseCalendar,
  startOfLocalDate,
  type BusinessCalendar,
  type ClockSegment,
} from '../../src/domain/calendar.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const MON_FRI = [1, 2, 3, 4, 5];

function calendar(timeZone: string, workingDays = MON_FRI, holidays: string[] = []) {
  const result = parseCalendar({ id: 'test', timeZone, workingDays, holidays });
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return result.value;
}

/** An instant written with its offset, e.g. at('2026-03-06T17:00:00-05:00'). */
function at(text: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error(`bad instant ${text}`);
  return ms;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const running = (startsAtMs: number, endsAtMs: number | null): ClockSegment => ({
  startsAtMs,
  endsAtMs,
  running: true,
});
const paused = (startsAtMs: number, endsAtMs: number | null): ClockSegment => ({
  startsAtMs,
  endsAtMs,
  running: false,
});

describe('the process time zone', () => {
  const expected = process.env['EXPECTED_PROCESS_TZ'];
  it.runIf(expected !== undefined)(`is ${expected ?? 'the one asked for'}`, () => {
    // Proves the TZ projects really run elsewhere: Date's local methods follow the process zone.
    expect(new Intl.DateTimeFormat().resolvedOptions().timeZone).toBe(expected);
    const offsetMinutes = new Date(at('2026-01-15T12:00:00Z')).getTimezoneOffset();
    expect(offsetMinutes).toBe(expected === 'Pacific/Kiritimati' ? -840 : 600);
  });
});

describe('calendars are validated', () => {
  it('accepts a calendar and keeps it as plain sorted data', () => {
    const result = parseCalendar({
      id: 'okkproxy-support',
      timeZone: 'America/New_York',
      workingDays: [5, 1, 3, 2, 4],
      holidays: ['2026-12-25', '2026-01-01'],
    });
    expect(result).toEqual({
      ok: true,
      value: {
        id: 'okkproxy-support',
        timeZone: 'America/New_York',
        workingDays: [1, 2, 3, 4, 5],
        holidays: ['2026-01-01', '2026-12-25'],
      },
    });
    if (!result.ok) return;
    expect(Object.isFrozen(result.value)).toBe(true);
    // A copy that went through JSON works like the original.
    const copy = JSON.parse(JSON.stringify(result.value)) as BusinessCalendar;
    const fromMs = at('2026-12-23T10:00:00-05:00');
    expect(addBusinessDays(copy, fromMs, 3)).toBe(addBusinessDays(result.value, fromMs, 3));
  });

  it('names each bad field by JSON pointer', () => {
    const result = parseCalendar({
      id: '',
      timeZone: 'Mars/Olympus_Mons',
      workingDays: [1, 8, 1, 2.5],
      holidays: ['2026-02-29', '2026-12-25', '2026-12-25', '25/12/2026', 20261225],
      week: 'Mon-Fri',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('invalid_calendar');
    expect(result.error.errors.map((e) => e.pointer)).toEqual([
      '/week',
      '/id',
      '/timeZone',
      '/workingDays/1',
      '/workingDays/2',
      '/workingDays/3',
      '/holidays/0',
      '/holidays/2',
      '/holidays/3',
      '/holidays/4',
    ]);
    expect(result.error.errors.find((e) => e.pointer === '/timeZone')?.message).toMatch(/IANA/);
  });

  it.each([
    ['+05:00'],
    ['-0500'],
    ['EST5EDT/../x'],
    [''],
    ['America/Not_A_City'],
    ['a'.repeat(65)],
  ])('refuses the time zone %j', (timeZone) => {
    const result = parseCalendar({ id: 'x', timeZone, workingDays: MON_FRI, holidays: [] });
    expect(result.ok ? [] : result.error.errors).toEqual([
      { pointer: '/timeZone', message: 'must be an IANA time zone name such as Europe/Berlin' },
    ]);
  });

  it('refuses a week without working days, a non-object and missing fields', () => {
    const empty = parseCalendar({ id: 'x', timeZone: 'UTC', workingDays: [], holidays: [] });
    expect(empty.ok ? [] : empty.error.errors.map((e) => e.pointer)).toEqual(['/workingDays']);
    const notObject = parseCalendar([]);
    expect(notObject.ok ? [] : notObject.error.errors.map((e) => e.pointer)).toEqual(['']);
    const missing = parseCalendar({});
    expect(missing.ok ? [] : missing.error.errors.map((e) => e.pointer)).toEqual([
      '/id',
      '/timeZone',
      '/workingDays',
      '/holidays',
    ]);
  });

  it('refuses a calendar that was not validated, and arguments out of range (bugs throw)', () => {
    const forged = { id: 'x', timeZone: 'Nowhere/Land', workingDays: [1], holidays: [] };
    expect(() => addBusinessDays(forged as unknown as BusinessCalendar, 0, 1)).toThrow(TypeError);
    const utc = calendar('UTC');
    expect(() => addBusinessDays(utc, 0, -1)).toThrow(RangeError);
    expect(() => addBusinessDays(utc, 0, 1.5)).toThrow(RangeError);
    expect(() => addBusinessDays(utc, 0, 3_661)).toThrow(RangeError);
    expect(() => addBusinessDays(utc, 0.5, 1)).toThrow(RangeError);
    expect(() => addBusinessDays(utc, CALENDAR_MAX_INSTANT_MS, 1)).toThrow(RangeError);
    expect(() => localDate(utc, CALENDAR_MIN_INSTANT_MS - 1)).toThrow(RangeError);
    expect(() => isBusinessDay(utc, '2026-02-30')).toThrow(RangeError);
    expect(() => dueInstant(utc, [running(0, null)], 0)).toThrow(RangeError);
  });
});

describe('business days, concretely', () => {
  const newYork = calendar('America/New_York');

  it('received Friday 17:00, 3 business days: due at the end of Wednesday', () => {
    const dueMs = addBusinessDays(newYork, at('2026-03-13T17:00:00-04:00'), 3);
    expect(iso(dueMs)).toBe('2026-03-19T04:00:00.000Z'); // Thursday 00:00 EDT
    expect(localDate(newYork, dueMs - 1)).toBe('2026-03-18'); // Wednesday
  });

  it('counts days, not hours, across the March DST change in New York', () => {
    // Friday 17:00 EST; clocks spring forward on Sunday 8 March; due Thursday 00:00 EDT.
    const fromMs = at('2026-03-06T17:00:00-05:00');
    expect(iso(addBusinessDays(newYork, fromMs, 3))).toBe('2026-03-12T04:00:00.000Z');
    expect(iso(addBusinessDays(newYork, fromMs, 1))).toBe('2026-03-10T04:00:00.000Z');
  });

  it('counts days, not hours, across the November DST change in New York', () => {
    // Friday 17:00 EDT; clocks fall back on Sunday 1 November; due Thursday 00:00 EST.
    const fromMs = at('2026-10-30T17:00:00-04:00');
    expect(iso(addBusinessDays(newYork, fromMs, 3))).toBe('2026-11-05T05:00:00.000Z');
    // Monday 2 November is 25 hours long in wall-clock terms and still one day.
    expect(iso(addBusinessDays(newYork, fromMs, 1))).toBe('2026-11-03T05:00:00.000Z');
  });

  it('skips a holiday that falls on the due day', () => {
    const withHoliday = calendar('America/New_York', MON_FRI, ['2026-03-11']);
    const fromMs = at('2026-03-06T17:00:00-05:00');
    // Monday, Tuesday, (Wednesday is a holiday), Thursday → due Friday 00:00.
    expect(iso(addBusinessDays(withHoliday, fromMs, 3))).toBe('2026-03-13T04:00:00.000Z');
    expect(isBusinessDay(withHoliday, '2026-03-11')).toBe(false);
    expect(isBusinessDay(withHoliday, '2026-03-12')).toBe(true);
  });

  it('works a Sunday–Thursday week', () => {
    const riyadh = calendar('Asia/Riyadh', [7, 1, 2, 3, 4]);
    expect(isBusinessDay(riyadh, '2026-03-06')).toBe(false); // Friday
    expect(isBusinessDay(riyadh, '2026-03-07')).toBe(false); // Saturday
    expect(isBusinessDay(riyadh, '2026-03-08')).toBe(true); // Sunday
    // Received Thursday 15:00; Sunday, Monday, Tuesday count; due Wednesday 00:00 (+03:00).
    const dueMs = addBusinessDays(riyadh, at('2026-03-05T15:00:00+03:00'), 3);
    expect(iso(dueMs)).toBe('2026-03-10T21:00:00.000Z');
  });

  it('carries over the year end and its holidays', () => {
    const berlin = calendar('Europe/Berlin', MON_FRI, [
      '2026-12-24',
      '2026-12-25',
      '2026-12-31',
      '2027-01-01',
    ]);
    const fromMs = at('2026-12-23T10:00:00+01:00'); // Wednesday
    // Monday 28, Tuesday 29, Wednesday 30 → due Thursday 31 00:00 CET.
    expect(iso(addBusinessDays(berlin, fromMs, 3))).toBe('2026-12-30T23:00:00.000Z');
    // … then 31 Dec and 1 Jan are holidays: Monday 4 and Tuesday 5 January 2027.
    expect(iso(addBusinessDays(berlin, fromMs, 5))).toBe('2027-01-05T23:00:00.000Z');
    expect(businessDaysBetween(berlin, fromMs, at('2027-01-06T00:00:00+01:00'))).toBe(5);
  });

  it('uses the local date in the calendar’s zone, not UTC’s', () => {
    // Monday 09:00 in Kiritimati (+14:00) is still Sunday in UTC.
    const kiritimati = calendar('Pacific/Kiritimati');
    const fromMs = at('2026-03-02T09:00:00+14:00');
    expect(localDate(kiritimati, fromMs)).toBe('2026-03-02');
    expect(iso(addBusinessDays(kiritimati, fromMs, 1))).toBe('2026-03-03T10:00:00.000Z');
    // Friday 17:00 in Adak (−10:00, DST from 8 March): due Thursday 00:00 −09:00.
    const adak = calendar('America/Adak');
    expect(iso(addBusinessDays(adak, at('2026-03-06T17:00:00-10:00'), 3))).toBe(
      '2026-03-12T09:00:00.000Z',
    );
  });

  it('ends a day at the first instant of the next date when DST skips midnight', () => {
    // America/Santiago springs forward at Sunday 7 Sept 2025 00:00 → 01:00.
    const santiago = calendar('America/Santiago', [1, 2, 3, 4, 5, 6]);
    expect(startOfLocalDate(santiago, '2025-09-07')).toBe(at('2025-09-07T01:00:00-03:00'));
    const dueMs = addBusinessDays(santiago, at('2025-09-05T12:00:00-04:00'), 1);
    expect(iso(dueMs)).toBe('2025-09-07T04:00:00.000Z');
    expect(localDate(santiago, dueMs - 1)).toBe('2025-09-06');
    // Half-hour DST in Lord Howe: due Tuesday 00:00 +10:30 after the April change.
    const lordHowe = calendar('Australia/Lord_Howe');
    expect(iso(addBusinessDays(lordHowe, at('2026-04-03T17:00:00+11:00'), 1))).toBe(
      '2026-04-06T13:30:00.000Z',
    );
  });

  it('counts the arrival day only when the case arrived at its very first instant', () => {
    const mondayMidnightMs = at('2026-03-09T00:00:00-04:00');
    expect(iso(addBusinessDays(newYork, mondayMidnightMs, 1))).toBe('2026-03-10T04:00:00.000Z');
    expect(iso(addBusinessDays(newYork, mondayMidnightMs + 1, 1))).toBe('2026-03-11T04:00:00.000Z');
    // Arrived on Saturday: Monday is the first business day.
    expect(iso(addBusinessDays(newYork, at('2026-03-07T11:00:00-05:00'), 1))).toBe(
      '2026-03-10T04:00:00.000Z',
    );
  });

  it('adds zero business days as no time at all', () => {
    const fromMs = at('2026-03-07T11:00:00-05:00');
    expect(addBusinessDays(newYork, fromMs, 0)).toBe(fromMs);
  });

  it('counts business days between two instants, whole days only', () => {
    const fridayMs = at('2026-03-06T17:00:00-05:00');
    expect(businessDaysBetween(newYork, fridayMs, at('2026-03-11T23:59:59-04:00'))).toBe(2);
    expect(businessDaysBetween(newYork, fridayMs, at('2026-03-12T00:00:00-04:00'))).toBe(3);
    expect(businessDaysBetween(newYork, fridayMs, fridayMs)).toBe(0);
    expect(businessDaysBetween(newYork, fridayMs, fridayMs - DAY_MS)).toBe(0);
    // A whole year of a Monday–Friday week in 2026 (starting Thursday 1 January).
    expect(
      businessDaysBetween(
        newYork,
        at('2026-01-01T00:00:00-05:00'),
        at('2027-01-01T00:00:00-05:00'),
      ),
    ).toBe(261);
  });
});

describe('SLA clocks with pauses, concretely', () => {
  const newYork = calendar('America/New_York');
  const receivedMs = at('2026-03-02T10:00:00-05:00'); // Monday

  it('without pauses, the due instant is addBusinessDays from the clock start', () => {
    expect(iso(dueInstant(newYork, [running(receivedMs, null)], 3))).toBe(
      '2026-03-06T05:00:00.000Z', // Tuesday, Wednesday, Thursday → Friday 00:00
    );
  });

  it('adds back every business day a pause touches', () => {
    // Asked Tuesday 15:00, answered Thursday 10:00: Tuesday, Wednesday and Thursday do not
    // count; Friday, Monday and Tuesday do → due Wednesday 11 March 00:00 EDT.
    const askedMs = at('2026-03-03T15:00:00-05:00');
    const answeredMs = at('2026-03-05T10:00:00-05:00');
    const history = [
      running(receivedMs, askedMs),
      paused(askedMs, answeredMs),
      running(answeredMs, null),
    ];
    expect(iso(dueInstant(newYork, history, 3))).toBe('2026-03-11T04:00:00.000Z');
    expect(elapsedBusinessDays(newYork, history, at('2026-03-10T12:00:00-04:00'))).toBe(2);
  });

  it('ignores a pause over the weekend only', () => {
    const fridayMs = at('2026-03-06T17:00:00-05:00');
    const base = dueInstant(newYork, [running(fridayMs, null)], 3);
    const saturdayMs = at('2026-03-07T10:00:00-05:00');
    const sundayMs = at('2026-03-08T18:00:00-04:00');
    const history = [
      running(fridayMs, saturdayMs),
      paused(saturdayMs, sundayMs),
      running(sundayMs, null),
    ];
    expect(dueInstant(newYork, history, 3)).toBe(base);
  });

  it('is unknown while the clock is paused, and known once it has run long enough', () => {
    const askedMs = at('2026-03-04T12:00:00-05:00');
    const history = [running(receivedMs, askedMs), paused(askedMs, null)];
    expect(dueInstant(newYork, history, 3)).toBeNull();
    expect(elapsedBusinessDays(newYork, history, at('2026-04-01T00:00:00-04:00'))).toBe(1);
    // A case decided after its deadline: the clock stopped after the due instant.
    const decidedMs = at('2026-03-09T12:00:00-04:00');
    const late = [running(receivedMs, decidedMs), paused(decidedMs, null)];
    expect(iso(dueInstant(newYork, late, 3))).toBe('2026-03-06T05:00:00.000Z');
  });

  it('does not run in a gap between segments', () => {
    const history = [
      running(receivedMs, at('2026-03-03T12:00:00-05:00')),
      running(at('2026-03-05T12:00:00-05:00'), null),
    ];
    // Tuesday and Thursday are cut; Friday, Monday, Tuesday count.
    expect(iso(dueInstant(newYork, history, 3))).toBe('2026-03-11T04:00:00.000Z');
  });

  it('refuses a malformed history (a bug)', () => {
    expect(() => dueInstant(newYork, [running(10, 5)], 1)).toThrow(RangeError);
    expect(() => dueInstant(newYork, [running(0, null), running(5, 9)], 1)).toThrow(RangeError);
    expect(() => dueInstant(newYork, [running(0, 10), paused(5, null)], 1)).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties.

const ZONES = [
  'UTC',
  'America/New_York',
  'America/Adak',
  'America/Santiago',
  'America/Havana',
  'Asia/Beirut',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Pacific/Kiritimati',
  'Europe/Berlin',
];
const FROM_MS = at('2020-01-01T00:00:00Z');
const TO_MS = at('2031-01-01T00:00:00Z');

const utcDate = (epochDay: number) => new Date(epochDay * DAY_MS).toISOString().slice(0, 10);

/** A calendar in any of ZONES, with holidays near `startMs` so that they matter. */
const calendarNear = (startMs: number) =>
  fc
    .record({
      timeZone: fc.constantFrom(...ZONES),
      workingDays: fc.subarray([1, 2, 3, 4, 5, 6, 7], { minLength: 1 }),
      holidayOffsets: fc.uniqueArray(fc.integer({ min: -3, max: 90 }), { maxLength: 40 }),
    })
    .map(({ timeZone, workingDays, holidayOffsets }) => {
      const startDay = Math.floor(startMs / DAY_MS);
      return calendar(
        timeZone,
        workingDays,
        holidayOffsets.map((offset) => utcDate(startDay + offset)),
      );
    });

const startAndCalendar = fc
  .integer({ min: FROM_MS, max: TO_MS })
  .chain((startMs) => fc.tuple(fc.constant(startMs), calendarNear(startMs)));

/** A clock history from `startMs`: segments of random length, running or paused. */
const historyFrom = (startMs: number) =>
  fc
    .array(
      fc.record({
        lengthMs: fc.oneof(
          fc.constant(0),
          fc.integer({ min: 1, max: 6 * HOUR_MS }),
          fc.integer({ min: 1, max: 9 * DAY_MS }),
        ),
        running: fc.boolean(),
      }),
      { maxLength: 8 },
    )
    .map((parts) => {
      const segments: ClockSegment[] = [];
      let cursorMs = startMs;
      for (const { lengthMs, running: isRunning } of parts) {
        segments.push({ startsAtMs: cursorMs, endsAtMs: cursorMs + lengthMs, running: isRunning });
        cursorMs += lengthMs;
      }
      segments.push(running(cursorMs, null));
      return segments;
    });

/** The due instant of the history with `pause` cut out of whatever ran at that time. */
function withPause(history: readonly ClockSegment[], pauseStartMs: number, pauseMs: number) {
  const pauseEndMs = pauseStartMs + pauseMs;
  const result: ClockSegment[] = [];
  for (const segment of history) {
    const endMs = segment.endsAtMs ?? Number.POSITIVE_INFINITY;
    if (endMs <= pauseStartMs || segment.startsAtMs >= pauseEndMs || pauseMs === 0) {
      result.push(segment);
      continue;
    }
    if (segment.startsAtMs < pauseStartMs) {
      result.push({ ...segment, endsAtMs: pauseStartMs });
    }
    result.push(paused(Math.max(segment.startsAtMs, pauseStartMs), Math.min(endMs, pauseEndMs)));
    if (endMs > pauseEndMs) result.push({ ...segment, startsAtMs: pauseEndMs });
  }
  // Insert a zero-length pause as a segment of its own too: it must change nothing.
  if (pauseMs === 0) {
    const index = result.findIndex(
      (s) => s.startsAtMs <= pauseStartMs && (s.endsAtMs ?? Infinity) > pauseStartMs,
    );
    const segment = result[index];
    if (segment !== undefined) {
      result.splice(
        index,
        1,
        { ...segment, endsAtMs: pauseStartMs },
        paused(pauseStartMs, pauseStartMs),
        { ...segment, startsAtMs: pauseStartMs },
      );
    }
  }
  return result;
}

const later = (a: number | null, b: number | null) =>
  a === null ? b === null : b === null || a >= b;

describe('business-day properties', () => {
  it('never lands on a weekend or a holiday: the due day is a business day, ended exactly', () => {
    fc.assert(
      fc.property(startAndCalendar, fc.integer({ min: 1, max: 40 }), ([startMs, cal], n) => {
        const dueMs = addBusinessDays(cal, startMs, n);
        const dueDay = localDate(cal, dueMs - 1);
        expect(isBusinessDay(cal, dueDay)).toBe(true);
        // dueMs is the first instant of the next local date: the due day ends there.
        expect(startOfLocalDate(cal, localDate(cal, dueMs))).toBe(dueMs);
        expect(localDate(cal, dueMs)).not.toBe(dueDay);
        // Exactly n business days have elapsed at dueMs, and not a millisecond earlier.
        expect(businessDaysBetween(cal, startMs, dueMs)).toBe(n);
        expect(businessDaysBetween(cal, startMs, dueMs - 1)).toBe(n - 1);
      }),
      { numRuns: 300 },
    );
  });

  it('is monotone in N and in the start instant, and adds up', () => {
    fc.assert(
      fc.property(
        startAndCalendar,
        fc.integer({ min: 0, max: 30 * DAY_MS }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 30 }),
        ([startMs, cal], laterByMs, n, m) => {
          const dueMs = addBusinessDays(cal, startMs, n);
          expect(addBusinessDays(cal, startMs, n + 1)).toBeGreaterThan(dueMs);
          expect(addBusinessDays(cal, startMs + laterByMs, n)).toBeGreaterThanOrEqual(dueMs);
          expect(addBusinessDays(cal, dueMs, m)).toBe(addBusinessDays(cal, startMs, n + m));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('agrees with plain UTC arithmetic in UTC and in a fixed-offset zone', () => {
    // An oracle that uses no time-zone code: whole UTC days, shifted by a constant offset.
    const oracle = (cal: BusinessCalendar, offsetMs: number, startMs: number, n: number) => {
      if (n === 0) return startMs;
      const localMs = startMs + offsetMs;
      let day = Math.ceil(localMs / DAY_MS);
      let counted = 0;
      for (;;) {
        const weekday = new Date(day * DAY_MS).getUTCDay() || 7;
        const worked = (cal.workingDays as readonly number[]).includes(weekday);
        if (worked && !cal.holidays.includes(utcDate(day))) counted += 1;
        if (counted === n) return (day + 1) * DAY_MS - offsetMs;
        day += 1;
      }
    };
    fc.assert(
      fc.property(
        fc.integer({ min: FROM_MS, max: TO_MS }),
        fc.constantFrom(['UTC', 0] as const, ['Asia/Kolkata', 5.5 * HOUR_MS] as const),
        fc.subarray([1, 2, 3, 4, 5, 6, 7], { minLength: 1 }),
        fc.uniqueArray(fc.integer({ min: -3, max: 60 }), { maxLength: 20 }),
        fc.integer({ min: 0, max: 30 }),
        (startMs, [timeZone, offsetMs], workingDays, holidayOffsets, n) => {
          const startDay = Math.floor(startMs / DAY_MS);
          const holidays = holidayOffsets.map((offset) => utcDate(startDay + offset));
          const cal = calendar(timeZone, workingDays, holidays);
          expect(addBusinessDays(cal, startMs, n)).toBe(oracle(cal, offsetMs, startMs, n));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('SLA clock properties', () => {
  const historyAndCalendar = startAndCalendar.chain(([startMs, cal]) =>
    fc.tuple(fc.constant(cal), historyFrom(startMs)),
  );

  it('with one running segment, the due instant is addBusinessDays', () => {
    fc.assert(
      fc.property(startAndCalendar, fc.integer({ min: 1, max: 20 }), ([startMs, cal], n) => {
        expect(dueInstant(cal, [running(startMs, null)], n)).toBe(addBusinessDays(cal, startMs, n));
      }),
      { numRuns: 150 },
    );
  });

  it('pausing never makes a deadline earlier, and a pause of zero length changes nothing', () => {
    fc.assert(
      fc.property(
        historyAndCalendar,
        fc.integer({ min: 0, max: 20 * DAY_MS }),
        fc.oneof(
          fc.constant(0),
          fc.integer({ min: 1, max: 12 * HOUR_MS }),
          fc.integer({ min: 1, max: 10 * DAY_MS }),
        ),
        fc.integer({ min: 1, max: 15 }),
        ([cal, history], pauseAfterMs, pauseMs, n) => {
          const first = history[0];
          if (first === undefined) throw new Error('a history has a segment');
          const before = dueInstant(cal, history, n);
          const after = dueInstant(
            cal,
            withPause(history, first.startsAtMs + pauseAfterMs, pauseMs),
            n,
          );
          if (pauseMs === 0) expect(after).toBe(before);
          else expect(later(after, before)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is the first instant at which the clock has run through N business days', () => {
    fc.assert(
      fc.property(historyAndCalendar, fc.integer({ min: 1, max: 15 }), ([cal, history], n) => {
        const dueMs = dueInstant(cal, history, n);
        if (dueMs === null) throw new Error('a history ending in an open run reaches every target');
        expect(elapsedBusinessDays(cal, history, dueMs)).toBe(n);
        expect(elapsedBusinessDays(cal, history, dueMs - 1)).toBe(n - 1);
        expect(isBusinessDay(cal, localDate(cal, dueMs - 1))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('depends only on when the clock ran, not on how the history is cut into segments', () => {
    fc.assert(
      fc.property(
        historyAndCalendar,
        fc.integer({ min: 0, max: 20 * DAY_MS }),
        fc.integer({ min: 1, max: 15 }),
        ([cal, history], cutAfterMs, n) => {
          const first = history[0];
          if (first === undefined) throw new Error('a history has a segment');
          const cutMs = first.startsAtMs + cutAfterMs;
          const cut = history.flatMap((s) =>
            s.startsAtMs < cutMs && (s.endsAtMs ?? Infinity) > cutMs
              ? [
                  { ...s, endsAtMs: cutMs },
                  { ...s, startsAtMs: cutMs },
                ]
              : [s],
          );
          expect(dueInstant(cal, cut, n)).toBe(dueInstant(cal, history, n));
        },
      ),
      { numRuns: 150 },
    );
  });
});
