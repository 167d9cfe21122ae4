/** Card numbers are refused as charge references: 13-19 digits, grouped or not, passing Luhn. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { looksLikeCardNumber, passesLuhn } from '../../src/app/facts/card.js';
import { parseFact } from '../../src/app/facts/parse.js';
import { orderInput } from '../support/facts.js';

/** Appends the Luhn check digit to `body`. */
function withCheckDigit(body: string): string {
  for (let d = 0; d <= 9; d += 1) {
    if (passesLuhn(`${body}${d}`)) return `${body}${d}`;
  }
  throw new Error('unreachable');
}

describe('looksLikeCardNumber', () => {
  it.each([
    '4111111111111111',
    '4111 1111 1111 1111',
    '4111-1111-1111-1111',
    '5555555555554444',
    '378282246310005', // 15-digit Amex
    '4222222222222', // 13 digits
    '6011 0009 9013 9424',
    'pi_4111111111111111',
    'ref-4111111111111111-x',
    'ch:4111 1111 1111 1111',
  ])('refuses %s', (text) => {
    expect(looksLikeCardNumber(text)).toBe(true);
  });

  it.each([
    'ch_3N1x2yZabc',
    '4111111111111112', // fails Luhn
    '411111111111', // 12 digits
    '41111111111111111111111', // 23 digits: longer than any card number
    'pi_3MtwBwLkdIwHu7ix28a3tqPa',
    '0x' + 'ab'.repeat(32),
    'INV-2026-000123',
    '',
  ])('accepts %s', (text) => {
    expect(looksLikeCardNumber(text)).toBe(false);
  });

  it('refuses every Luhn-valid number of 13 to 19 digits, in any grouping', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 12, max: 18 }).chain((length) =>
          fc.tuple(
            fc.string({
              unit: fc.constantFrom(...'0123456789'),
              minLength: length,
              maxLength: length,
            }),
            fc.constantFrom('', ' ', '-'),
            fc.integer({ min: 3, max: 6 }),
          ),
        ),
        ([body, separator, group]) => {
          const digits = withCheckDigit(body);
          const grouped = digits.match(new RegExp(`.{1,${group}}`, 'g'))?.join(separator) ?? '';
          expect(looksLikeCardNumber(grouped)).toBe(true);
          expect(looksLikeCardNumber(`ref_${grouped}`)).toBe(true);
        },
      ),
    );
  });

  it('never refuses a reference without a 13-19 digit run', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'abcXYZ_-:123456789'), maxLength: 60 }),
        (text) => {
          fc.pre(!/\d(?:[ -]?\d){12}/.test(text));
          expect(looksLikeCardNumber(text)).toBe(false);
        },
      ),
    );
  });
});

describe('an order whose chargeRef looks like a card number', () => {
  it.each(['4111111111111111', '4111 1111 1111 1111', 'pi_4111-1111-1111-1111'])(
    '%s is refused naming /chargeRef, and only that',
    (chargeRef) => {
      const result = parseFact('order', orderInput('cus_1', 'plan_1', { chargeRef }));
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error).toEqual([
        { pointer: '/chargeRef', message: expect.stringContaining('card number') as string },
      ]);
    },
  );
});
