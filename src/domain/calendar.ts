/**
 * Business-day calendars and SLA due instants. Pure: no I/O, no clock, and the process's own
 * time zone (`TZ`) is never consulted — every conversion names the calendar's zone.
 *
 * A calendar is `{ id, timeZone, workingDays, holidays }`: an IANA zone, the ISO weekdays
 * (1 = Monday … 7 = Sunday) the team works, and the holidays as local dates `YYYY-MM-DD`.
 * Zone conversion uses the platform's `Intl.DateTimeFormat` (ICU's copy of the tz database);
 * the only arithmetic done here is on civil dates, which have no zone.
 *
 * ## Counting rules
 *
 * Days are counted as local calendar dates, never converted to hours: a business day is 23 or
 * 25 hours long across a DST change and still counts as one day.
 *
 * 1. **Business day.** A local date whose ISO weekday is in `workingDays` and which is not in
 *    `holidays`.
 * 2. **A business day counts only if it lies wholly inside the counted time**, from its first
 *    instant (local 00:00, or the first instant that exists when DST skips midnight) to the
 *    first instant of the next date. The day on which a case arrives therefore never counts
 *    unless it arrived at the very first instant of that day: received Friday 17:00, the count
 *    starts on Monday.
 * 3. **Due instant = the end of the n-th counted business day**, given as the first instant of
 *    the next local date (an exclusive bound): the case is breached from `dueMs` on, and
 *    `dueMs − 1` is the last instant within the SLA, on the n-th business day. Received
 *    Friday 17:00 with 3 business days: Monday, Tuesday and Wednesday count, and the case is
 *    due at Thursday 00:00 local, "end of Wednesday" — whatever the DST changes in between.
 * 4. **Pauses.** The SLA clock of a case is a list of segments, running or paused (waiting on
 *    the customer or KYC). Rule 2 applies to the running time: a business day counts only if
 *    the clock ran through all of it. Every business day that a pause touches, however
 *    briefly, is therefore added back — the team did not have that day whole — while a pause
 *    that covers no instant, or only non-business days, changes nothing. The due instant is a
 *    pure function of (history, calendar, target), recomputed from the state log each time.
 *
 * Counting is over the zone's calendar dates: a date the zone skipped entirely (Pacific/Apia
 * skipped 2011-12-30) has no instants and is still a date of the calendar. Instants must lie in
 * [1900-01-01T00:00Z, 9000-01-01T00:00Z); passing anything else is a bug and throws.
 */
import { DAY_MS, daysFromCivil, daysInMonth, formatInstant, HOUR_MS, MINUTE_MS } from './time.js';

/** ISO weekday: 1 = Monday … 7 = Sunday. */
export type IsoWeekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** Earliest instant the calendar functions accept: 1900-01-01T00:00:00.000Z. */
export const CALENDAR_MIN_INSTANT_MS = -2_208_988_800_000;
/** First instant they no longer accept: 9000-01-01T00:00:00.000Z. */
export const CALENDAR_MAX_INSTANT_MS = 221_845_392_000_000;
/** Most business days one call adds or one SLA targets (ten years of working days). */
export const MAX_BUSINESS_DAYS = 3_660;
export const MAX_HOLIDAYS = 5_000;
export const MAX_CLOCK_SEGMENTS = 10_000;
const MAX_ID_LENGTH = 100;
const MAX_TIME_ZONE_LENGTH = 64;
const MIN_HOLIDAY_YEAR = 1900;
const MAX_HOLIDAY_YEAR = 9999;

declare const validatedCalendar: unique symbol;

/** A calendar that `parseCalendar` accepted. Plain, frozen data (JSON round-trips it). */
export interface BusinessCalendar {
  readonly id: string;
  readonly timeZone: string;
  /** Ascending, without duplicates. */
  readonly workingDays: readonly IsoWeekday[];
  /** Ascending `YYYY-MM-DD`, without duplicates. */
  readonly holidays: readonly string[];
  readonly [validatedCalendar]: true;
}

/** One problem with a calendar, located by JSON pointer (RFC 6901) — the engine's FieldError. */
export interface CalendarFieldError {
  readonly pointer: string;
  readonly message: string;
}

export interface CalendarError {
  readonly code: 'invalid_calendar';
  readonly errors: readonly CalendarFieldError[];
}

export type CalendarResult =
  | { readonly ok: true; readonly value: BusinessCalendar }
  | { readonly ok: false; readonly error: CalendarError };

/**
 * One stretch of a case's SLA clock: `[startsAtMs, endsAtMs)`, or open-ended when `endsAtMs` is
 * null (only the last segment may be). An instant no segment covers is not running.
 */
export interface ClockSegment {
  readonly startsAtMs: number;
  readonly endsAtMs: number | null;
  readonly running: boolean;
}

interface CompiledCalendar {
  readonly timeZone: string;
  /** Index 1..7: whether that ISO weekday is worked. */
  readonly worked: readonly boolean[];
  readonly workedPerWeek: number;
  /** Holidays as days since 1970-01-01. */
  readonly holidayDays: ReadonlySet<number>;
}

// ---------------------------------------------------------------------------------------------
// Civil dates (no zone): days since 1970-01-01.

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `YYYY-MM-DD` (years 1900–9999) to days since 1970-01-01, or undefined. */
function parseEpochDay(text: string): number | undefined {
  const match = ISO_DATE.exec(text);
  if (match === null) return undefined;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (year < MIN_HOLIDAY_YEAR || year > MAX_HOLIDAY_YEAR) return undefined;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return daysFromCivil(year, month, day);
}

function formatEpochDay(epochDay: number): string {
  return formatInstant(epochDay * DAY_MS).slice(0, 10);
}

/** 1970-01-01 was a Thursday (ISO weekday 4). */
function weekdayOf(epochDay: number): IsoWeekday {
  return (((((epochDay + 3) % 7) + 7) % 7) + 1) as IsoWeekday;
}

// ---------------------------------------------------------------------------------------------
// The zone: instants ↔ local dates, through Intl.DateTimeFormat.

const MAX_CACHED_FORMATTERS = 1_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

/** Throws RangeError for a zone the platform does not know. Memoised: formatters are costly. */
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      calendar: 'iso8601',
      numberingSystem: 'latn',
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    // Bounded: zone names are case-insensitive, so spellings of valid names are unbounded.
    if (formatters.size >= MAX_CACHED_FORMATTERS) formatters.clear();
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

function assertInstant(instantMs: number, name: string): void {
  if (
    !Number.isSafeInteger(instantMs) ||
    instantMs < CALENDAR_MIN_INSTANT_MS ||
    instantMs >= CALENDAR_MAX_INSTANT_MS
  ) {
    throw new RangeError(`${name} must be an integer instant in 1900–8999, got ${instantMs}`);
  }
}

/** The local wall-clock reading at `instantMs`, as milliseconds of a zone-less timeline. */
function wallClockMs(timeZone: string, instantMs: number): number {
  let year = 0;
  let month = 0;
  let day = 0;
  let hour = 0;
  let minute = 0;
  let second = 0;
  for (const part of formatterFor(timeZone).formatToParts(instantMs)) {
    switch (part.type) {
      case 'year':
        year = Number(part.value);
        break;
      case 'month':
        month = Number(part.value);
        break;
      case 'day':
        day = Number(part.value);
        break;
      case 'hour':
        hour = Number(part.value);
        break;
      case 'minute':
        minute = Number(part.value);
        break;
      case 'second':
        second = Number(part.value);
        break;
      default:
        break;
    }
  }
  // Zone offsets are whole seconds, so the milliseconds carry over unchanged.
  const millis = ((instantMs % 1_000) + 1_000) % 1_000;
  return (
    daysFromCivil(year, month, day) * DAY_MS +
    hour * HOUR_MS +
    minute * MINUTE_MS +
    second * 1_000 +
    millis
  );
}

/** The local date (days since 1970-01-01) of an instant. */
function localEpochDay(timeZone: string, instantMs: number): number {
  return Math.floor(wallClockMs(timeZone, instantMs) / DAY_MS);
}

/**
 * The first instant of a local date: local 00:00, or when DST skips midnight (America/Santiago,
 * America/Havana, Asia/Beirut) the first instant that exists on that date.
 */
function startOfEpochDay(timeZone: string, epochDay: number): number {
  const midnightWallMs = epochDay * DAY_MS;
  // Two rounds of "wall time minus the offset in force" find local midnight when it exists.
  let guessMs = midnightWallMs - (wallClockMs(timeZone, midnightWallMs) - midnightWallMs);
  guessMs = midnightWallMs - (wallClockMs(timeZone, guessMs) - guessMs);
  if (
    localEpochDay(timeZone, guessMs) === epochDay &&
    localEpochDay(timeZone, guessMs - 1) < epochDay
  ) {
    return guessMs;
  }
  // Midnight does not exist: search for the first instant whose local date is epochDay. Zone
  // offsets stay within ±26 hours, so the answer lies within two days of the wall reading.
  let beforeMs = midnightWallMs - 2 * DAY_MS;
  let atOrAfterMs = midnightWallMs + 2 * DAY_MS;
  while (atOrAfterMs - beforeMs > 1) {
    const middleMs = beforeMs + Math.floor((atOrAfterMs - beforeMs) / 2);
    if (localEpochDay(timeZone, middleMs) >= epochDay) atOrAfterMs = middleMs;
    else beforeMs = middleMs;
  }
  return atOrAfterMs;
}

/** The first local date that lies wholly at or after `instantMs`. */
function firstWholeDay(timeZone: string, instantMs: number): number {
  const day = localEpochDay(timeZone, instantMs);
  return localEpochDay(timeZone, instantMs - 1) < day ? day : day + 1;
}

/** The last local date that lies wholly before `instantMs` (an exclusive end). */
function lastWholeDay(timeZone: string, instantMs: number): number {
  return localEpochDay(timeZone, instantMs) - 1;
}

// ---------------------------------------------------------------------------------------------
// Validation.

/** Accepts `Region/City` style names and `UTC`; refuses offsets such as `+05:00`. */
const TIME_ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+\-/]*$/;
const CALENDAR_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const CALENDAR_FIELDS = new Set(['id', 'timeZone', 'workingDays', 'holidays']);

function isKnownTimeZone(timeZone: string): boolean {
  if (timeZone.length > MAX_TIME_ZONE_LENGTH || !TIME_ZONE_NAME.test(timeZone)) return false;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface Checked {
  readonly calendar: Omit<BusinessCalendar, typeof validatedCalendar>;
  readonly compiled: CompiledCalendar;
}

function check(input: unknown): Checked | readonly CalendarFieldError[] {
  if (!isRecord(input)) return [{ pointer: '', message: 'must be an object' }];
  const errors: CalendarFieldError[] = [];
  for (const key of Object.keys(input)) {
    if (!CALENDAR_FIELDS.has(key)) {
      errors.push({
        pointer: `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`,
        message: 'is not a calendar field',
      });
    }
  }

  const { id, timeZone, workingDays, holidays } = input;
  if (typeof id !== 'string' || id.length > MAX_ID_LENGTH || !CALENDAR_ID.test(id)) {
    errors.push({
      pointer: '/id',
      message: `must be 1–${MAX_ID_LENGTH} letters, digits, '.', '_', ':' or '-'`,
    });
  }
  if (typeof timeZone !== 'string' || !isKnownTimeZone(timeZone)) {
    errors.push({
      pointer: '/timeZone',
      message: 'must be an IANA time zone name such as Europe/Berlin',
    });
  }

  const worked: boolean[] = [false, false, false, false, false, false, false, false];
  const weekdays: IsoWeekday[] = [];
  if (!Array.isArray(workingDays) || workingDays.length === 0 || workingDays.length > 7) {
    errors.push({ pointer: '/workingDays', message: 'must list 1 to 7 ISO weekdays (1 = Monday)' });
  } else {
    workingDays.forEach((value: unknown, index) => {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 7) {
        errors.push({
          pointer: `/workingDays/${index}`,
          message: 'must be an ISO weekday, 1 (Monday) to 7 (Sunday)',
        });
      } else if (worked[value] === true) {
        errors.push({ pointer: `/workingDays/${index}`, message: `repeats weekday ${value}` });
      } else {
        worked[value] = true;
        weekdays.push(value as IsoWeekday);
      }
    });
  }

  const holidayDays = new Set<number>();
  const holidayDates: string[] = [];
  if (!Array.isArray(holidays) || holidays.length > MAX_HOLIDAYS) {
    errors.push({ pointer: '/holidays', message: `must list at most ${MAX_HOLIDAYS} dates` });
  } else {
    holidays.forEach((value: unknown, index) => {
      const epochDay = typeof value === 'string' ? parseEpochDay(value) : undefined;
      if (typeof value !== 'string' || epochDay === undefined) {
        errors.push({
          pointer: `/holidays/${index}`,
          message: `must be a real date YYYY-MM-DD in ${MIN_HOLIDAY_YEAR}–${MAX_HOLIDAY_YEAR}`,
        });
      } else if (holidayDays.has(epochDay)) {
        errors.push({ pointer: `/holidays/${index}`, message: `repeats ${value}` });
      } else {
        holidayDays.add(epochDay);
        holidayDates.push(value);
      }
    });
  }

  if (errors.length > 0 || typeof id !== 'string' || typeof timeZone !== 'string') return errors;
  weekdays.sort((a, b) => a - b);
  holidayDates.sort();
  return {
    calendar: {
      id,
      timeZone,
      workingDays: Object.freeze(weekdays),
      holidays: Object.freeze(holidayDates),
    },
    compiled: { timeZone, worked, workedPerWeek: weekdays.length, holidayDays },
  };
}

const compiledCalendars = new WeakMap<BusinessCalendar, CompiledCalendar>();

/** Validates a calendar. Errors name each bad field by JSON pointer (`/timeZone`, `/holidays/2`). */
export function parseCalendar(input: unknown): CalendarResult {
  const checked = check(input);
  if (!('calendar' in checked)) {
    return { ok: false, error: { code: 'invalid_calendar', errors: checked } };
  }
  const calendar = Object.freeze(checked.calendar) as BusinessCalendar;
  compiledCalendars.set(calendar, checked.compiled);
  return { ok: true, value: calendar };
}

function compiledOf(calendar: BusinessCalendar): CompiledCalendar {
  const known = compiledCalendars.get(calendar);
  if (known !== undefined) return known;
  // A calendar that did not come from parseCalendar (a copy, a cast): validate it now.
  const checked = check(calendar);
  if (!('calendar' in checked)) {
    throw new TypeError(
      `invalid calendar: ${checked.map((e) => `${e.pointer} ${e.message}`).join('; ')}`,
    );
  }
  compiledCalendars.set(calendar, checked.compiled);
  return checked.compiled;
}

// ---------------------------------------------------------------------------------------------
// Business days.

function isBusinessEpochDay(compiled: CompiledCalendar, epochDay: number): boolean {
  return compiled.worked[weekdayOf(epochDay)] === true && !compiled.holidayDays.has(epochDay);
}

function requireDate(date: string): number {
  const epochDay = parseEpochDay(date);
  if (epochDay === undefined) throw new RangeError(`not a date YYYY-MM-DD: ${date}`);
  return epochDay;
}

function assertBusinessDays(count: number, name: string, min: number): void {
  if (!Number.isSafeInteger(count) || count < min || count > MAX_BUSINESS_DAYS) {
    throw new RangeError(`${name} must be an integer in ${min}–${MAX_BUSINESS_DAYS}, got ${count}`);
  }
}

/** Whether the local date `YYYY-MM-DD` is a working weekday of the calendar and no holiday. */
export function isBusinessDay(calendar: BusinessCalendar, date: string): boolean {
  return isBusinessEpochDay(compiledOf(calendar), requireDate(date));
}

/** The local date `YYYY-MM-DD` of an instant in the calendar's zone. */
export function localDate(calendar: BusinessCalendar, instantMs: number): string {
  assertInstant(instantMs, 'instantMs');
  return formatEpochDay(localEpochDay(compiledOf(calendar).timeZone, instantMs));
}

/** The first instant of the local date `YYYY-MM-DD` in the calendar's zone (usually 00:00). */
export function startOfLocalDate(calendar: BusinessCalendar, date: string): number {
  const epochDay = requireDate(date);
  const startMs = startOfEpochDay(compiledOf(calendar).timeZone, epochDay);
  assertInstant(startMs, 'the start of date');
  return startMs;
}

/** Running time as maximal intervals `[startMs, endMs)`; `endMs` null when open-ended. */
interface RunningInterval {
  readonly startMs: number;
  readonly endMs: number | null;
}

/**
 * The local date of the `n`-th (n ≥ 1) business day lying wholly inside the running intervals,
 * and how many were counted when the intervals ran out first.
 */
function nthWholeBusinessDay(
  compiled: CompiledCalendar,
  intervals: readonly RunningInterval[],
  n: number,
): { readonly epochDay: number } | { readonly counted: number } {
  const { timeZone } = compiled;
  let counted = 0;
  for (const { startMs, endMs } of intervals) {
    const firstDay = firstWholeDay(timeZone, startMs);
    // Each 7 dates hold every working weekday once, so n + |holidays| weeks always suffice.
    const lastDay =
      endMs === null
        ? firstDay + 7 * (n + compiled.holidayDays.size + 1)
        : lastWholeDay(timeZone, endMs);
    for (let day = firstDay; day <= lastDay; day += 1) {
      if (!isBusinessEpochDay(compiled, day)) continue;
      counted += 1;
      if (counted === n) return { epochDay: day };
    }
    if (endMs === null) throw new Error('unreachable: an open interval holds every count');
  }
  return { counted };
}

/**
 * The instant at which `businessDays` business days have elapsed since `fromInstantMs`: the end
 * of the n-th business day wholly after it (rules 2 and 3 above), as the first instant of the
 * next local date. Received Friday 17:00, 3 business days → Thursday 00:00 ("end of
 * Wednesday"). Zero business days is `fromInstantMs` itself.
 */
export function addBusinessDays(
  calendar: BusinessCalendar,
  fromInstantMs: number,
  businessDays: number,
): number {
  assertInstant(fromInstantMs, 'fromInstantMs');
  assertBusinessDays(businessDays, 'businessDays', 0);
  if (businessDays === 0) return fromInstantMs;
  const compiled = compiledOf(calendar);
  const nth = nthWholeBusinessDay(
    compiled,
    [{ startMs: fromInstantMs, endMs: null }],
    businessDays,
  );
  if (!('epochDay' in nth)) throw new Error('unreachable: an open interval holds every count');
  const dueMs = startOfEpochDay(compiled.timeZone, nth.epochDay + 1);
  assertInstant(dueMs, 'the due instant');
  return dueMs;
}

/** Business days on the local dates firstDay..lastDay (inclusive), by whole weeks. */
function countBusinessDays(compiled: CompiledCalendar, firstDay: number, lastDay: number): number {
  if (lastDay < firstDay) return 0;
  const length = lastDay - firstDay + 1;
  const weeks = Math.floor(length / 7);
  let count = weeks * compiled.workedPerWeek;
  for (let day = firstDay + weeks * 7; day <= lastDay; day += 1) {
    if (compiled.worked[weekdayOf(day)] === true) count += 1;
  }
  for (const holiday of compiled.holidayDays) {
    if (holiday >= firstDay && holiday <= lastDay && compiled.worked[weekdayOf(holiday)] === true) {
      count -= 1;
    }
  }
  return count;
}

/**
 * How many business days lie wholly within `[fromInstantMs, toInstantMs)` — 0 when the interval
 * is empty. `businessDaysBetween(c, t, addBusinessDays(c, t, n))` is `n`, and
 * `addBusinessDays(c, t, n)` is the earliest `u` with `businessDaysBetween(c, t, u) >= n`.
 */
export function businessDaysBetween(
  calendar: BusinessCalendar,
  fromInstantMs: number,
  toInstantMs: number,
): number {
  assertInstant(fromInstantMs, 'fromInstantMs');
  assertInstant(toInstantMs, 'toInstantMs');
  if (toInstantMs <= fromInstantMs) return 0;
  const compiled = compiledOf(calendar);
  return countBusinessDays(
    compiled,
    firstWholeDay(compiled.timeZone, fromInstantMs),
    lastWholeDay(compiled.timeZone, toInstantMs),
  );
}

// ---------------------------------------------------------------------------------------------
// SLA clocks with pauses.

/**
 * Checks a clock history (a bug when wrong: it is derived by our code from a state log) and
 * merges its running segments into maximal intervals. Segments that touch merge, so a
 * zero-length pause between two running segments leaves one interval; a zero-length running
 * segment covers no instant and is dropped.
 */
function runningIntervals(history: readonly ClockSegment[]): RunningInterval[] {
  if (history.length > MAX_CLOCK_SEGMENTS) {
    throw new RangeError(`a clock history holds at most ${MAX_CLOCK_SEGMENTS} segments`);
  }
  const intervals: RunningInterval[] = [];
  let previousEndMs: number | null = CALENDAR_MIN_INSTANT_MS;
  history.forEach((segment, index) => {
    const { startsAtMs, endsAtMs, running } = segment;
    assertInstant(startsAtMs, `history[${index}].startsAtMs`);
    if (endsAtMs !== null) {
      assertInstant(endsAtMs, `history[${index}].endsAtMs`);
      if (endsAtMs < startsAtMs) throw new RangeError(`history[${index}] ends before it starts`);
    }
    if (previousEndMs === null) {
      throw new RangeError(`history[${index}] follows an open-ended segment`);
    }
    if (startsAtMs < previousEndMs) {
      throw new RangeError(`history[${index}] starts before the previous segment ends`);
    }
    previousEndMs = endsAtMs;
    if (!running || startsAtMs === endsAtMs) return;
    const last = intervals[intervals.length - 1];
    if (last !== undefined && last.endMs === startsAtMs) {
      intervals[intervals.length - 1] = { startMs: last.startMs, endMs: endsAtMs };
    } else {
      intervals.push({ startMs: startsAtMs, endMs: endsAtMs });
    }
  });
  return intervals;
}

/**
 * The SLA due instant of a case: the end of the `targetBusinessDays`-th business day through
 * which its clock ran whole (rule 4 above), as the first instant of the next local date — or
 * null when the history runs out first (the clock is paused or stopped before the target is
 * reached: the deadline is not known yet, or was never reached). With one open running
 * segment from `t` it equals `addBusinessDays(calendar, t, targetBusinessDays)`; inserting a
 * pause never makes it earlier.
 */
export function dueInstant(
  calendar: BusinessCalendar,
  history: readonly ClockSegment[],
  targetBusinessDays: number,
): number | null {
  assertBusinessDays(targetBusinessDays, 'targetBusinessDays', 1);
  const compiled = compiledOf(calendar);
  const nth = nthWholeBusinessDay(compiled, runningIntervals(history), targetBusinessDays);
  if (!('epochDay' in nth)) return null;
  const dueMs = startOfEpochDay(compiled.timeZone, nth.epochDay + 1);
  assertInstant(dueMs, 'the due instant');
  return dueMs;
}

/**
 * How many business days the clock ran through whole before `untilMs` (exclusive): the count
 * the SLA has used up so far. `dueInstant(c, h, n)` is the earliest `untilMs` at which this
 * reaches `n`.
 */
export function elapsedBusinessDays(
  calendar: BusinessCalendar,
  history: readonly ClockSegment[],
  untilMs: number,
): number {
  assertInstant(untilMs, 'untilMs');
  const compiled = compiledOf(calendar);
  let elapsed = 0;
  for (const { startMs, endMs } of runningIntervals(history)) {
    if (startMs >= untilMs) break;
    const cutMs = endMs === null || endMs > untilMs ? untilMs : endMs;
    elapsed += countBusinessDays(
      compiled,
      firstWholeDay(compiled.timeZone, startMs),
      lastWholeDay(compiled.timeZone, cutMs),
    );
  }
  return elapsed;
}
