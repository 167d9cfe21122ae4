import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, formatInstant, parseInstantMs } from '../../src/domain/time.js';

const MIN_MS = -62_167_219_200_000; // 0000-01-01T00:00:00.000Z
const MAX_MS = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

describe('instants', () => {
  it('formatInstant writes what Date#toISOString writes, for every year 0000–9999', () => {
    fc.assert(
      fc.property(fc.integer({ min: MIN_MS, max: MAX_MS }), (ms) => {
        expect(formatInstant(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 2_000 },
    );
    expect(formatInstant(MIN_MS)).toBe('0000-01-01T00:00:00.000Z');
  });

  it('parseInstantMs inverts formatInstant', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_MS }), (ms) => {
        expect(parseInstantMs(formatInstant(ms))).toBe(ms);
      }),
      { numRuns: 2_000 },
    );
  });

  it('agrees with Date.parse on valid instants written with any offset', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }),
        (ms, offsetMinutes) => {
          const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 23);
          const sign = offsetMinutes < 0 ? '-' : '+';
          const abs = Math.abs(offsetMinutes);
          const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          const text = `${local}${offset}`;
          expect(parseInstantMs(text)).toBe(Date.parse(text));
          expect(parseInstantMs(text)).toBe(ms);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it.each([
    '2026-02-29T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T00:60:00Z',
    '2026-01-01T00:00:60Z',
    '2026-01-01T00:00:00.1234Z',
    '2026-01-01T00:00:00',
    '2026-01-01T00:00:00+24:00',
    '2026-01-01T00:00:00+05:60',
    '2026-01-01T00:00:00.Z',
    '2026-01-01 00:00:00Z',
    '2026-01-01T00:00:00z',
  ])('refuses %s', (text) => {
    expect(parseInstantMs(text)).toBeUndefined();
  });

  it('accepts leap days and 1–3 fraction digits', () => {
    expect(parseInstantMs('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
    expect(parseInstantMs('2026-01-01T00:00:00.5Z')).toBe(Date.UTC(2026, 0, 1, 0, 0, 0, 500));
    expect(parseInstantMs('2026-01-01T00:00:00.05Z')).toBe(Date.UTC(2026, 0, 1, 0, 0, 0, 50));
    expect(parseInstantMs('2026-01-01T08:00:00.005+08:00')).toBe(Date.UTC(2026, 0, 1, 0, 0, 0, 5));
  });

  it('agrees with a reference reading (the schema pattern, then Date.UTC) on mutated texts', () => {
    const seeds = [
      '0000-01-01T00:00:00Z',
      '0000-02-29T23:59:59.999-23:59',
      '1900-02-28T12:00:00.1+01:30',
      '1970-01-01T00:00:00.000Z',
      '2000-02-29T00:00:00+23:59',
      '2024-12-31T23:59:59.99Z',
      '9999-12-31T23:59:59.999Z',
    ];
    const alphabet = [...'0123456789-T:.Z+z;/ ', '', '00'];
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(29), fc.constantFrom(...alphabet)), { maxLength: 3 }),
        (seed, edits) => {
          const chars = [...seed];
          for (const [index, replacement] of edits) {
            if (index < chars.length) chars[index] = replacement;
          }
          const text = chars.join('');
          expect(parseInstantMs(text)).toBe(referenceInstantMs(text));
        },
      ),
      { numRuns: 20_000 },
    );
  });
});

/** An independent reading of an instant: the schema's pattern, then Date.UTC's calendar. */
function referenceInstantMs(text: string): number | undefined {
  const match =
    /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,3}))?(?:Z|([+-])([0-9]{2}):([0-9]{2}))$/.exec(
      text,
    );
  if (match === null) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const millis = Number((match[7] ?? '0').padEnd(3, '0'));
  const offsetHour = Number(match[9] ?? '0');
  const offsetMinute = Number(match[10] ?? '0');
  if (hour > 23 || minute > 59 || second > 59 || offsetHour > 23 || offsetMinute > 59) {
    return undefined;
  }
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1) return undefined;
  if (date.getUTCDate() !== day) return undefined;
  date.setUTCHours(hour, minute, second, millis);
  const offsetMs = (offsetHour * 60 + offsetMinute) * 60_000 * (match[8] === '-' ? -1 : 1);
  const ms = date.getTime() - offsetMs;
  return Math.abs(ms) > 253_402_300_799_999 ? undefined : ms;
}

describe('formatDuration', () => {
  it.each([
    [0, '0 seconds'],
    [1, '1 millisecond'],
    [7 * 86_400_000 + 1_000, '7 days 1 second'],
    [9 * 86_400_000 + 2 * 3_600_000, '9 days 2 hours'],
    [3_600_000 + 60_000, '1 hour 1 minute'],
  ])('%i ms is "%s"', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
