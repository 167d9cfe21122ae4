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

function digit(text: string, index: number): number {
  const code = text.charCodeAt(index) - 48;
  return code >= 0 && code <= 9 ? code : -1_000_000;
}

function digits2(text: string, index: number): number {
  return digit(text, index) * 10 + digit(text, index + 1);
}

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

/**
 * Parses `YYYY-MM-DDTHH:MM:SS[.f{1,3}](Z|±HH:MM)` into epoch milliseconds.
 * Returns `undefined` for anything else, including impossible dates and leap seconds.
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
  const year = digits2(text, 0) * 100 + digits2(text, 2);
  const month = digits2(text, 5);
  const day = digits2(text, 8);
  const hour = digits2(text, 11);
  const minute = digits2(text, 14);
  const second = digits2(text, 17);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return undefined;
  }
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
    return undefined;
  }
  let index = 19;
  let millis = 0;
  if (text.charCodeAt(index) === 46 /* . */) {
    index += 1;
    let fractionDigits = 0;
    while (index < length && fractionDigits < 4) {
      const d = digit(text, index);
      if (d < 0) break;
      millis = millis * 10 + d;
      fractionDigits += 1;
      index += 1;
    }
    if (fractionDigits === 0 || fractionDigits > 3) return undefined;
    millis *= fractionDigits === 1 ? 100 : fractionDigits === 2 ? 10 : 1;
  }
  let offsetMinutes = 0;
  const zone = text.charCodeAt(index);
  if (zone === 90 /* Z */) {
    index += 1;
  } else if (zone === 43 /* + */ || zone === 45 /* - */) {
    if (text.charCodeAt(index + 3) !== 58) return undefined;
    const offsetHour = digits2(text, index + 1);
    const offsetMinute = digits2(text, index + 4);
    if (offsetHour < 0 || offsetHour > 23 || offsetMinute < 0 || offsetMinute > 59) {
      return undefined;
    }
    offsetMinutes = (offsetHour * 60 + offsetMinute) * (zone === 43 ? 1 : -1);
    index += 6;
  } else {
    return undefined;
  }
  if (index !== length) return undefined;
  const days = daysFromCivil(year, month, day);
  const ms =
    days * DAY_MS +
    hour * HOUR_MS +
    minute * MINUTE_MS +
    second * SECOND_MS +
    millis -
    offsetMinutes * MINUTE_MS;
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
