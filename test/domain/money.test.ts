import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { currencyExponent, divCeil, formatMoney, mulDivFloor } from '../../src/domain/money.js';

const safe = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

describe('mulDivFloor', () => {
  it('equals the exact BigInt floor(a × b / c) for all safe integers', () => {
    fc.assert(
      fc.property(safe, safe, fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (a, b, c) => {
        const exact = (BigInt(a) * BigInt(b)) / BigInt(c);
        fc.pre(exact <= BigInt(Number.MAX_SAFE_INTEGER));
        expect(mulDivFloor(a, b, c)).toBe(Number(exact));
      }),
      { numRuns: 5_000 },
    );
  });

  it('is exact at the edges of the safe range and on the contract example', () => {
    expect(mulDivFloor(Number.MAX_SAFE_INTEGER, 1, 3)).toBe(3_002_399_751_580_330);
    expect(mulDivFloor(9_007_199_254_740_990, 1, 9_007_199_254_740_991)).toBe(0);
    expect(mulDivFloor(8_800, 43_200_000, 2_592_000_000)).toBe(146);
  });

  it('never exceeds a when b ≤ c (a pro-rata share never exceeds the whole)', () => {
    fc.assert(
      fc.property(
        safe,
        fc.integer({ min: 1, max: 2 ** 40 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        (a, c, b0) => {
          const b = b0 % (c + 1);
          expect(mulDivFloor(a, b, c)).toBeLessThanOrEqual(a);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('shares of disjoint parts never sum to more than the share of the whole', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 ** 12 }),
        fc.integer({ min: 1, max: 3_660 * 86_400_000 }),
        fc.integer({ min: 0, max: 3_660 * 86_400_000 }),
        fc.integer({ min: 0, max: 3_660 * 86_400_000 }),
        (amount, period, x, y) => {
          const [p, q] = [x % (period + 1), y % (period + 1)];
          fc.pre(p + q <= period);
          expect(
            mulDivFloor(amount, p, period) + mulDivFloor(amount, q, period),
          ).toBeLessThanOrEqual(mulDivFloor(amount, p + q, period));
        },
      ),
    );
  });

  it('throws on floats, negatives and a zero divisor (bugs, not input)', () => {
    expect(() => mulDivFloor(1.5, 1, 1)).toThrow();
    expect(() => mulDivFloor(-1, 1, 1)).toThrow();
    expect(() => mulDivFloor(1, 1, 0)).toThrow();
  });
});

describe('divCeil', () => {
  it('equals the exact ceiling', () => {
    fc.assert(
      fc.property(safe, fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (a, b) => {
        const exact = (BigInt(a) + BigInt(b) - 1n) / BigInt(b);
        expect(divCeil(a, b)).toBe(Number(exact));
      }),
      { numRuns: 5_000 },
    );
    expect(divCeil(86_400_000, 86_400_000)).toBe(1);
    expect(divCeil(86_400_001, 86_400_000)).toBe(2);
    expect(divCeil(0, 86_400_000)).toBe(0);
  });
});

describe('formatMoney', () => {
  it.each([
    [8_800, 'USD', '88.00 USD'],
    [5, 'USD', '0.05 USD'],
    [500, 'JPY', '500 JPY'],
    [1_234, 'KWD', '1.234 KWD'],
    [7, 'BHD', '0.007 BHD'],
    [0, 'EUR', '0.00 EUR'],
  ])('%i %s is %s', (amount, currency, text) => {
    expect(formatMoney(amount, currency)).toBe(text);
  });

  it('writes the exact minor units back (digits only, no rounding)', () => {
    fc.assert(
      fc.property(safe, fc.constantFrom('USD', 'JPY', 'KWD', 'EUR', 'CLF'), (amount, currency) => {
        const text = formatMoney(amount, currency).split(' ')[0] ?? '';
        expect(BigInt(text.replace('.', ''))).toBe(BigInt(amount));
        const fraction = text.split('.')[1] ?? '';
        expect(fraction.length).toBe(currencyExponent(currency));
      }),
    );
  });
});
