/**
 * Contract section 2: invalid input. Every rule gives an error whose JSON pointer names the
 * offending field, through `decideCase(..., { errors: 'all' })` (a value) and `decide()` (throws
 * InvalidCaseError).
 */
import { describe, expect, it } from 'vitest';
import { decide, decideCase, InvalidCaseError } from '../../src/index.js';
import {
  day,
  eligibleCase,
  errorsOf,
  incident,
  priorOrder,
  removeAt,
  report,
  setAt,
} from '../support/cases.js';

/** A valid case with one of everything, so that every pointer below exists. */
const rich = eligibleCase({
  incidents: [incident()],
  priorOrders: [priorOrder({ refundedAt: day(-99) })],
  chargebacks: [{ status: 'won' }],
});

function thrown(input: unknown): InvalidCaseError {
  try {
    decide(input);
  } catch (error) {
    if (error instanceof InvalidCaseError) return error;
    throw error;
  }
  throw new Error('decide() did not throw');
}

/** Asserts that `input` is invalid with exactly one error, at `pointer`, by both faces. */
function expectInvalidAt(input: unknown, pointer: string): void {
  expect(errorsOf(input).map((e) => e.pointer)).toEqual([pointer]);
  const error = thrown(input);
  expect(error.name).toBe('InvalidCaseError');
  expect(error.errors.map((e) => e.pointer)).toEqual([pointer]);
  expect(error.message).toContain(pointer === '' ? '(the document)' : `${pointer}:`);
}

describe('the base case is valid', () => {
  it('decides', () => {
    expect(decideCase(rich, { errors: 'all' }).ok).toBe(true);
  });
});

describe('schema: types, enums, patterns, bounds', () => {
  it.each([
    ['/order/amountCents', '3000'],
    ['/order/amountCents', null],
    ['/usage/requests', true],
    ['/account/tosBreach', 'yes'],
    ['/request/legallyRequired', 1],
    ['/evaluatedAt', 5],
    ['/reports', {}],
    ['/incidents/0/widelyImpacting', 'true'],
    ['/chargebacks/0', 'open'],
    ['/order/channel', 'shop'],
    ['/order/paymentMethod', 'cash'],
    ['/order/product', 'residential'],
    ['/reports/0/cause', 'network'],
    ['/priorOrders/0/refundKind', 'goodwill'],
    ['/chargebacks/0/status', 'pending'],
    ['/order/currency', 'usd'],
    ['/order/currency', 'USDT'],
    ['/order/servicePeriodDays', 0],
    ['/order/servicePeriodDays', 3661],
    ['/order/id', ''],
    ['/order/planId', 'x'.repeat(129)],
    ['/incidents/0/products', []],
    ['/incidents/0/products/0', 'everything'],
    ['/order/compensatedIncidentIds', ['inc_1', 'inc_1']],
    ['/order/compensatedIncidentIds/0', 7],
    ['/reports/0/remediatedAt', 5],
    ['/incidents/0/endsAt', false],
    ['/incidents/0/confirmedAt', ''],
    ['/priorOrders/0/refundedAt', {}],
    ['/incidents/0/products/0', 5],
  ])('%s = %j', (pointer, value) => {
    expectInvalidAt(setAt(rich, pointer, value), pointer);
  });
  it('servicePeriodDays 3660 and an id of 128 characters are valid', () => {
    const c = setAt(setAt(rich, '/order/servicePeriodDays', 3660), '/order/id', 'x'.repeat(128));
    expect(decideCase(c, { errors: 'all' }).ok).toBe(true);
  });
  it.each([null, [], 'case', 42])('a document that is not an object: %j', (value) => {
    expectInvalidAt(value, '');
  });
});

describe('schema: required fields', () => {
  it.each([
    '/evaluatedAt',
    '/order',
    '/usage',
    '/request',
    '/order/id',
    '/order/customerId',
    '/order/planId',
    '/order/product',
    '/order/channel',
    '/order/paymentMethod',
    '/order/amountCents',
    '/order/currency',
    '/order/purchasedAt',
    '/order/servicePeriodDays',
    '/usage/trafficBytes',
    '/usage/requests',
    '/request/submittedAt',
    '/reports/0/reportedAt',
    '/reports/0/cause',
    '/incidents/0/id',
    '/incidents/0/confirmedAt',
    '/incidents/0/startsAt',
    '/incidents/0/products',
    '/incidents/0/widelyImpacting',
    '/priorOrders/0/id',
    '/priorOrders/0/planId',
    '/priorOrders/0/purchasedAt',
    '/chargebacks/0/status',
  ])('missing %s', (pointer) => {
    expectInvalidAt(removeAt(rich, pointer), pointer);
  });
});

describe('schema: unknown fields', () => {
  it.each([
    '/extra',
    '/order/discountCents',
    '/usage/bandwidth',
    '/reports/0/note',
    '/incidents/0/severity',
    '/priorOrders/0/amountCents',
    '/chargebacks/0/amount',
    '/account/vip',
    '/request/channel',
  ])('%s', (pointer) => {
    expectInvalidAt(setAt(rich, pointer, 1), pointer);
  });
  it('a field name with "/" and "~" is escaped in the pointer', () => {
    expectInvalidAt(setAt(rich, '/order/a~1b~0c', 1), '/order/a~1b~0c');
  });
});

describe('amounts: negative, fractional, above Number.MAX_SAFE_INTEGER', () => {
  const amounts = [
    '/order/amountCents',
    '/order/refundedCents',
    '/order/promoCreditsCents',
    '/usage/trafficBytes',
    '/usage/requests',
  ];
  it.each(amounts)('%s = -1', (pointer) => {
    expectInvalidAt(setAt(rich, pointer, -1), pointer);
  });
  it.each(amounts)('%s = 0.5', (pointer) => {
    expectInvalidAt(setAt(rich, pointer, 0.5), pointer);
  });
  it('/order/amountCents = 10.25', () => {
    expectInvalidAt(setAt(rich, '/order/amountCents', 10.25), '/order/amountCents');
  });
  it.each([
    '/order/amountCents',
    '/order/promoCreditsCents',
    '/usage/trafficBytes',
    '/usage/requests',
  ])('%s = 2^53 (Number.MAX_SAFE_INTEGER + 1)', (pointer) => {
    expectInvalidAt(setAt(rich, pointer, 2 ** 53), pointer);
  });
  it('/usage/trafficBytes = 1e21', () => {
    expectInvalidAt(setAt(rich, '/usage/trafficBytes', 1e21), '/usage/trafficBytes');
  });
  it('an amount read from JSON text above the safe range', () => {
    const text = JSON.stringify(rich).replace(
      '"amountCents":3000',
      '"amountCents":9007199254740993',
    );
    expectInvalidAt(JSON.parse(text), '/order/amountCents');
  });
  it('Number.MAX_SAFE_INTEGER itself is valid', () => {
    const c = eligibleCase({
      order: { amountCents: Number.MAX_SAFE_INTEGER, refundedCents: 1 },
      usage: { trafficBytes: 0, requests: 0 },
    });
    expect(decide(c).refundCents).toBe(Number.MAX_SAFE_INTEGER - 1);
  });
});

describe('instants: RFC 3339 with an explicit offset, at most milliseconds, real dates', () => {
  const instantFields = [
    '/evaluatedAt',
    '/order/purchasedAt',
    '/request/submittedAt',
    '/reports/0/reportedAt',
    '/reports/0/remediatedAt',
    '/incidents/0/confirmedAt',
    '/incidents/0/startsAt',
    '/incidents/0/endsAt',
    '/priorOrders/0/purchasedAt',
    '/priorOrders/0/refundedAt',
  ];
  it.each(instantFields)('%s without an offset', (pointer) => {
    expectInvalidAt(setAt(rich, pointer, '2026-03-05T10:00:00'), pointer);
  });
  it.each(instantFields)('%s with 4 fractional digits', (pointer) => {
    expectInvalidAt(setAt(rich, pointer, '2026-03-05T10:00:00.0000Z'), pointer);
  });
  it.each(instantFields)('%s on 2026-02-30', (pointer) => {
    expectInvalidAt(setAt(rich, pointer, '2026-02-30T10:00:00Z'), pointer);
  });
  it.each([
    ['date only', '2026-03-05'],
    ['space instead of T', '2026-03-05 10:00:00Z'],
    ['offset without colon', '2026-03-05T10:00:00+0000'],
    ['lower-case z', '2026-03-05T10:00:00z'],
    ['no seconds', '2026-03-05T10:00Z'],
    ['empty fraction', '2026-03-05T10:00:00.Z'],
    ['nanoseconds', '2026-03-05T10:00:00.000000001Z'],
    ['29 February in a common year', '2026-02-29T10:00:00Z'],
    ['29 February in a century year not divisible by 400', '2100-02-29T10:00:00Z'],
    ['31 April', '2026-04-31T10:00:00Z'],
    ['month 13', '2026-13-01T10:00:00Z'],
    ['day 0', '2026-03-00T10:00:00Z'],
    ['hour 24', '2026-03-05T24:00:00Z'],
    ['minute 60', '2026-03-05T10:60:00Z'],
    ['leap second', '2026-03-05T23:59:60Z'],
    ['offset hour 24', '2026-03-05T10:00:00+24:00'],
    ['offset minute 60', '2026-03-05T10:00:00+05:60'],
  ])('/order/purchasedAt: %s (%s)', (_name, value) => {
    expectInvalidAt(setAt(rich, '/order/purchasedAt', value), '/order/purchasedAt');
  });
  it.each([
    ['29 February in a leap year', '2024-02-29T10:00:00Z'],
    ['one fractional digit', '2026-03-01T10:00:00.5Z'],
    ['two fractional digits', '2026-03-01T10:00:00.25Z'],
    ['+14:00', '2026-03-02T00:00:00+14:00'],
    ['-12:00', '2026-03-01T00:00:00-12:00'],
    ['+05:45', '2026-03-01T00:00:00+05:45'],
    ['-00:00', '2026-03-01T00:00:00-00:00'],
  ])('valid: %s (%s)', (_name, value) => {
    expect(decideCase(setAt(rich, '/order/purchasedAt', value), { errors: 'all' }).ok).toBe(true);
  });
  it('valid: 29 February 2000 (a year divisible by 400)', () => {
    const c = setAt(rich, '/priorOrders/0/purchasedAt', '2000-02-29T00:00:00Z');
    expect(decideCase(c, { errors: 'all' }).ok).toBe(true);
  });
});

describe('section 2 ordering rules', () => {
  it('evaluatedAt earlier than request.submittedAt', () => {
    expectInvalidAt(eligibleCase({ evaluatedAt: '2026-03-05T09:59:59.999Z' }), '/evaluatedAt');
  });
  it('evaluatedAt equal to request.submittedAt is valid', () => {
    expect(decideCase(eligibleCase({ evaluatedAt: day(3) })).ok).toBe(true);
  });
  it('request.submittedAt earlier than order.purchasedAt', () => {
    const c = eligibleCase({ request: { submittedAt: '2026-03-02T09:59:59.999Z' } });
    expectInvalidAt(c, '/request/submittedAt');
  });
  it('request.submittedAt equal to order.purchasedAt is valid', () => {
    expect(decideCase(eligibleCase({ request: { submittedAt: day(0) } })).ok).toBe(true);
  });
  it('instants written with offsets are compared as instants', () => {
    // request.submittedAt is 2026-03-05T10:00:00Z.
    for (const same of ['2026-03-06T00:00:00+14:00', '2026-03-04T22:00:00-12:00']) {
      expect(decideCase(eligibleCase({ evaluatedAt: same })).ok).toBe(true);
    }
    expectInvalidAt(eligibleCase({ evaluatedAt: '2026-03-05T23:59:59.999+14:00' }), '/evaluatedAt');
    expectInvalidAt(eligibleCase({ evaluatedAt: '2026-03-04T21:59:59.999-12:00' }), '/evaluatedAt');
  });
  it('incident endsAt equal to startsAt', () => {
    const c = eligibleCase({ incidents: [incident({ startsAt: day(10), endsAt: day(10) })] });
    expectInvalidAt(c, '/incidents/0/endsAt');
  });
  it('incident endsAt earlier than startsAt', () => {
    const c = eligibleCase({
      incidents: [incident(), incident({ id: 'inc_2', startsAt: day(10), endsAt: day(9) })],
    });
    expectInvalidAt(c, '/incidents/1/endsAt');
  });
  it('incident endsAt 1 ms after startsAt is valid', () => {
    const c = eligibleCase({
      incidents: [incident({ startsAt: day(10), endsAt: '2026-03-12T10:00:00.001Z' })],
    });
    expect(decideCase(c).ok).toBe(true);
  });
  it('report remediatedAt earlier than reportedAt', () => {
    const c = eligibleCase({
      reports: [report(), report({ reportedAt: day(2), remediatedAt: '2026-03-04T09:59:59.999Z' })],
    });
    expectInvalidAt(c, '/reports/1/remediatedAt');
  });
  it('report remediatedAt equal to reportedAt is valid', () => {
    expect(decideCase(eligibleCase({ reports: [report({ remediatedAt: day(1) })] })).ok).toBe(true);
  });
  it('prior order refundedAt earlier than purchasedAt', () => {
    const c = eligibleCase({
      priorOrders: [priorOrder({ purchasedAt: day(-10), refundedAt: day(-11) })],
    });
    expectInvalidAt(c, '/priorOrders/0/refundedAt');
  });
  it('prior order refundedAt equal to purchasedAt is valid', () => {
    const c = eligibleCase({
      priorOrders: [priorOrder({ purchasedAt: day(-10), refundedAt: day(-10) })],
    });
    expect(decideCase(c).ok).toBe(true);
  });
  it('order.refundedCents greater than order.amountCents', () => {
    expectInvalidAt(eligibleCase({ order: { refundedCents: 3001 } }), '/order/refundedCents');
  });
  it('order.refundedCents equal to order.amountCents is valid', () => {
    expect(decideCase(eligibleCase({ order: { refundedCents: 3000 } })).ok).toBe(true);
  });
});

describe('policy version', () => {
  it('a request submitted before the first shipped version took effect names submittedAt', () => {
    const c = eligibleCase({
      order: { purchasedAt: '2019-12-30T00:00:00Z' },
      request: { submittedAt: '2019-12-31T23:59:59.999Z' },
      evaluatedAt: '2020-01-02T00:00:00Z',
    });
    expectInvalidAt(c, '/request/submittedAt');
    const onTime = eligibleCase({
      order: { purchasedAt: '2019-12-30T00:00:00Z' },
      request: { submittedAt: '2020-01-01T00:00:00Z' },
      evaluatedAt: '2020-01-02T00:00:00Z',
    });
    expect(decide(onTime).policyVersion).toBe('okkproxy@1');
  });
});

describe('error modes', () => {
  it("errors: 'all' lists every offending field", () => {
    let c: unknown = setAt(rich, '/order/amountCents', -1);
    c = setAt(c, '/order/channel', 'shop');
    c = removeAt(c, '/usage/requests');
    c = setAt(c, '/extra', true);
    expect(
      errorsOf(c)
        .map((e) => e.pointer)
        .sort(),
    ).toEqual(['/extra', '/order/amountCents', '/order/channel', '/usage/requests']);
  });
  it("errors: 'all' lists every section 2 rule broken", () => {
    const c = eligibleCase({
      evaluatedAt: day(2),
      order: { refundedCents: 3001 },
      reports: [report({ remediatedAt: day(0) })],
      incidents: [incident({ startsAt: day(10), endsAt: day(10) })],
      priorOrders: [priorOrder({ purchasedAt: day(-10), refundedAt: day(-11) })],
    });
    expect(
      errorsOf(c)
        .map((e) => e.pointer)
        .sort(),
    ).toEqual([
      '/evaluatedAt',
      '/incidents/0/endsAt',
      '/order/refundedCents',
      '/priorOrders/0/refundedAt',
      '/reports/0/remediatedAt',
    ]);
  });
  it("errors: 'first' (the default) reports one", () => {
    let c: unknown = setAt(rich, '/order/amountCents', -1);
    c = setAt(c, '/order/channel', 'shop');
    const result = decideCase(c);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toHaveLength(1);
    expect(thrown(c).errors).toHaveLength(1);
  });
  it('every error carries a message', () => {
    const errors = errorsOf(setAt(rich, '/order/amountCents', -1));
    expect(errors).toEqual([{ pointer: '/order/amountCents', message: 'must be >= 0' }]);
  });
  it('decide() does not modify its input, valid or not', () => {
    const valid = eligibleCase();
    const before = JSON.stringify(valid);
    decide(valid);
    expect(JSON.stringify(valid)).toBe(before);
    const invalid = setAt(rich, '/order/amountCents', -1);
    const beforeInvalid = JSON.stringify(invalid);
    thrown(invalid);
    expect(JSON.stringify(invalid)).toBe(beforeInvalid);
  });
});
