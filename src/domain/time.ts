/**
 * Instants are integer milliseconds since the Unix epoch (UTC). Nothing here reads a clock.
 * Parsing is hand-written because the contract is stricter than `Date.parse`: an explicit
 * offset is required, precision is at most milliseconds, and impossible dates are refused.
 */

export const SECOND_MS = 1_000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** Latest instant we accept: 9999-12-31T23:59:59.999Z. */
const MAX_INSTANT_MS = 253_402_300_799_999;

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days from 1970-01-01 to the given civil date (proleptic Gregorian). H. Hinnant's algorithm. */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Days before the first of each month in a common year (index 1–12). */
const DAYS_BEFORE_MONTH = [0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334] as const;

/** Leap years before year `y + 400` counted from year 1, which keeps the divisions positive. */
function leapYearsBefore400(year: number): number {
  const y = year + 399;
  return ((y / 4) | 0) - ((y / 100) | 0) + ((y / 400) | 0);
}
const LEAP_YEARS_BEFORE_1970 = leapYearsBefore400(1970);

/** `text.charCodeAt(index) - 48`: 0–9 for a digit, anything else otherwise. */
function digitAt(text: string, index: number): number {
  return text.charCodeAt(index) - 48;
}

/**
 * Parses `YYYY-MM-DDTHH:MM:SS[.f{1,3}](Z|±HH:MM)` into epoch milliseconds.
 * Returns `undefined` for anything else, including impossible dates and leap seconds.
 *
 * Hot: every case carries several instants and the engine's throughput goal counts them, so
 * this reads fixed positions, checks all fourteen date and time digits at once, and counts days
 * with integer divisions on positive numbers.
 */
export function parseInstantMs(text: string): number | undefined {
  const length = text.length;
  if (length < 20 || length > 29) return undefined;
  if (
    text.charCodeAt(4) !== 45 /* - */ ||
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 84 /* T */ ||
    text.charCodeAt(13) !== 58 /* : */ ||
    text.charCodeAt(16) !== 58
  ) {
    return undefined;
  }
  const y0 = digitAt(text, 0);
  const y1 = digitAt(text, 1);
  const y2 = digitAt(text, 2);
  const y3 = digitAt(text, 3);
  const mo0 = digitAt(text, 5);
  const mo1 = digitAt(text, 6);
  const d0 = digitAt(text, 8);
  const d1 = digitAt(text, 9);
  const h0 = digitAt(text, 11);
  const h1 = digitAt(text, 12);
  const mi0 = digitAt(text, 14);
  const mi1 = digitAt(text, 15);
  const s0 = digitAt(text, 17);
  const s1 = digitAt(text, 18);
  // Every value must be 0–9: none negative or above 15 (the first test), none 10–15 (adding 6
  // carries those, and only those, into bit 4).
  if (
    (y0 | y1 | y2 | y3 | mo0 | mo1 | d0 | d1 | h0 | h1 | mi0 | mi1 | s0 | s1) >>> 0 > 15 ||
    ((y0 + 6) |
      (y1 + 6) |
      (y2 + 6) |
      (y3 + 6) |
      (mo0 + 6) |
      (mo1 + 6) |
      (d0 + 6) |
      (d1 + 6) |
      (h0 + 6) |
      (h1 + 6) |
      (mi0 + 6) |
      (mi1 + 6) |
      (s0 + 6) |
      (s1 + 6)) &
      16
  ) {
    return undefined;
  }
  const year = y0 * 1000 + y1 * 100 + y2 * 10 + y3;
  const month = mo0 * 10 + mo1;
  const day = d0 * 10 + d1;
  const hour = h0 * 10 + h1;
  const minute = mi0 * 10 + mi1;
  const second = s0 * 10 + s1;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) {
    return undefined;
  }
  const leap = isLeapYear(year);
  if (day > 28 && day > (month === 2 ? (leap ? 29 : 28) : daysInMonth(year, month))) {
    return undefined;
  }
  let index = 19;
  let millis = 0;
  let zone = text.charCodeAt(19);
  if (zone === 46 /* . */) {
    const f0 = digitAt(text, 20);
    if (f0 >>> 0 > 9) return undefined;
    const f1 = digitAt(text, 21);
    const f2 = digitAt(text, 22);
    if (f1 >>> 0 > 9) {
      millis = f0 * 100;
      index = 21;
    } else if (f2 >>> 0 > 9) {
      millis = f0 * 100 + f1 * 10;
      index = 22;
    } else {
      millis = f0 * 100 + f1 * 10 + f2;
      index = 23;
    }
    zone = text.charCodeAt(index);
  }
  let offsetMs = 0;
  if (zone === 90 /* Z */) {
    index += 1;
  } else if (zone === 43 /* + */ || zone === 45 /* - */) {
    if (text.charCodeAt(index + 3) !== 58) return undefined;
    const oh0 = digitAt(text, index + 1);
    const oh1 = digitAt(text, index + 2);
    const om0 = digitAt(text, index + 4);
    const om1 = digitAt(text, index + 5);
    if (oh0 >>> 0 > 9 || oh1 >>> 0 > 9 || om0 >>> 0 > 9 || om1 >>> 0 > 9) return undefined;
    const offsetHour = oh0 * 10 + oh1;
    const offsetMinute = om0 * 10 + om1;
    if (offsetHour > 23 || offsetMinute > 59) return undefined;
    offsetMs = (offsetHour * 60 + offsetMinute) * MINUTE_MS;
    if (zone === 45) offsetMs = -offsetMs;
    index += 6;
  } else {
    return undefined;
  }
  // A fourth fraction digit lands here and is refused: at most millisecond precision.
  if (index !== length) return undefined;
  const days =
    365 * (year - 1970) +
    leapYearsBefore400(year) -
    LEAP_YEARS_BEFORE_1970 +
    (DAYS_BEFORE_MONTH[month] ?? 0) +
    (month > 2 && leap ? 1 : 0) +
    day -
    1;
  const ms =
    days * DAY_MS + hour * HOUR_MS + minute * MINUTE_MS + second * SECOND_MS + millis - offsetMs;
  if (ms < -MAX_INSTANT_MS || ms > MAX_INSTANT_MS) return undefined;
  return ms;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

function pad3(n: number): string {
  return n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`;
}

/**
 * UTC with milliseconds, as `2026-03-17T09:00:00.000Z` (what `Date#toISOString` writes for
 * years 0000–9999, computed without allocating a Date: this sits on the decision hot path).
 */
export function formatInstant(ms: number): string {
  const days = Math.floor(ms / DAY_MS);
  let rest = ms - days * DAY_MS;
  const hour = Math.floor(rest / HOUR_MS);
  rest -= hour * HOUR_MS;
  const minute = Math.floor(rest / MINUTE_MS);
  rest -= minute * MINUTE_MS;
  const second = Math.floor(rest / SECOND_MS);
  const millis = rest - second * SECOND_MS;
  // civil_from_days (H. Hinnant), the inverse of daysFromCivil.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1_460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (year < 0 || year > 9999) return new Date(ms).toISOString();
  const yyyy = year < 1000 ? `${year}`.padStart(4, '0') : `${year}`;
  return `${yyyy}-${pad2(month)}-${pad2(day)}T${pad2(hour)}:${pad2(minute)}:${pad2(second)}.${pad3(millis)}Z`;
}

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

const DURATION_UNITS: ReadonlyArray<readonly [number, string]> = [
  [DAY_MS, 'day'],
  [HOUR_MS, 'hour'],
  [MINUTE_MS, 'minute'],
  [SECOND_MS, 'second'],
  [1, 'millisecond'],
];

/** A duration in words, largest units first, zero parts left out: "9 days 2 hours". */
export function formatDuration(durationMs: number): string {
  if (durationMs === 0) return '0 seconds';
  let text = '';
  let rest = Math.abs(durationMs);
  for (const [unitMs, name] of DURATION_UNITS) {
    const count = Math.floor(rest / unitMs);
    if (count > 0) text += `${text === '' ? '' : ' '}${plural(count, name)}`;
    rest -= count * unitMs;
  }
  return (durationMs < 0 ? '-' : '') + text;
}
