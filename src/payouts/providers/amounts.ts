/**
 * Amounts as providers and finance files write them: decimal text in the currency's major unit,
 * derived from integer minor units by the ISO 4217 exponent (src/domain/money.ts). No floats:
 * the text is built from the integer's digits and parsed back digit by digit.
 */
import { currencyExponent, formatMoney } from '../../domain/money.js';

/** `decimalAmount(1050, 'USD')` is `"10.50"`, `decimalAmount(500, 'JPY')` is `"500"`. */
export function decimalAmount(amountMinor: number, currency: string): string {
  const text = formatMoney(amountMinor, currency);
  // formatMoney writes "<amount> <currency>".
  return text.slice(0, text.length - currency.length - 1);
}

/**
 * Minor units of a decimal text with at most `exponent` fraction digits, or null when the text
 * is not such a number: `parseDecimalToMinor('10.5', 2)` is 1050.
 */
export function parseDecimalToMinor(value: string, exponent: number): number | null {
  const match = /^(\d{1,16})(?:\.(\d{1,16}))?$/.exec(value);
  if (match === null) return null;
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  if (fraction.length > exponent) return null;
  const minor = Number(whole + fraction.padEnd(exponent, '0'));
  return Number.isSafeInteger(minor) ? minor : null;
}

export function parseAmount(value: string, currency: string): number | null {
  return parseDecimalToMinor(value, currencyExponent(currency));
}
