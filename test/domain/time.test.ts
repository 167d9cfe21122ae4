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
});

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
