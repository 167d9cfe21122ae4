/**
 * Money is an integer number of minor units plus an ISO 4217 currency. No floating point:
 * amounts are JavaScript integers within Number.MAX_SAFE_INTEGER, and products that could
 * leave that range are computed with BigInt.
 */

/** ISO 4217 minor-unit exponents that differ from 2. Every other code has 2. */
const EXPONENT_BY_CURRENCY: Readonly<Record<string, number>> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  CLF: 4,
  UYW: 4,
};

export function currencyExponent(currency: string): number {
  return EXPONENT_BY_CURRENCY[currency] ?? 2;
}

/** `formatMoney(8800, 'USD')` is `"88.00 USD"`; `formatMoney(500, 'JPY')` is `"500 JPY"`. */
export function formatMoney(amountMinor: number, currency: string): string {
  assertSafeInteger(amountMinor, 'amountMinor');
  const exponent = currencyExponent(currency);
  const sign = amountMinor < 0 ? '-' : '';
  const digits = String(Math.abs(amountMinor));
  if (exponent === 0) return `${sign}${digits} ${currency}`;
  const padded = digits.padStart(exponent + 1, '0');
  const whole = padded.slice(0, padded.length - exponent);
  const fraction = padded.slice(padded.length - exponent);
  return `${sign}${whole}.${fraction} ${currency}`;
}

export function assertSafeInteger(value: number, name: string): void {
  if (!Number.isSafeInteger(value)) {
    throw new Error(`${name} must be a safe integer, got ${String(value)}`);
  }
}

/**
 * floor(a × b / c) for non-negative safe integers, exact. Uses double arithmetic when the
 * product is exactly representable and BigInt otherwise.
 */
export function mulDivFloor(a: number, b: number, c: number): number {
  assertSafeInteger(a, 'a');
  assertSafeInteger(b, 'b');
  assertSafeInteger(c, 'c');
  if (a < 0 || b < 0 || c <= 0) throw new Error('mulDivFloor takes a, b >= 0 and c > 0');
  const product = a * b;
  if (product <= Number.MAX_SAFE_INTEGER) return floorDiv(product, c);
  return Number((BigInt(a) * BigInt(b)) / BigInt(c));
}

/** floor(a / b) for a >= 0, b > 0, safe integers, exact. */
function floorDiv(a: number, b: number): number {
  let quotient = Math.floor(a / b);
  // The division is rounded to the nearest double; correct by at most one step.
  if (quotient * b > a) quotient -= 1;
  else if ((quotient + 1) * b <= a) quotient += 1;
  return quotient;
}

/** ceil(a / b) for a >= 0, b > 0, safe integers. */
export function divCeil(a: number, b: number): number {
  assertSafeInteger(a, 'a');
  assertSafeInteger(b, 'b');
  if (a < 0 || b <= 0) throw new Error('divCeil takes a >= 0 and b > 0');
  return a === 0 ? 0 : floorDiv(a - 1, b) + 1;
}
