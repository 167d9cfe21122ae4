/**
 * Property tests: invariants of the decision contract over generated valid cases that reach
 * every outcome, plus a reference model of sections 3-5 written from the contract text.
 */
import fc from 'fast-check';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import {
  CHARGEBACK_STATUSES,
  PRODUCTS,
  REPORT_CAUSES,
  decide,
  decisionSchema,
  type ChargebackStatus,
  type Decision,
  type Product,
} from '../../src/index.js';
import {
  CONTRACT_CLAUSES,
  DAY,
  HOUR,
  at,
  iso,
  summarize,
  tweak,
  withOffset,
  type CaseJson,
  type IncidentJson,
  type PriorOrderJson,
  type ReportJson,
  type Summary,
} from '../support/cases.js';

const RUNS = 300;
const WINDOW = 7 * DAY;
const REMEDIATION = 15 * DAY;
const LOOKBACK = 365 * DAY;

// ---------------------------------------------------------------------------------------------
// The generator

/** A duration in ms up to `max`: random, whole hours, or a contract boundary +- 1 ms. */
function duration(max: number, boundaries: readonly number[] = []): fc.Arbitrary<number> {
  const specials = [0, ...boundaries]
    .flatMap((b) => [b - 1, b, b + 1])
    .filter((v) => v >= 0 && v <= max);
  return fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0, max }) },
    {
      weight: 3,
      arbitrary: fc.integer({ min: 0, max: Math.floor(max / HOUR) }).map((h) => h * HOUR),
    },
    { weight: 2, arbitrary: fc.constantFrom(...specials) },
  );
}

/** An offset in ms in [min, max], biased to whole hours and to 0 / 7 days. */
function offset(min: number, max: number): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min, max }) },
    {
      weight: 3,
      arbitrary: fc
        .integer({ min: Math.ceil(min / HOUR), max: Math.floor(max / HOUR) })
        .map((h) => h * HOUR),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(0, WINDOW, WINDOW + 1, -1).filter((v) => v >= min && v <= max),
    },
  );
}

function rarely(): fc.Arbitrary<boolean> {
  return fc.oneof(
    { weight: 9, arbitrary: fc.constant(false) },
    { weight: 1, arbitrary: fc.constant(true) },
  );
}

const reportParams = fc.record({
  at: offset(-2 * DAY, 12 * DAY),
  cause: fc.oneof(
    { weight: 4, arbitrary: fc.constant('service' as const) },
    { weight: 3, arbitrary: fc.constantFrom(...REPORT_CAUSES) },
  ),
  remediatedAfter: fc.option(duration(25 * DAY, [REMEDIATION]), { nil: null, freq: 2 }),
});

const incidentParams = fc.record({
  startsAt: offset(-5 * DAY, 40 * DAY),
  length: fc.option(fc.integer({ min: 1, max: 5 * DAY }), { nil: null, freq: 4 }),
  confirmedAfter: fc.option(fc.integer({ min: -DAY, max: 5 * DAY }), { nil: null, freq: 6 }),
  /** "all", the order's product, or any list of products. */
  products: fc.oneof(
    fc.constant('all' as const),
    fc.constant('order' as const),
    fc.subarray([...PRODUCTS], { minLength: 1 }),
  ),
  widelyImpacting: fc.boolean(),
  compensated: rarely(),
});

const priorParams = fc.record({
  samePlan: fc.boolean(),
  purchasedAt: offset(-60 * DAY, 20 * DAY),
  refundedAfter: fc.option(fc.integer({ min: 0, max: 30 * DAY }), { nil: null }),
  kind: fc.constantFrom('requested' as const, 'compensation' as const),
});

const caseParams = fc.record({
  purchasedAt: fc.integer({ min: at('2024-01-01T00:00:00Z'), max: at('2027-12-31T00:00:00Z') }),
  submitDelay: duration(14 * DAY, [WINDOW]),
  evaluateDelay: duration(30 * DAY, [REMEDIATION]),
  amount: fc.oneof(
    { weight: 1, arbitrary: fc.constant(0) },
    { weight: 8, arbitrary: fc.integer({ min: 1, max: 1_000_000 }) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }) },
  ),
  refundedPerMille: fc.oneof(
    { weight: 6, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.constant(1000) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 1000 }) },
  ),
  promo: fc.oneof(
    { weight: 3, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 100_000 }) },
  ),
  currency: fc.constantFrom('USD', 'EUR', 'JPY', 'KWD'),
  servicePeriodDays: fc.oneof(fc.integer({ min: 1, max: 60 }), fc.constantFrom(7, 30, 365)),
  product: fc.constantFrom(...PRODUCTS),
  channel: fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom('official_site' as const, 'designated_link' as const) },
    { weight: 1, arbitrary: fc.constantFrom('reseller' as const, 'marketplace' as const) },
  ),
  paymentMethod: fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom('card' as const, 'paypal' as const, 'bank' as const) },
    { weight: 1, arbitrary: fc.constant('crypto' as const) },
  ),
  traffic: fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0, max: 200_000_000 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 2_500_000_000 }) },
    { weight: 1, arbitrary: fc.constantFrom(200_000_001, 500_000_000, 500_000_001, 1_000_000_001) },
  ),
  requests: fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0, max: 2_000 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 25_000 }) },
    { weight: 1, arbitrary: fc.constantFrom(2_001, 5_000, 5_001, 10_001) },
  ),
  reports: fc.array(reportParams, { maxLength: 3 }),
  incidents: fc.array(incidentParams, { maxLength: 3 }),
  priorOrders: fc.array(priorParams, { maxLength: 3 }),
  chargebacks: fc.oneof(
    { weight: 5, arbitrary: fc.constant<ChargebackStatus[]>([]) },
    {
      weight: 1,
      arbitrary: fc.array(fc.constantFrom(...CHARGEBACK_STATUSES), { minLength: 1, maxLength: 2 }),
    },
  ),
  tosBreach: rarely(),
  stressTesting: rarely(),
  legallyRequired: rarely(),
});

type CaseParams = typeof caseParams extends fc.Arbitrary<infer T> ? T : never;

function buildCase(p: CaseParams): CaseJson {
  const purchased = p.purchasedAt;
  const submitted = purchased + p.submitDelay;
  const evaluated = submitted + p.evaluateDelay;
  const amount = p.amount;
  const refunded = Number((BigInt(amount) * BigInt(p.refundedPerMille)) / 1000n);
  const reports: ReportJson[] = p.reports.map((r) => ({
    reportedAt: iso(purchased + r.at),
    cause: r.cause,
    remediatedAt: r.remediatedAfter === null ? null : iso(purchased + r.at + r.remediatedAfter),
  }));
  const incidents: IncidentJson[] = p.incidents.map((n, i) => {
    const startsAt = purchased + n.startsAt;
    return {
      id: `inc_${i}`,
      confirmedAt: n.confirmedAfter === null ? null : iso(startsAt + n.confirmedAfter),
      startsAt: iso(startsAt),
      endsAt: n.length === null ? null : iso(startsAt + n.length),
      products: n.products === 'all' ? ['all'] : n.products === 'order' ? [p.product] : n.products,
      widelyImpacting: n.widelyImpacting,
    };
  });
  const priorOrders: PriorOrderJson[] = p.priorOrders.map((o, i) => ({
    id: `prior_${i}`,
    planId: o.samePlan ? 'plan-a' : 'plan-b',
    purchasedAt: iso(purchased + o.purchasedAt),
    refundedAt: o.refundedAfter === null ? null : iso(purchased + o.purchasedAt + o.refundedAfter),
    refundKind: o.kind,
  }));
  return {
    evaluatedAt: iso(evaluated),
    order: {
      id: 'ord_main',
      customerId: 'cus_1',
      planId: 'plan-a',
      product: p.product,
      channel: p.channel,
      paymentMethod: p.paymentMethod,
      amountCents: amount,
      currency: p.currency,
      promoCreditsCents: p.promo,
      purchasedAt: iso(purchased),
      servicePeriodDays: p.servicePeriodDays,
      refundedCents: refunded,
      compensatedIncidentIds: incidents
        .filter((_, i) => p.incidents[i]?.compensated)
        .map((n) => n.id),
    },
    priorOrders,
    usage: { trafficBytes: p.traffic, requests: p.requests },
    reports,
    incidents,
    chargebacks: p.chargebacks.map((status) => ({ status })),
    account: { tosBreach: p.tosBreach, stressTesting: p.stressTesting },
    request: { submittedAt: iso(submitted), legallyRequired: p.legallyRequired },
  };
}

const validCase: fc.Arbitrary<CaseJson> = caseParams.map(buildCase);
const caseWithIncident: fc.Arbitrary<CaseJson> = caseParams
  .filter((p) => p.incidents.length > 0)
  .map(buildCase);

function money(c: CaseJson): number {
  return decide(c).refundCents;
}

/** Outcomes that settle what is paid (pending and manual review settle nothing yet). */
function settled(d: Decision): boolean {
  return d.outcome === 'full_refund' || d.outcome === 'prorata' || d.outcome === 'denied';
}

// ---------------------------------------------------------------------------------------------
// A reference model of contract sections 3-5, written from the text, for the shipped policy.

const CAPS: Record<Product, { traffic: number; requests: number }> = {
  dynamic_residential: { traffic: 500e6, requests: 5_000 },
  static_isp: { traffic: 1_000e6, requests: 10_000 },
  datacenter: { traffic: 1_000e6, requests: 10_000 },
  mobile_dynamic: { traffic: 200e6, requests: 2_000 },
  mobile_static: { traffic: 200e6, requests: 2_000 },
  unlimited: { traffic: 2_000e6, requests: 20_000 },
};
const HARD = [
  'NON_OFFICIAL_CHANNEL',
  'TOS_BREACH',
  'ABUSE_STRESS_TESTING',
  'ABUSE_REPEAT_REFUNDS',
  'ACTIVE_CHARGEBACK',
  'CHARGEBACK_LOST',
  'ALREADY_REFUNDED',
];

function model(c: CaseJson): Summary {
  const E = at(c.evaluatedAt);
  const S = at(c.request.submittedAt);
  const o = c.order;
  const seen = (instant: string | null): number | null =>
    instant === null || at(instant) > E ? null : at(instant);

  const priors = c.priorOrders.filter((p) => at(p.purchasedAt) <= E);
  const first = Math.min(
    at(o.purchasedAt),
    ...priors.filter((p) => p.planId === o.planId).map((p) => at(p.purchasedAt)),
  );
  const firstEnd = first + WINDOW;
  const fails = new Set<string>();
  if (o.channel !== 'official_site' && o.channel !== 'designated_link')
    fails.add('NON_OFFICIAL_CHANNEL');
  if (o.paymentMethod === 'crypto') fails.add('CRYPTO_PAYMENT');
  if (S - first > WINDOW) fails.add('WINDOW_EXPIRED');
  if (c.usage.trafficBytes > CAPS[o.product].traffic) fails.add('USAGE_CAP_TRAFFIC');
  if (c.usage.requests > CAPS[o.product].requests) fails.add('USAGE_CAP_REQUESTS');

  const onProduct = (n: IncidentJson) =>
    n.products.includes('all') || n.products.includes(o.product);
  const confirmed = c.incidents.filter(
    (n) => at(n.startsAt) <= E && seen(n.confirmedAt) !== null && onProduct(n),
  );
  const endOf = (n: IncidentJson) => seen(n.endsAt) ?? E;
  const incidentBasis = confirmed.some(
    (n) => n.widelyImpacting && Math.min(endOf(n), firstEnd) - Math.max(at(n.startsAt), first) > 0,
  );
  const reports = c.reports.filter((r) => at(r.reportedAt) <= E);
  const inFirst = (r: ReportJson) => at(r.reportedAt) >= first && at(r.reportedAt) <= firstEnd;
  const deadline = (r: ReportJson) => at(r.reportedAt) + REMEDIATION;
  const unremediated = (r: ReportJson) => {
    const rem = seen(r.remediatedAt);
    return rem === null || rem > deadline(r);
  };
  const service = reports.filter((r) => r.cause === 'service' && inFirst(r));
  const reportBasis = service.some((r) => unremediated(r) && E >= deadline(r));
  const pendingDeadlines = service
    .filter((r) => seen(r.remediatedAt) === null && E < deadline(r))
    .map(deadline);
  const holds = incidentBasis || reportBasis;
  const isPending = pendingDeadlines.length > 0;
  if (!holds && !isPending) fails.add('NO_TECHNICAL_BASIS');
  const excluded = ['target_anti_bot', 'third_party_tool', 'account_restriction'];
  if (
    !holds &&
    !isPending &&
    reports.length > 0 &&
    reports.every((r) => excluded.includes(r.cause))
  )
    fails.add('EXCLUDED_CAUSE');
  if (c.account.tosBreach) fails.add('TOS_BREACH');
  if (c.account.stressTesting) fails.add('ABUSE_STRESS_TESTING');
  const requested = priors.filter((p) => {
    const r = seen(p.refundedAt);
    return p.refundKind === 'requested' && r !== null && r >= S - LOOKBACK && r <= S;
  });
  if (requested.length >= 2) fails.add('ABUSE_REPEAT_REFUNDS');
  if (c.chargebacks.some((x) => x.status === 'open')) fails.add('ACTIVE_CHARGEBACK');
  if (c.chargebacks.some((x) => x.status === 'lost')) fails.add('CHARGEBACK_LOST');
  if (o.refundedCents > 0 && o.refundedCents === o.amountCents) fails.add('ALREADY_REFUNDED');

  // Pro-rata: union of clipped qualifying incidents.
  const periodStart = at(o.purchasedAt);
  const period = o.servicePeriodDays * DAY;
  const clipEnd = Math.min(periodStart + period, E);
  const intervals = confirmed
    .filter((n) => !o.compensatedIncidentIds.includes(n.id))
    .map((n) => [Math.max(at(n.startsAt), periodStart), Math.min(endOf(n), clipEnd)] as const)
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0]);
  let affected = 0;
  let cursor = -Infinity;
  for (const [s, e] of intervals) {
    const from = Math.max(s, cursor);
    if (e > from) affected += e - from;
    cursor = Math.max(cursor, e);
  }
  const undeterminedReviewable = reports.some(
    (r) => r.cause === 'undetermined' && inFirst(r) && unremediated(r),
  );

  const codes = [...fails];
  const failing = [...fails];
  const result = (outcome: Summary['outcome'], refundCents = 0, extensionDays = 0): Summary => {
    if ((outcome === 'full_refund' || outcome === 'prorata') && o.promoCreditsCents > 0)
      codes.push('PROMO_NOT_REFUNDED');
    return {
      outcome,
      refundCents,
      extensionDays,
      decidableAt: outcome === 'pending' ? iso(Math.min(...pendingDeadlines)) : null,
      codes: codes.sort(),
    };
  };
  const refundable = o.amountCents - o.refundedCents;
  if (c.request.legallyRequired) {
    codes.push('LEGAL_REVIEW');
    return result('manual_review');
  }
  if (failing.some((f) => HARD.includes(f))) return result('denied');
  if (fails.has('CRYPTO_PAYMENT')) return result('denied');
  if (failing.length === 0 && holds) return result('full_refund', refundable);
  if (failing.length === 0 && isPending) {
    codes.push('AWAITING_REMEDIATION_WINDOW');
    return result('pending');
  }
  if (failing.length === 1 && fails.has('NO_TECHNICAL_BASIS') && undeterminedReviewable) {
    codes.push('NEEDS_TECHNICAL_REVIEW');
    return result('manual_review');
  }
  if (affected > 0) {
    codes.push('PRORATA_INCIDENT');
    const share = Number((BigInt(o.amountCents) * BigInt(affected)) / BigInt(period));
    return result('prorata', Math.min(share, refundable), Math.ceil(affected / DAY));
  }
  return result('denied');
}

// ---------------------------------------------------------------------------------------------

describe('the generator', () => {
  it('reaches every outcome and every reason code', () => {
    const outcomes = new Map<string, number>();
    const codes = new Set<string>();
    for (const c of fc.sample(validCase, { numRuns: 2000, seed: 42 })) {
      const d = decide(c);
      outcomes.set(d.outcome, (outcomes.get(d.outcome) ?? 0) + 1);
      for (const r of d.reasons) codes.add(r.code);
    }
    expect([...outcomes.keys()].sort()).toEqual([
      'denied',
      'full_refund',
      'manual_review',
      'pending',
      'prorata',
    ]);
    for (const n of outcomes.values()) expect(n).toBeGreaterThanOrEqual(20);
    expect([...codes].sort()).toEqual(Object.keys(CONTRACT_CLAUSES).sort());
  });
});

describe('properties of every decision', () => {
  it('the reference model of sections 3-5 agrees', () => {
    fc.assert(
      fc.property(validCase, (c) => {
        expect(summarize(decide(c))).toEqual(model(c));
      }),
      { numRuns: 1000 },
    );
  });

  it('same case, same bytes (twice, and on a structured clone); the input is not modified', () => {
    fc.assert(
      fc.property(validCase, (c) => {
        const input = JSON.stringify(c);
        const first = JSON.stringify(decide(c));
        expect(JSON.stringify(decide(c))).toBe(first);
        expect(JSON.stringify(decide(structuredClone(c)))).toBe(first);
        expect(JSON.stringify(decide(JSON.parse(input)))).toBe(first);
        expect(JSON.stringify(c)).toBe(input);
      }),
      { numRuns: RUNS },
    );
  });

  it('every decision matches decision.schema.json', () => {
    const validate = new Ajv2020({ strict: false }).compile(decisionSchema);
    fc.assert(
      fc.property(validCase, (c) => {
        const d = decide(c);
        expect(validate(d), JSON.stringify(validate.errors)).toBe(true);
        expect(Object.keys(d)).toEqual([
          'outcome',
          'refundCents',
          'extensionDays',
          'currency',
          'decidableAt',
          'reasons',
          'policyVersion',
        ]);
        expect(d.currency).toBe(c.order.currency);
        expect(d.policyVersion).toBe('okkproxy@1');
      }),
      { numRuns: RUNS },
    );
  });

  it('reasons are sorted by code (ordinal) and unique, each with its contract clause', () => {
    fc.assert(
      fc.property(validCase, (c) => {
        const reasons = decide(c).reasons;
        const codes = reasons.map((r) => r.code);
        const ordinal = [...codes].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        expect(codes).toEqual(ordinal);
        expect(new Set(codes).size).toBe(codes.length);
        for (const r of reasons) {
          expect(r.clause).toBe(CONTRACT_CLAUSES[r.code]);
          expect(r.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('0 <= refundCents <= amountCents - refundedCents, an integer', () => {
    fc.assert(
      fc.property(validCase, (c) => {
        const d = decide(c);
        expect(Number.isSafeInteger(d.refundCents)).toBe(true);
        expect(d.refundCents).toBeGreaterThanOrEqual(0);
        expect(d.refundCents).toBeLessThanOrEqual(c.order.amountCents - c.order.refundedCents);
        if (d.outcome !== 'full_refund' && d.outcome !== 'prorata') expect(d.refundCents).toBe(0);
        if (d.outcome === 'full_refund')
          expect(d.refundCents).toBe(c.order.amountCents - c.order.refundedCents);
      }),
      { numRuns: RUNS },
    );
  });

  it('decidableAt is non-null exactly when pending, in UTC with milliseconds, after evaluatedAt', () => {
    fc.assert(
      fc.property(validCase, (c) => {
        const d = decide(c);
        expect(d.decidableAt !== null).toBe(d.outcome === 'pending');
        if (d.decidableAt !== null) {
          expect(d.decidableAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
          expect(at(d.decidableAt)).toBeGreaterThan(at(c.evaluatedAt));
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('extensionDays > 0 only for prorata (and always for prorata)', () => {
    fc.assert(
      fc.property(validCase, (c) => {
        const d = decide(c);
        expect(d.extensionDays > 0).toBe(d.outcome === 'prorata');
        expect(Number.isSafeInteger(d.extensionDays)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('monotonicity', () => {
  it('an incident that grows (later endsAt or earlier startsAt) never pays less', () => {
    fc.assert(
      fc.property(
        caseWithIncident,
        fc.nat(),
        fc.constantFrom('end' as const, 'start' as const),
        fc.integer({ min: 1, max: 10 * DAY }),
        (c, pick, how, by) => {
          const index = pick % c.incidents.length;
          const grown = tweak(c, (d) => {
            const n = d.incidents[index];
            if (n === undefined) throw new Error('no incident');
            if (how === 'end' && n.endsAt !== null) n.endsAt = iso(at(n.endsAt) + by);
            else n.startsAt = iso(at(n.startsAt) - by);
          });
          const before = decide(c);
          const after = decide(grown);
          expect(after.refundCents).toBeGreaterThanOrEqual(before.refundCents);
          if (before.outcome === 'prorata') {
            expect(['prorata', 'full_refund']).toContain(after.outcome);
            if (after.outcome === 'prorata')
              expect(after.extensionDays).toBeGreaterThanOrEqual(before.extensionDays);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('more usage (traffic or requests) never pays more, once a case is settled', () => {
    fc.assert(
      fc.property(
        validCase,
        fc.integer({ min: 0, max: 3_000_000_000 }),
        fc.integer({ min: 0, max: 30_000 }),
        (c, moreTraffic, moreRequests) => {
          const before = decide(c);
          fc.pre(settled(before));
          const more = tweak(c, (d) => {
            d.usage.trafficBytes += moreTraffic;
            d.usage.requests += moreRequests;
          });
          expect(money(more)).toBeLessThanOrEqual(before.refundCents);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('a later request.submittedAt (evaluatedAt unchanged) never pays more, once settled', () => {
    fc.assert(
      fc.property(validCase, fc.integer({ min: 0, max: 1_000_000 }), (c, perMillion) => {
        const before = decide(c);
        fc.pre(settled(before));
        const S = at(c.request.submittedAt);
        const E = at(c.evaluatedAt);
        const later = S + Math.floor(((E - S) * perMillion) / 1_000_000);
        fc.pre(later > S);
        // The look-back window slides too: a refund that falls out of it would lift
        // ABUSE_REPEAT_REFUNDS. The generator dates refunds within weeks, so none does.
        fc.pre(
          c.priorOrders.every((p) => p.refundedAt === null || at(p.refundedAt) >= later - LOOKBACK),
        );
        const moved = tweak(c, (d) => {
          d.request.submittedAt = iso(later);
        });
        expect(money(moved)).toBeLessThanOrEqual(before.refundCents);
      }),
      { numRuns: RUNS },
    );
  });

  it('a later request.submittedAt and evaluatedAt moved equally never pays more, the world unchanged', () => {
    fc.assert(
      fc.property(validCase, fc.integer({ min: 1, max: 3 * DAY }), (c, by) => {
        const before = decide(c);
        fc.pre(settled(before));
        const E = at(c.evaluatedAt);
        fc.pre(worldUnchangedBetween(c, E, E + by));
        const moved = tweak(c, (d) => {
          d.request.submittedAt = iso(at(d.request.submittedAt) + by);
          d.evaluatedAt = iso(E + by);
        });
        expect(money(moved)).toBeLessThanOrEqual(before.refundCents);
      }),
      { numRuns: RUNS },
    );
  });
});

/**
 * True when moving evaluatedAt from `from` to `to` reveals nothing new: no fact is dated in
 * (from, to], no visible incident is still open at `from`, no report deadline falls in
 * (from, to], and no requested refund leaves the look-back. (When the world does change,
 * money can rightly grow: a pending report may come to hold, an open incident lengthens.)
 */
function worldUnchangedBetween(c: CaseJson, from: number, to: number): boolean {
  const quiet = (instant: string | null) =>
    instant === null || at(instant) <= from || at(instant) > to;
  const S = at(c.request.submittedAt);
  return (
    c.reports.every(
      (r) =>
        quiet(r.reportedAt) &&
        quiet(r.remediatedAt) &&
        (at(r.reportedAt) > from || quiet(iso(at(r.reportedAt) + REMEDIATION))),
    ) &&
    c.incidents.every(
      (n) =>
        quiet(n.startsAt) &&
        quiet(n.confirmedAt) &&
        (at(n.startsAt) > to || (n.endsAt !== null && at(n.endsAt) <= from)),
    ) &&
    c.priorOrders.every(
      (p) =>
        quiet(p.purchasedAt) &&
        quiet(p.refundedAt) &&
        (p.refundedAt === null || at(p.refundedAt) >= S + (to - from) - LOOKBACK),
    )
  );
}

describe('as of evaluatedAt: facts dated later change nothing', () => {
  const later = fc.integer({ min: 1, max: 30 * DAY });
  const laterFacts = fc.record({
    report: fc.option(
      fc.record({
        after: later,
        cause: fc.constantFrom(...REPORT_CAUSES),
        remediated: fc.option(later, { nil: null }),
      }),
      { nil: null },
    ),
    prior: fc.option(
      fc.record({
        after: later,
        samePlan: fc.boolean(),
        refunded: fc.option(later, { nil: null }),
        kind: fc.constantFrom('requested' as const, 'compensation' as const),
      }),
      { nil: null },
    ),
    incident: fc.option(
      fc.record({
        after: later,
        confirmed: fc.option(fc.integer({ min: -20 * DAY, max: 30 * DAY }), { nil: null }),
        length: fc.option(later, { nil: null }),
        widelyImpacting: fc.boolean(),
      }),
      { nil: null },
    ),
    closeOpenIncidents: fc.option(later, { nil: null }),
    remediateOpenReports: fc.option(later, { nil: null }),
    confirmUnconfirmed: fc.option(later, { nil: null }),
    refundUnrefunded: fc.option(later, { nil: null }),
  });

  it('extra reports, prior orders and incidents dated later, and later remediations, ends, confirmations and refunds', () => {
    fc.assert(
      fc.property(validCase, laterFacts, (c, f) => {
        const E = at(c.evaluatedAt);
        const future = tweak(c, (d) => {
          if (f.report !== null) {
            const reportedAt = E + f.report.after;
            d.reports.push({
              reportedAt: iso(reportedAt),
              cause: f.report.cause,
              remediatedAt:
                f.report.remediated === null ? null : iso(reportedAt + f.report.remediated),
            });
          }
          if (f.prior !== null) {
            const purchasedAt = E + f.prior.after;
            d.priorOrders.push({
              id: 'prior_future',
              planId: f.prior.samePlan ? d.order.planId : 'plan-z',
              purchasedAt: iso(purchasedAt),
              refundedAt: f.prior.refunded === null ? null : iso(purchasedAt + f.prior.refunded),
              refundKind: f.prior.kind,
            });
          }
          if (f.incident !== null) {
            const startsAt = E + f.incident.after;
            d.incidents.push({
              id: 'inc_future',
              confirmedAt: f.incident.confirmed === null ? null : iso(E + f.incident.confirmed),
              startsAt: iso(startsAt),
              endsAt: f.incident.length === null ? null : iso(startsAt + f.incident.length),
              products: ['all'],
              widelyImpacting: f.incident.widelyImpacting,
            });
          }
          const by = (delta: number, instant: string) => iso(Math.max(E, at(instant)) + delta);
          for (const n of d.incidents) {
            if (f.closeOpenIncidents !== null && n.endsAt === null)
              n.endsAt = by(f.closeOpenIncidents, n.startsAt);
            if (f.confirmUnconfirmed !== null && n.confirmedAt === null)
              n.confirmedAt = iso(E + f.confirmUnconfirmed);
          }
          for (const r of d.reports) {
            if (f.remediateOpenReports !== null && r.remediatedAt === null)
              r.remediatedAt = by(f.remediateOpenReports, r.reportedAt);
          }
          for (const p of d.priorOrders) {
            if (f.refundUnrefunded !== null && p.refundedAt === null)
              p.refundedAt = by(f.refundUnrefunded, p.purchasedAt);
          }
        });
        expect(JSON.stringify(decide(future))).toBe(JSON.stringify(decide(c)));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('time zones', () => {
  const OFFSETS = [
    -12 * 60,
    -9 * 60 - 30,
    -3 * 60,
    0,
    60,
    5 * 60 + 30,
    5 * 60 + 45,
    8 * 60 + 45,
    13 * 60,
    14 * 60,
  ];

  function rewriteInstants(value: unknown, next: () => number): unknown {
    if (typeof value === 'string') {
      return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(value)
        ? withOffset(value, next())
        : value;
    }
    if (Array.isArray(value)) return value.map((v) => rewriteInstants(v, next));
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, rewriteInstants(v, next)]),
      );
    }
    return value;
  }

  it('a case rewritten with other offsets for the same instants decides the same bytes', () => {
    fc.assert(
      fc.property(
        validCase,
        fc.array(fc.constantFrom(...OFFSETS), { minLength: 1, maxLength: 12 }),
        (c, offsets) => {
          let i = 0;
          const next = () => offsets[i++ % offsets.length] ?? 0;
          const rewritten = rewriteInstants(c, next);
          expect(JSON.stringify(decide(rewritten))).toBe(JSON.stringify(decide(c)));
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('order of facts', () => {
  function shuffled<T>(items: readonly T[], keys: readonly number[]): T[] {
    return items
      .map((item, i) => [keys[i % Math.max(keys.length, 1)] ?? 0, i, item] as const)
      .sort((a, b) => a[0] - b[0] || a[1] - b[1])
      .map(([, , item]) => item);
  }
  function reorderKeys(value: unknown, reverse: boolean): unknown {
    if (Array.isArray(value)) return value.map((v) => reorderKeys(v, reverse));
    if (typeof value === 'object' && value !== null) {
      const entries = Object.entries(value).map(([k, v]) => [k, reorderKeys(v, reverse)] as const);
      entries.sort((a, b) => (a[0] < b[0] ? -1 : 1) * (reverse ? -1 : 1));
      return Object.fromEntries(entries);
    }
    return value;
  }

  it('object key order does not matter: the same bytes', () => {
    fc.assert(
      fc.property(validCase, fc.boolean(), (c, reverse) => {
        expect(JSON.stringify(decide(reorderKeys(c, reverse)))).toBe(JSON.stringify(decide(c)));
      }),
      { numRuns: RUNS },
    );
  });

  // Messages list ids and causes sorted, so a reordered case decides to the same bytes.
  it('permuting reports, incidents, prior orders and chargebacks: the same bytes', () => {
    fc.assert(
      fc.property(validCase, fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), (c, keys) => {
        const permuted = tweak(c, (d) => {
          d.reports = shuffled(d.reports, keys);
          d.incidents = shuffled(d.incidents, keys);
          d.priorOrders = shuffled(d.priorOrders, keys);
          d.chargebacks = shuffled(d.chargebacks, keys);
          d.order.compensatedIncidentIds = shuffled(d.order.compensatedIncidentIds, keys);
        });
        expect(JSON.stringify(decide(permuted))).toBe(JSON.stringify(decide(c)));
      }),
      { numRuns: RUNS },
    );
  });
});
