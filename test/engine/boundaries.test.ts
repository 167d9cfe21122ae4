/**
 * Every boundary in the decision contract: windows (inclusive at exactly N x 24 h), caps
 * (strictly greater fails), the as-of-evaluatedAt reading, incident overlap, pro-rata
 * arithmetic, the repeat-refund look-back, time-zone offsets and currencies.
 */
import { describe, expect, it } from 'vitest';
import { decide, PRODUCTS, type Product } from '../../src/index.js';
import {
  DAY,
  HOUR,
  SECOND,
  T0,
  at,
  caseAfterWindowWithIncident,
  caseWithIncidentBasis,
  caseWithoutTechnicalBasis,
  caseWithPendingServiceReport,
  caseWithUndeterminedReport,
  codesOf,
  day,
  decideSummary,
  denied,
  eligibleCase,
  fullRefund,
  incident,
  iso,
  manualReview,
  messageOf,
  pending,
  plusMs,
  priorOrder,
  prorata,
  report,
  tweak,
  withOffset,
  type CaseJson,
  type IncidentJson,
} from '../support/cases.js';

const SEVEN_DAYS = 7 * DAY;
/** The day-1 report's deadline: day 1 + 15 days. */
const DEADLINE = day(16);

describe('request window: within 7 days of the first purchase of the plan', () => {
  it('exactly 168 h after the first purchase is inside', () => {
    const c = eligibleCase({ request: { submittedAt: plusMs(T0, 168 * HOUR) } });
    expect(decideSummary(c)).toEqual(fullRefund(3000));
  });
  it('168 h + 1 ms is outside', () => {
    const c = eligibleCase({ request: { submittedAt: plusMs(T0, SEVEN_DAYS + 1) } });
    expect(decideSummary(c)).toEqual(denied(['WINDOW_EXPIRED']));
  });
  it('168 h + 1 s is outside', () => {
    const c = eligibleCase({ request: { submittedAt: plusMs(T0, SEVEN_DAYS + SECOND) } });
    expect(decideSummary(c)).toEqual(denied(['WINDOW_EXPIRED']));
  });
  it('is anchored on an earlier prior order of the same plan', () => {
    const c = eligibleCase({ priorOrders: [priorOrder({ purchasedAt: day(-5) })] });
    expect(decideSummary(c)).toEqual(denied(['WINDOW_EXPIRED']));
  });
  it('a prior order of the same plan exactly 7 days before submittedAt: inside', () => {
    const c = eligibleCase({ priorOrders: [priorOrder({ purchasedAt: day(-4) })] });
    expect(decideSummary(c)).toEqual(fullRefund(3000));
  });
  it('a prior order of the same plan 7 days + 1 ms before submittedAt: outside', () => {
    const c = eligibleCase({ priorOrders: [priorOrder({ purchasedAt: plusMs(day(-4), -1) })] });
    expect(decideSummary(c)).toEqual(denied(['WINDOW_EXPIRED']));
  });
  it('prior orders of other plans are ignored', () => {
    const c = eligibleCase({
      priorOrders: [priorOrder({ planId: 'res-1gb', purchasedAt: day(-100) })],
    });
    expect(decideSummary(c)).toEqual(fullRefund(3000));
  });
  it('a later prior order of the same plan does not move the anchor', () => {
    const c = eligibleCase({
      request: { submittedAt: day(7) },
      priorOrders: [priorOrder({ purchasedAt: day(1) })],
    });
    expect(decideSummary(c)).toEqual(fullRefund(3000));
    expect(codesOf(withWindowAt(c, plusMs(day(7), 1)))).toEqual(['WINDOW_EXPIRED']);
  });
  it('a same-plan prior order dated after evaluatedAt is ignored', () => {
    const c = eligibleCase({
      request: { submittedAt: day(7) },
      priorOrders: [priorOrder({ purchasedAt: day(21) })],
    });
    expect(decideSummary(c)).toEqual(fullRefund(3000));
  });
});

function withWindowAt(c: CaseJson, submittedAt: string): CaseJson {
  return tweak(c, (d) => {
    d.request.submittedAt = submittedAt;
  });
}

describe('usage caps: over only when strictly greater (SI units: 1 MB = 10^6 bytes)', () => {
  const caps: Record<Product, { traffic: number; requests: number }> = {
    dynamic_residential: { traffic: 500_000_000, requests: 5_000 },
    static_isp: { traffic: 1_000_000_000, requests: 10_000 },
    datacenter: { traffic: 1_000_000_000, requests: 10_000 },
    mobile_dynamic: { traffic: 200_000_000, requests: 2_000 },
    mobile_static: { traffic: 200_000_000, requests: 2_000 },
    unlimited: { traffic: 2_000_000_000, requests: 20_000 },
  };
  it('the table covers every product', () => {
    expect(Object.keys(caps).sort()).toEqual([...PRODUCTS].sort());
  });
  describe.each(PRODUCTS.map((p) => [p, caps[p]] as const))('%s', (product, cap) => {
    const usage = (trafficBytes: number, requests: number): CaseJson =>
      eligibleCase({ order: { product }, usage: { trafficBytes, requests } });
    it(`traffic equal to ${cap.traffic} bytes and requests equal to ${cap.requests}: ok`, () => {
      expect(decideSummary(usage(cap.traffic, cap.requests))).toEqual(fullRefund(3000));
    });
    it('traffic one byte over: USAGE_CAP_TRAFFIC', () => {
      expect(codesOf(usage(cap.traffic + 1, cap.requests))).toEqual(['USAGE_CAP_TRAFFIC']);
    });
    it('requests one over: USAGE_CAP_REQUESTS', () => {
      expect(codesOf(usage(cap.traffic, cap.requests + 1))).toEqual(['USAGE_CAP_REQUESTS']);
    });
    it('both over', () => {
      expect(codesOf(usage(cap.traffic + 1, cap.requests + 1))).toEqual([
        'USAGE_CAP_REQUESTS',
        'USAGE_CAP_TRAFFIC',
      ]);
    });
    it('the cap is in SI megabytes: the same number of MiB is over', () => {
      const mib = (cap.traffic / 1_000_000) * 1_048_576;
      expect(codesOf(usage(mib, 0))).toEqual(['USAGE_CAP_TRAFFIC']);
    });
  });
  it('zero usage is under every cap', () => {
    expect(decideSummary(eligibleCase({ usage: { trafficBytes: 0, requests: 0 } }))).toEqual(
      fullRefund(3000),
    );
  });
});

describe('report basis: deadline = reportedAt + 15 days', () => {
  it('evaluatedAt == deadline: the report holds', () => {
    expect(decideSummary(eligibleCase({ evaluatedAt: DEADLINE }))).toEqual(fullRefund(3000));
  });
  it('evaluatedAt 1 ms before the deadline: pending until the deadline', () => {
    const c = eligibleCase({ evaluatedAt: plusMs(DEADLINE, -1) });
    expect(decideSummary(c)).toEqual(pending('2026-03-18T10:00:00.000Z'));
  });
  it('remediatedAt == deadline: neither holds nor is pending', () => {
    const c = eligibleCase({ reports: [report({ remediatedAt: DEADLINE })] });
    expect(decideSummary(c)).toEqual(denied(['NO_TECHNICAL_BASIS']));
  });
  it('remediatedAt == deadline == evaluatedAt: neither', () => {
    const c = eligibleCase({
      evaluatedAt: DEADLINE,
      reports: [report({ remediatedAt: DEADLINE })],
    });
    expect(decideSummary(c)).toEqual(denied(['NO_TECHNICAL_BASIS']));
  });
  it('remediatedAt 1 ms after the deadline: holds', () => {
    const c = eligibleCase({ reports: [report({ remediatedAt: plusMs(DEADLINE, 1) })] });
    expect(decideSummary(c)).toEqual(fullRefund(3000));
  });
  it('remediated before the deadline and before evaluatedAt: not pending', () => {
    const c = eligibleCase({ evaluatedAt: day(10), reports: [report({ remediatedAt: day(5) })] });
    expect(decideSummary(c)).toEqual(denied(['NO_TECHNICAL_BASIS']));
  });
  it('remediated the moment it was reported: neither', () => {
    const c = eligibleCase({ reports: [report({ remediatedAt: day(1) })] });
    expect(decideSummary(c)).toEqual(denied(['NO_TECHNICAL_BASIS']));
  });
  it('remediatedAt later than evaluatedAt reads as null: pending', () => {
    const c = eligibleCase({ evaluatedAt: day(10), reports: [report({ remediatedAt: day(11) })] });
    expect(decideSummary(c)).toEqual(pending('2026-03-18T10:00:00.000Z'));
  });
  it('remediatedAt 1 ms later than evaluatedAt reads as null: pending', () => {
    const c = eligibleCase({
      evaluatedAt: day(10),
      reports: [report({ remediatedAt: plusMs(day(10), 1) })],
    });
    expect(decideSummary(c)).toEqual(pending('2026-03-18T10:00:00.000Z'));
  });
  it('remediatedAt == evaluatedAt (before the deadline) is a remediation: not pending', () => {
    const c = eligibleCase({ evaluatedAt: day(10), reports: [report({ remediatedAt: day(10) })] });
    expect(decideSummary(c)).toEqual(denied(['NO_TECHNICAL_BASIS']));
  });
  it('a report exactly at first purchase + 7 days counts', () => {
    const c = eligibleCase({ evaluatedAt: day(22), reports: [report({ reportedAt: day(7) })] });
    expect(decideSummary(c)).toEqual(fullRefund(3000));
  });
  it('a report 1 ms after first purchase + 7 days does not', () => {
    const c = eligibleCase({
      evaluatedAt: day(23),
      reports: [report({ reportedAt: plusMs(day(7), 1) })],
    });
    expect(decideSummary(c)).toEqual(denied(['NO_TECHNICAL_BASIS']));
  });
  it('a report exactly at the first purchase counts; 1 ms before it does not', () => {
    const onTime = eligibleCase({ reports: [report({ reportedAt: T0 })] });
    expect(decideSummary(onTime)).toEqual(fullRefund(3000));
    const early = eligibleCase({ reports: [report({ reportedAt: plusMs(T0, -1) })] });
    expect(decideSummary(early)).toEqual(denied(['NO_TECHNICAL_BASIS']));
  });
  it('the first 7 days are anchored on the first purchase of the plan (a prior order)', () => {
    const prior = [priorOrder({ purchasedAt: day(-2) })];
    const inside = eligibleCase({ priorOrders: prior, reports: [report({ reportedAt: day(5) })] });
    expect(decideSummary(inside)).toEqual(fullRefund(3000));
    const outside = eligibleCase({
      priorOrders: prior,
      reports: [report({ reportedAt: plusMs(day(5), 1) })],
    });
    expect(decideSummary(outside)).toEqual(denied(['NO_TECHNICAL_BASIS']));
  });
  it('a report dated after evaluatedAt is ignored', () => {
    const c = eligibleCase({ evaluatedAt: day(4), reports: [report({ reportedAt: day(5) })] });
    expect(decideSummary(c)).toEqual(denied(['NO_TECHNICAL_BASIS']));
    const excluded = caseWithoutTechnicalBasis({
      evaluatedAt: day(4),
      reports: [report({ reportedAt: plusMs(day(4), 1), cause: 'target_anti_bot' })],
    });
    expect(decideSummary(excluded)).toEqual(denied(['NO_TECHNICAL_BASIS']));
  });
  it('a report dated exactly at evaluatedAt is seen (pending)', () => {
    const c = eligibleCase({ evaluatedAt: day(4), reports: [report({ reportedAt: day(4) })] });
    expect(decideSummary(c)).toEqual(pending(day(19)));
  });
  it.each([
    ['target_anti_bot', ['EXCLUDED_CAUSE', 'NO_TECHNICAL_BASIS']],
    ['third_party_tool', ['EXCLUDED_CAUSE', 'NO_TECHNICAL_BASIS']],
    ['account_restriction', ['EXCLUDED_CAUSE', 'NO_TECHNICAL_BASIS']],
    ['user_side', ['NO_TECHNICAL_BASIS']],
  ] as const)('only cause service founds a basis: %s does not', (cause, codes) => {
    expect(decideSummary(eligibleCase({ reports: [report({ cause })] }))).toEqual(
      denied([...codes]),
    );
  });
  it('an undetermined report never founds a basis by itself', () => {
    expect(decideSummary(caseWithUndeterminedReport())).toEqual(
      manualReview(['NEEDS_TECHNICAL_REVIEW', 'NO_TECHNICAL_BASIS']),
    );
  });
});

describe('pending: decidableAt', () => {
  it('is the earliest deadline among several pending reports, in UTC with milliseconds', () => {
    const c = eligibleCase({
      evaluatedAt: day(10),
      reports: [
        report({ reportedAt: day(2) }),
        report({ reportedAt: day(1.5) }),
        report({ reportedAt: day(3) }),
      ],
    });
    expect(decideSummary(c)).toEqual(pending('2026-03-18T22:00:00.000Z'));
  });
  it('ignores reports that are not pending', () => {
    const c = eligibleCase({
      evaluatedAt: day(10),
      reports: [
        report({ reportedAt: day(1), remediatedAt: day(2) }),
        report({ reportedAt: day(3), cause: 'undetermined' }),
        report({ reportedAt: day(4) }),
      ],
    });
    expect(decideSummary(c)).toEqual(pending('2026-03-21T10:00:00.000Z'));
  });
  it('is written in UTC even when the report carries an offset', () => {
    const plus = caseWithPendingServiceReport({
      reports: [report({ reportedAt: '2026-03-03T15:45:00+05:45' })],
    });
    expect(decide(plus).decidableAt).toBe('2026-03-18T10:00:00.000Z');
    const minus = caseWithPendingServiceReport({
      reports: [report({ reportedAt: '2026-03-02T22:00:00.5-12:00' })],
    });
    expect(decide(minus).decidableAt).toBe('2026-03-18T10:00:00.500Z');
  });
  it('a pending service report beside an undetermined one is pending, not review', () => {
    const c = caseWithPendingServiceReport({
      reports: [report(), report({ cause: 'undetermined' })],
    });
    expect(decideSummary(c)).toEqual(pending('2026-03-18T10:00:00.000Z'));
  });
});

describe('incident basis: overlaps the first 7 days for a positive length', () => {
  /** No report; the given incident is the only possible basis. Submitted day 3, evaluated day 20. */
  function withIncident(overrides: Partial<IncidentJson>, caseOverrides = {}): CaseJson {
    return caseWithoutTechnicalBasis({
      ...caseOverrides,
      incidents: [incident({ id: 'inc_b', confirmedAt: day(8), ...overrides })],
    });
  }
  it('ending exactly at the first purchase: zero-length overlap, no basis', () => {
    const c = withIncident({ startsAt: day(-1), endsAt: T0 });
    expect(decideSummary(c)).toEqual(denied(['NO_TECHNICAL_BASIS']));
  });
  it('ending 1 ms after the first purchase: basis', () => {
    const c = withIncident({ startsAt: day(-1), endsAt: plusMs(T0, 1) });
    expect(decideSummary(c)).toEqual(fullRefund(3000));
  });
  it('starting exactly at first purchase + 7 days: no basis (pro-rata only)', () => {
    const c = withIncident({ startsAt: day(7), endsAt: day(7.25) });
    expect(decideSummary(c)).toEqual(prorata(25, 1, ['NO_TECHNICAL_BASIS', 'PRORATA_INCIDENT']));
  });
  it('starting 1 ms before first purchase + 7 days: basis', () => {
    const c = withIncident({ startsAt: plusMs(day(7), -1), endsAt: day(7.25) });
    expect(decideSummary(c)).toEqual(fullRefund(3000));
  });
  it('the first 7 days are anchored on the first purchase of the plan', () => {
    const prior = [priorOrder({ purchasedAt: day(-2) })];
    const touching = withIncident({ startsAt: day(5), endsAt: day(6) }, { priorOrders: prior });
    expect(decideSummary(touching)).toEqual(
      prorata(100, 1, ['NO_TECHNICAL_BASIS', 'PRORATA_INCIDENT']),
    );
    const overlapping = withIncident(
      { startsAt: plusMs(day(5), -1), endsAt: day(6) },
      { priorOrders: prior },
    );
    expect(decideSummary(overlapping)).toEqual(fullRefund(3000));
  });
  it('an open incident (endsAt null) runs to evaluatedAt', () => {
    const c = withIncident(
      { startsAt: day(4.5), endsAt: null, confirmedAt: day(4.75) },
      { evaluatedAt: day(5) },
    );
    expect(decideSummary(c)).toEqual(fullRefund(3000));
  });
  it('an incident starting exactly at evaluatedAt and ending later has zero length', () => {
    const c = withIncident(
      { startsAt: day(5), endsAt: day(6), confirmedAt: day(5) },
      { evaluatedAt: day(5) },
    );
    expect(decideSummary(c)).toEqual(denied(['NO_TECHNICAL_BASIS']));
  });
  it('an open incident starting exactly at evaluatedAt has zero length', () => {
    const c = withIncident(
      { startsAt: day(5), endsAt: null, confirmedAt: day(5) },
      { evaluatedAt: day(5) },
    );
    expect(decideSummary(c)).toEqual(denied(['NO_TECHNICAL_BASIS']));
  });
  it('endsAt after evaluatedAt reads as null (runs to evaluatedAt)', () => {
    const c = withIncident(
      { startsAt: day(4.5), endsAt: day(30), confirmedAt: day(4.75) },
      { evaluatedAt: day(5) },
    );
    expect(decideSummary(c)).toEqual(fullRefund(3000));
  });
  it('an unconfirmed incident is ignored', () => {
    const c = withIncident({ startsAt: day(2), endsAt: day(3), confirmedAt: null });
    expect(decideSummary(c)).toEqual(denied(['NO_TECHNICAL_BASIS']));
  });
  it('an incident confirmed after evaluatedAt is unconfirmed', () => {
    const c = withIncident({ startsAt: day(2), endsAt: day(3), confirmedAt: plusMs(day(20), 1) });
    expect(decideSummary(c)).toEqual(denied(['NO_TECHNICAL_BASIS']));
  });
  it('an incident confirmed exactly at evaluatedAt is confirmed', () => {
    const c = withIncident({ startsAt: day(2), endsAt: day(3), confirmedAt: day(20) });
    expect(decideSummary(c)).toEqual(fullRefund(3000));
  });
  it('an incident starting after evaluatedAt is ignored, even if confirmed in advance', () => {
    const c = withIncident(
      { startsAt: day(5), endsAt: day(6), confirmedAt: day(3) },
      { evaluatedAt: day(4) },
    );
    expect(decideSummary(c)).toEqual(denied(['NO_TECHNICAL_BASIS']));
  });
  it('products: "all" covers the order product', () => {
    const c = withIncident({ startsAt: day(2), endsAt: day(3), products: ['all'] });
    expect(decideSummary(c)).toEqual(fullRefund(3000));
  });
  it('products: a list naming the order product among others', () => {
    const c = withIncident({
      startsAt: day(2),
      endsAt: day(3),
      products: ['datacenter', 'dynamic_residential'],
    });
    expect(decideSummary(c)).toEqual(fullRefund(3000));
  });
  it('products: another product only is not on the product', () => {
    const c = withIncident({
      startsAt: day(2),
      endsAt: day(3),
      products: ['datacenter', 'mobile_static'],
    });
    expect(decideSummary(c)).toEqual(denied(['NO_TECHNICAL_BASIS']));
  });
  it('not widely impacting: no basis, but it counts for pro-rata', () => {
    const c = withIncident({ startsAt: day(2), endsAt: day(2.5), widelyImpacting: false });
    expect(decideSummary(c)).toEqual(prorata(50, 1, ['NO_TECHNICAL_BASIS', 'PRORATA_INCIDENT']));
  });
  it('an incident already compensated on the order still founds the basis (section 4)', () => {
    const c = caseWithIncidentBasis({
      order: { compensatedIncidentIds: ['inc_basis'], refundedCents: 50 },
    });
    expect(decideSummary(c)).toEqual(fullRefund(2950));
  });
});

describe('pro-rata arithmetic (30-day service period = 720 h, 3000 cents)', () => {
  /** Submitted day 10 (window expired), evaluated day 20, no report: pro-rata over `incidents`. */
  function withIncidents(incidents: IncidentJson[], overrides = {}): CaseJson {
    return tweak(caseAfterWindowWithIncident(overrides), (d) => {
      d.incidents = incidents;
    });
  }
  const CODES = ['NO_TECHNICAL_BASIS', 'PRORATA_INCIDENT', 'WINDOW_EXPIRED'];
  const a = (startDay: number, endDay: number | null, id = 'inc_a'): IncidentJson =>
    incident({
      id,
      startsAt: day(startDay),
      endsAt: endDay === null ? null : day(endDay),
      confirmedAt: day(19),
    });

  it('one incident of 6 h: 25 cents, 1 day', () => {
    expect(decideSummary(withIncidents([a(12, 12.25)]))).toEqual(prorata(25, 1, CODES));
  });
  it('overlapping incidents count their union once: 12 h, not 15 h', () => {
    const c = withIncidents([a(12, 12.25), a(12.125, 12.5, 'inc_b')]);
    expect(decideSummary(c)).toEqual(prorata(50, 1, CODES));
  });
  it('a contained incident adds nothing: 24 h', () => {
    const c = withIncidents([a(12, 13), a(12.25, 12.5, 'inc_b')]);
    expect(decideSummary(c)).toEqual(prorata(100, 1, CODES));
  });
  it('the same interval twice counts once', () => {
    const c = withIncidents([a(12, 12.25), a(12, 12.25, 'inc_b')]);
    expect(decideSummary(c)).toEqual(prorata(25, 1, CODES));
  });
  it('touching incidents: 6 h + 6 h', () => {
    const c = withIncidents([a(12.25, 12.5, 'inc_b'), a(12, 12.25)]);
    expect(decideSummary(c)).toEqual(prorata(50, 1, CODES));
  });
  it('disjoint incidents are summed, in any order: 6 h + 12 h', () => {
    const c = withIncidents([a(14, 14.5, 'inc_b'), a(12, 12.25)]);
    expect(decideSummary(c)).toEqual(prorata(75, 1, CODES));
  });
  it('clipped to the start of the service period', () => {
    const c = withIncidents([
      incident({ startsAt: day(-1), endsAt: day(0.25), widelyImpacting: false }),
    ]);
    expect(decideSummary(c)).toEqual(prorata(25, 1, CODES));
  });
  it('clipped to the end of the service period (15 days = 360 h): 6 h of 360 h', () => {
    const c = withIncidents([a(14.75, 16)], { order: { servicePeriodDays: 15 } });
    expect(decideSummary(c)).toEqual(prorata(50, 1, CODES));
  });
  it('an incident starting exactly at the end of the service period affects nothing', () => {
    const c = withIncidents([a(10, 11)], { order: { servicePeriodDays: 10 } });
    expect(decideSummary(c)).toEqual(denied(['NO_TECHNICAL_BASIS', 'WINDOW_EXPIRED']));
  });
  it('clipped to evaluatedAt: an open incident runs to evaluatedAt (8 days)', () => {
    const c = withIncidents([a(12, null)]);
    expect(decideSummary(c)).toEqual(prorata(800, 8, CODES));
  });
  it('clipped to evaluatedAt: endsAt after evaluatedAt reads as null', () => {
    const c = withIncidents([a(19.75, 25)]);
    expect(decideSummary(c)).toEqual(prorata(25, 1, CODES));
  });
  it('compensated incidents are left out', () => {
    const c = withIncidents([a(12, 12.25), a(14, 14.5, 'inc_b')], {
      order: { compensatedIncidentIds: ['inc_b'], refundedCents: 50 },
    });
    expect(decideSummary(c)).toEqual(prorata(25, 1, CODES));
  });
  it('unconfirmed incidents and incidents on other products are left out', () => {
    const c = withIncidents([
      a(12, 12.25),
      { ...a(13, 14, 'inc_u'), confirmedAt: null },
      { ...a(15, 16, 'inc_late_confirm'), confirmedAt: day(21) },
      { ...a(17, 18, 'inc_dc'), products: ['datacenter'] },
      { ...a(18, 18.25, 'inc_all'), products: ['all'] },
    ]);
    expect(decideSummary(c)).toEqual(prorata(50, 1, CODES));
  });
  it('rounds toward zero: 1000 x 1 h / 720 h = 1.38 -> 1', () => {
    const c = withIncidents([incident({ ...a(12, 12), endsAt: plusMs(day(12), HOUR) })], {
      order: { amountCents: 1000 },
    });
    expect(decideSummary(c)).toEqual(prorata(1, 1, CODES));
  });
  it('rounds toward zero: 719 x 1 h / 720 h = 0.998 -> 0', () => {
    const c = withIncidents([incident({ ...a(12, 12), endsAt: plusMs(day(12), HOUR) })], {
      order: { amountCents: 719 },
    });
    expect(decideSummary(c)).toEqual(prorata(0, 1, CODES));
  });
  it('1 ms affected: refund 0, extension 1 day', () => {
    const c = withIncidents([incident({ ...a(12, 12), endsAt: plusMs(day(12), 1) })]);
    expect(decideSummary(c)).toEqual(prorata(0, 1, CODES));
  });
  it('is capped by amount - refunded', () => {
    const c = withIncidents([a(12, 12.25)], { order: { refundedCents: 2990 } });
    expect(decideSummary(c)).toEqual(prorata(10, 1, CODES));
  });
  it('with refunded == amount the hard ALREADY_REFUNDED wins', () => {
    const c = withIncidents([a(12, 12.25)], { order: { refundedCents: 3000 } });
    expect(decideSummary(c)).toEqual(
      denied(['ALREADY_REFUNDED', 'NO_TECHNICAL_BASIS', 'WINDOW_EXPIRED']),
    );
  });
  it('extensionDays: exactly 24 h -> 1', () => {
    expect(decideSummary(withIncidents([a(12, 13)]))).toEqual(prorata(100, 1, CODES));
  });
  it('extensionDays: 24 h + 1 ms -> 2', () => {
    const c = withIncidents([incident({ ...a(12, 12), endsAt: plusMs(day(13), 1) })]);
    expect(decideSummary(c)).toEqual(prorata(100, 2, CODES));
  });
  it('extensionDays: 48 h -> 2', () => {
    expect(decideSummary(withIncidents([a(12, 14)]))).toEqual(prorata(200, 2, CODES));
  });
  it('exact for amounts up to Number.MAX_SAFE_INTEGER (no floating point)', () => {
    const c = withIncidents([a(12, 12.25)], { order: { amountCents: Number.MAX_SAFE_INTEGER } });
    // floor(9007199254740991 / 120)
    expect(decideSummary(c)).toEqual(prorata(75_059_993_789_508, 1, CODES));
  });
  it('exact where floating point is not: MAX_SAFE_INTEGER x 23 h / 720 h', () => {
    // In doubles, 9007199254740991 * 82800000 / 2592000000 floors to 287729976193115.
    const c = withIncidents([incident({ ...a(12, 12), endsAt: plusMs(day(12), 23 * HOUR) })], {
      order: { amountCents: Number.MAX_SAFE_INTEGER },
    });
    expect(decideSummary(c)).toEqual(prorata(287_729_976_193_114, 1, CODES));
  });
  it('is computed over the order service period, not the first purchase of the plan', () => {
    const c = withIncidents([a(12, 12.25)], {
      priorOrders: [priorOrder({ purchasedAt: day(-40) })],
    });
    expect(decideSummary(c)).toEqual(prorata(25, 1, CODES));
  });
});

describe('repeat refunds: 2 or more requested refunds in the 365 days before submittedAt', () => {
  const SUBMITTED = day(3);
  const refunded = (refundedAt: string | null, id: string, kind?: 'compensation') =>
    priorOrder({
      id,
      planId: 'dc-1',
      purchasedAt: plusMs(SUBMITTED, -400 * DAY),
      refundedAt,
      ...(kind === undefined ? {} : { refundKind: kind }),
    });
  const recent = refunded(day(1), 'p_recent');

  it('exactly 365 days before submittedAt counts', () => {
    const c = eligibleCase({
      priorOrders: [refunded(plusMs(SUBMITTED, -365 * DAY), 'p_old'), recent],
    });
    expect(decideSummary(c)).toEqual(denied(['ABUSE_REPEAT_REFUNDS']));
  });
  it('365 days + 1 ms before submittedAt does not', () => {
    const c = eligibleCase({
      priorOrders: [refunded(plusMs(SUBMITTED, -365 * DAY - 1), 'p_old'), recent],
    });
    expect(decideSummary(c)).toEqual(fullRefund(3000));
  });
  it('exactly at submittedAt counts', () => {
    const c = eligibleCase({ priorOrders: [refunded(SUBMITTED, 'p_now'), recent] });
    expect(decideSummary(c)).toEqual(denied(['ABUSE_REPEAT_REFUNDS']));
  });
  it('1 ms after submittedAt does not (even before evaluatedAt)', () => {
    const c = eligibleCase({ priorOrders: [refunded(plusMs(SUBMITTED, 1), 'p_after'), recent] });
    expect(decideSummary(c)).toEqual(fullRefund(3000));
  });
  it('a refund dated after evaluatedAt does not', () => {
    const c = eligibleCase({ priorOrders: [refunded(day(25), 'p_future'), recent] });
    expect(decideSummary(c)).toEqual(fullRefund(3000));
  });
  it('refunds the seller made as compensation do not count', () => {
    const c = eligibleCase({
      priorOrders: [
        refunded(day(-10), 'p_c1', 'compensation'),
        refunded(day(-5), 'p_c2', 'compensation'),
        recent,
      ],
    });
    expect(decideSummary(c)).toEqual(fullRefund(3000));
  });
  it('one requested refund is fine, two fail', () => {
    expect(decideSummary(eligibleCase({ priorOrders: [recent] }))).toEqual(fullRefund(3000));
    const two = eligibleCase({ priorOrders: [recent, refunded(day(-100), 'p_2')] });
    expect(decideSummary(two)).toEqual(denied(['ABUSE_REPEAT_REFUNDS']));
  });
  it('refundKind defaults to requested', () => {
    const raw = eligibleCase({
      priorOrders: [
        priorOrder({ id: 'p1', planId: 'dc-1', purchasedAt: day(-20), refundedAt: day(-19) }),
        priorOrder({ id: 'p2', planId: 'dc-1', purchasedAt: day(-10), refundedAt: day(-9) }),
      ],
    });
    const withoutKind = JSON.parse(
      JSON.stringify(raw, (key, value: unknown) => (key === 'refundKind' ? undefined : value)),
    ) as unknown;
    expect(JSON.stringify(withoutKind)).not.toContain('refundKind');
    expect(decide(withoutKind).reasons.map((r) => r.code)).toEqual(['ABUSE_REPEAT_REFUNDS']);
  });
  it('365 days, not a calendar year: across 29 February 2024', () => {
    // 2024 is a leap year: 2024-03-05T10:00Z minus 365 days is 2023-03-06T10:00Z, not 2023-03-05.
    const base: CaseJson = tweak(eligibleCase(), (d) => {
      d.order.purchasedAt = '2024-03-02T10:00:00Z';
      d.reports = [report({ reportedAt: '2024-03-03T10:00:00Z' })];
      d.request.submittedAt = '2024-03-05T10:00:00Z';
      d.evaluatedAt = '2024-03-25T10:00:00Z';
    });
    const prior = (refundedAt: string, id: string) =>
      priorOrder({ id, planId: 'dc-1', purchasedAt: '2022-01-01T00:00:00Z', refundedAt });
    const inside = tweak(base, (d) => {
      d.priorOrders = [prior('2023-03-06T10:00:00Z', 'p1'), prior('2024-01-01T00:00:00Z', 'p2')];
    });
    expect(decideSummary(inside)).toEqual(denied(['ABUSE_REPEAT_REFUNDS']));
    const calendarYear = tweak(base, (d) => {
      d.priorOrders = [prior('2023-03-05T10:00:00Z', 'p1'), prior('2024-01-01T00:00:00Z', 'p2')];
    });
    expect(decideSummary(calendarYear)).toEqual(fullRefund(3000));
  });
});

describe('ALREADY_REFUNDED and chargebacks', () => {
  it('ALREADY_REFUNDED only when refundedCents > 0 and == amountCents', () => {
    expect(codesOf(eligibleCase({ order: { refundedCents: 3000 } }))).toEqual(['ALREADY_REFUNDED']);
    expect(decideSummary(eligibleCase({ order: { refundedCents: 2999 } }))).toEqual(fullRefund(1));
    expect(decideSummary(eligibleCase({ order: { amountCents: 0, refundedCents: 0 } }))).toEqual(
      fullRefund(0),
    );
  });
  it.each([
    [['open'], ['ACTIVE_CHARGEBACK']],
    [['withdrawn'], []],
    [['won'], []],
    [['lost'], ['CHARGEBACK_LOST']],
    [['withdrawn', 'won'], []],
    [['open', 'open'], ['ACTIVE_CHARGEBACK']],
    [
      ['lost', 'open', 'withdrawn'],
      ['ACTIVE_CHARGEBACK', 'CHARGEBACK_LOST'],
    ],
  ] as const)('chargebacks %j -> %j', (statuses, codes) => {
    const c = eligibleCase({ chargebacks: statuses.map((status) => ({ status })) });
    expect(codesOf(c)).toEqual(codes);
  });
});

describe('time-zone offsets denote the same instants', () => {
  const OFFSETS = [14 * 60, -12 * 60, 5 * 60 + 45, 0];
  function rewriteAll(c: CaseJson, offset: number): CaseJson {
    return JSON.parse(
      JSON.stringify(c, (_key, value: unknown) =>
        typeof value === 'string' && /^\d{4}-\d\d-\d\dT/.test(value)
          ? withOffset(value, offset)
          : value,
      ),
    ) as CaseJson;
  }
  const cases: Array<[string, CaseJson]> = [
    ['eligible', eligibleCase()],
    ['pending', caseWithPendingServiceReport()],
    ['undetermined', caseWithUndeterminedReport()],
    ['after window with incident', caseAfterWindowWithIncident()],
    ['open incident', caseAfterWindowWithIncident({ incidents: [incident({ endsAt: null })] })],
  ];
  for (const [name, c] of cases) {
    it.each(OFFSETS)(`${name}, every instant at offset %i min: the same bytes`, (offset) => {
      const rewritten = rewriteAll(c, offset);
      expect(rewritten.order.purchasedAt).not.toBe(c.order.purchasedAt);
      expect(at(rewritten.order.purchasedAt)).toBe(at(c.order.purchasedAt));
      expect(JSON.stringify(decide(rewritten))).toBe(JSON.stringify(decide(c)));
    });
  }
  it('the window boundary holds across +14:00, -12:00 and +05:45', () => {
    // 2026-03-02T09:45:00Z written at +14:00; exactly 7 days later written at -12:00 and +05:45.
    const purchasedAt = '2026-03-02T23:45:00+14:00';
    const onTime = ['2026-03-08T21:45:00-12:00', '2026-03-09T15:30:00+05:45'];
    for (const submittedAt of onTime) {
      const c = eligibleCase({ order: { purchasedAt }, request: { submittedAt } });
      expect(at(submittedAt) - at(purchasedAt)).toBe(SEVEN_DAYS);
      expect(decideSummary(c)).toEqual(fullRefund(3000));
    }
    const late = eligibleCase({
      order: { purchasedAt },
      request: { submittedAt: '2026-03-08T21:45:00.001-12:00' },
    });
    expect(decideSummary(late)).toEqual(denied(['WINDOW_EXPIRED']));
  });
  it('the window message states the elapsed time computed across offsets', () => {
    const c = eligibleCase({
      order: { purchasedAt: '2026-03-02T23:45:00+14:00' },
      request: { submittedAt: '2026-03-09T15:30:01+05:45' },
    });
    expect(messageOf(c, 'WINDOW_EXPIRED')).toContain('7 days 1 second');
    expect(messageOf(c, 'WINDOW_EXPIRED')).toContain('2026-03-02T09:45:00.000Z');
  });
});

describe('currencies: amounts are minor units', () => {
  it('JPY (no decimals): 500 JPY refunded in full, promo shown as "500 JPY"', () => {
    const c = eligibleCase({
      order: { currency: 'JPY', amountCents: 500, promoCreditsCents: 500 },
    });
    const d = decide(c);
    expect(d.currency).toBe('JPY');
    expect(decideSummary(c)).toEqual(fullRefund(500, ['PROMO_NOT_REFUNDED']));
    expect(messageOf(c, 'PROMO_NOT_REFUNDED')).toContain('500 JPY');
    expect(messageOf(c, 'PROMO_NOT_REFUNDED')).not.toContain('5.00');
  });
  it('KWD (three decimals): promo 1234 shown as "1.234 KWD"', () => {
    const c = eligibleCase({
      order: { currency: 'KWD', amountCents: 1234, promoCreditsCents: 1234 },
    });
    expect(decideSummary(c)).toEqual(fullRefund(1234, ['PROMO_NOT_REFUNDED']));
    expect(messageOf(c, 'PROMO_NOT_REFUNDED')).toContain('1.234 KWD');
  });
  it('pro-rata in JPY: floor(500 x 6 h / 720 h) = 4, "4 JPY of 500 JPY"', () => {
    const c = caseAfterWindowWithIncident({ order: { currency: 'JPY', amountCents: 500 } });
    expect(decideSummary(c)).toEqual(
      prorata(4, 1, ['NO_TECHNICAL_BASIS', 'PRORATA_INCIDENT', 'WINDOW_EXPIRED']),
    );
    expect(messageOf(c, 'PRORATA_INCIDENT')).toContain('4 JPY of 500 JPY');
  });
  it('pro-rata in KWD: floor(1234 x 6 h / 720 h) = 10, "0.010 KWD of 1.234 KWD"', () => {
    const c = caseAfterWindowWithIncident({ order: { currency: 'KWD', amountCents: 1234 } });
    expect(decide(c).refundCents).toBe(10);
    expect(messageOf(c, 'PRORATA_INCIDENT')).toContain('0.010 KWD of 1.234 KWD');
  });
  it('ALREADY_REFUNDED states the amount in the currency', () => {
    const c = eligibleCase({
      order: { currency: 'KWD', amountCents: 5, refundedCents: 5 },
    });
    expect(messageOf(c, 'ALREADY_REFUNDED')).toContain('0.005 KWD');
  });
});

describe('optional fields take their schema defaults', () => {
  it('a minimal case decides like the same case with every default written', () => {
    const full = caseWithoutTechnicalBasis({
      incidents: [incident({ startsAt: day(12), endsAt: null, confirmedAt: day(13) })],
    });
    const minimal = {
      evaluatedAt: full.evaluatedAt,
      order: {
        id: full.order.id,
        customerId: full.order.customerId,
        planId: full.order.planId,
        product: full.order.product,
        channel: full.order.channel,
        paymentMethod: full.order.paymentMethod,
        amountCents: full.order.amountCents,
        currency: full.order.currency,
        purchasedAt: full.order.purchasedAt,
        servicePeriodDays: full.order.servicePeriodDays,
      },
      usage: full.usage,
      incidents: [
        {
          id: 'inc_1',
          confirmedAt: day(13),
          startsAt: day(12),
          products: ['dynamic_residential'],
          widelyImpacting: true,
        },
      ],
      request: { submittedAt: full.request.submittedAt },
    };
    expect(JSON.stringify(decide(minimal))).toBe(JSON.stringify(decide(full)));
    expect(decideSummary(full)).toEqual(
      prorata(800, 8, ['NO_TECHNICAL_BASIS', 'PRORATA_INCIDENT']),
    );
  });
});

describe('time helpers used by these tests', () => {
  it('withOffset writes the same instant', () => {
    expect(withOffset('2026-03-02T09:45:00.000Z', 14 * 60)).toBe('2026-03-02T23:45:00+14:00');
    expect(withOffset('2026-03-02T09:45:00.001Z', -12 * 60)).toBe('2026-03-01T21:45:00.001-12:00');
    expect(withOffset('2026-03-02T09:45:00.000Z', 345)).toBe('2026-03-02T15:30:00+05:45');
    expect(iso(at(T0) + DAY)).toBe('2026-03-03T10:00:00.000Z');
  });
});
