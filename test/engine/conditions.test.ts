/**
 * Contract section 3: every condition, failing and not failing, always evaluated (no
 * short-circuit): a condition's code appears in `reasons` exactly when it fails.
 */
import { describe, expect, it } from 'vitest';
import {
  caseAfterWindowWithIncident,
  caseWithExcludedCauseReport,
  caseWithoutTechnicalBasis,
  codesOf,
  day,
  eligibleCase,
  incident,
  priorOrder,
  report,
  type CaseJson,
} from '../support/cases.js';

/** Every section 3 code, in ordinal order. */
const ALL_CONDITIONS = [
  'ABUSE_REPEAT_REFUNDS',
  'ABUSE_STRESS_TESTING',
  'ACTIVE_CHARGEBACK',
  'ALREADY_REFUNDED',
  'CHARGEBACK_LOST',
  'CRYPTO_PAYMENT',
  'EXCLUDED_CAUSE',
  'NON_OFFICIAL_CHANNEL',
  'NO_TECHNICAL_BASIS',
  'TOS_BREACH',
  'USAGE_CAP_REQUESTS',
  'USAGE_CAP_TRAFFIC',
  'WINDOW_EXPIRED',
];

/** Two requested refunds (of another plan) in the year before submittedAt. */
const twoRequestedRefunds = [
  priorOrder({ id: 'p1', planId: 'dc-1', purchasedAt: day(-200), refundedAt: day(-199) }),
  priorOrder({ id: 'p2', planId: 'dc-1', purchasedAt: day(-30), refundedAt: day(-29) }),
];

describe('no short-circuit: every failing condition is listed', () => {
  it('a case failing all 13 conditions lists all 13, sorted, and is denied', () => {
    const c = eligibleCase({
      order: { channel: 'marketplace', paymentMethod: 'crypto', refundedCents: 3000 },
      request: { submittedAt: day(7.5) },
      usage: { trafficBytes: 500_000_001, requests: 5_001 },
      reports: [report({ cause: 'account_restriction' })],
      account: { tosBreach: true, stressTesting: true },
      priorOrders: twoRequestedRefunds,
      chargebacks: [{ status: 'open' }, { status: 'lost' }],
    });
    expect(ALL_CONDITIONS).toEqual([...ALL_CONDITIONS].sort());
    expect(codesOf(c)).toEqual(ALL_CONDITIONS);
  });
  it('an eligible case lists none', () => {
    expect(codesOf(eligibleCase())).toEqual([]);
  });
});

interface ConditionCase {
  readonly code: string;
  readonly failing: ReadonlyArray<[string, CaseJson, string[]]>;
  /** Each with the codes expected beside (none when omitted). */
  readonly passing: ReadonlyArray<[string, CaseJson, string[]?]>;
}

const conditions: ConditionCase[] = [
  {
    code: 'NON_OFFICIAL_CHANNEL',
    failing: [
      ['reseller', eligibleCase({ order: { channel: 'reseller' } }), []],
      ['marketplace', eligibleCase({ order: { channel: 'marketplace' } }), []],
    ],
    passing: [
      ['official_site', eligibleCase({ order: { channel: 'official_site' } })],
      ['designated_link', eligibleCase({ order: { channel: 'designated_link' } })],
    ],
  },
  {
    code: 'CRYPTO_PAYMENT',
    failing: [['crypto', eligibleCase({ order: { paymentMethod: 'crypto' } }), []]],
    passing: [
      ['card', eligibleCase({ order: { paymentMethod: 'card' } })],
      ['paypal', eligibleCase({ order: { paymentMethod: 'paypal' } })],
      ['bank', eligibleCase({ order: { paymentMethod: 'bank' } })],
    ],
  },
  {
    code: 'WINDOW_EXPIRED',
    failing: [['submitted on day 9', eligibleCase({ request: { submittedAt: day(9) } }), []]],
    passing: [['submitted on day 3', eligibleCase()]],
  },
  {
    code: 'USAGE_CAP_TRAFFIC',
    failing: [['600 MB', eligibleCase({ usage: { trafficBytes: 600_000_000 } }), []]],
    passing: [['100 MB', eligibleCase()]],
  },
  {
    code: 'USAGE_CAP_REQUESTS',
    failing: [['6000 requests', eligibleCase({ usage: { requests: 6_000 } }), []]],
    passing: [['1000 requests', eligibleCase()]],
  },
  {
    code: 'NO_TECHNICAL_BASIS',
    failing: [
      ['no report, no incident', caseWithoutTechnicalBasis(), []],
      ['a user_side report only', eligibleCase({ reports: [report({ cause: 'user_side' })] }), []],
      [
        'a service report remediated by its deadline',
        eligibleCase({ reports: [report({ remediatedAt: day(5) })] }),
        [],
      ],
      [
        'a service report made after the first 7 days',
        eligibleCase({ reports: [report({ reportedAt: day(8) })], evaluatedAt: day(30) }),
        [],
      ],
      [
        'an incident that is not widely impacting in the first 7 days',
        caseWithoutTechnicalBasis({
          request: { submittedAt: day(1) },
          evaluatedAt: day(1.5),
          incidents: [
            incident({
              startsAt: day(0.5),
              endsAt: day(1),
              confirmedAt: day(1),
              widelyImpacting: false,
            }),
          ],
        }),
        ['PRORATA_INCIDENT'],
      ],
      [
        'an incident on another product',
        caseWithoutTechnicalBasis({
          incidents: [incident({ startsAt: day(2), endsAt: day(3), products: ['datacenter'] })],
        }),
        [],
      ],
    ],
    passing: [
      ['a service report past its deadline', eligibleCase()],
      [
        'a pending service report',
        eligibleCase({ evaluatedAt: day(4) }),
        ['AWAITING_REMEDIATION_WINDOW'],
      ],
      [
        'a service report remediated after its deadline',
        eligibleCase({ reports: [report({ remediatedAt: day(17) })] }),
      ],
      [
        'a widely impacting incident in the first 7 days',
        caseWithoutTechnicalBasis({
          incidents: [incident({ startsAt: day(2), endsAt: day(2.5), confirmedAt: day(3) })],
        }),
      ],
    ],
  },
  {
    code: 'EXCLUDED_CAUSE',
    failing: [
      ['target_anti_bot', caseWithExcludedCauseReport(), ['NO_TECHNICAL_BASIS']],
      [
        'third_party_tool',
        eligibleCase({ reports: [report({ cause: 'third_party_tool' })] }),
        ['NO_TECHNICAL_BASIS'],
      ],
      [
        'account_restriction',
        eligibleCase({ reports: [report({ cause: 'account_restriction' })] }),
        ['NO_TECHNICAL_BASIS'],
      ],
      [
        'several reports, every one excluded, including one outside the first 7 days',
        eligibleCase({
          evaluatedAt: day(30),
          reports: [
            report({ cause: 'account_restriction' }),
            report({ cause: 'target_anti_bot', reportedAt: day(9) }),
          ],
        }),
        ['NO_TECHNICAL_BASIS'],
      ],
    ],
    passing: [
      ['no report', caseWithoutTechnicalBasis(), ['NO_TECHNICAL_BASIS']],
      ['one excluded report beside a service report', withReports('target_anti_bot', 'service')],
      [
        'one excluded report beside a user_side report (no basis)',
        withReports('target_anti_bot', 'user_side'),
        ['NO_TECHNICAL_BASIS'],
      ],
      [
        'one excluded report beside an undetermined report',
        withReports('third_party_tool', 'undetermined'),
        ['NEEDS_TECHNICAL_REVIEW', 'NO_TECHNICAL_BASIS'],
      ],
      [
        'excluded reports only, but an incident basis holds',
        caseWithExcludedCauseReport({
          incidents: [incident({ startsAt: day(2), endsAt: day(2.5), confirmedAt: day(3) })],
        }),
      ],
      [
        'excluded report beside a pending service report',
        eligibleCase({
          evaluatedAt: day(10),
          reports: [report({ cause: 'target_anti_bot' }), report({ reportedAt: day(2) })],
        }),
        ['AWAITING_REMEDIATION_WINDOW'],
      ],
    ],
  },
  {
    code: 'TOS_BREACH',
    failing: [['tosBreach true', eligibleCase({ account: { tosBreach: true } }), []]],
    passing: [['tosBreach false', eligibleCase({ account: { tosBreach: false } })]],
  },
  {
    code: 'ABUSE_STRESS_TESTING',
    failing: [['stressTesting true', eligibleCase({ account: { stressTesting: true } }), []]],
    passing: [['stressTesting false', eligibleCase({ account: { stressTesting: false } })]],
  },
  {
    code: 'ABUSE_REPEAT_REFUNDS',
    failing: [
      ['two requested refunds', eligibleCase({ priorOrders: twoRequestedRefunds }), []],
      [
        'three requested refunds',
        eligibleCase({
          priorOrders: [
            ...twoRequestedRefunds,
            priorOrder({ id: 'p3', planId: 'dc-1', purchasedAt: day(-9), refundedAt: day(-8) }),
          ],
        }),
        [],
      ],
    ],
    passing: [
      ['no prior order', eligibleCase()],
      ['one requested refund', eligibleCase({ priorOrders: twoRequestedRefunds.slice(0, 1) })],
      [
        'two refunds made as compensation',
        eligibleCase({
          priorOrders: twoRequestedRefunds.map((p) => ({ ...p, refundKind: 'compensation' })),
        }),
      ],
      [
        'one requested and one compensation refund',
        eligibleCase({
          priorOrders: [
            twoRequestedRefunds[0] ?? priorOrder(),
            { ...(twoRequestedRefunds[1] ?? priorOrder()), refundKind: 'compensation' },
          ],
        }),
      ],
      [
        'two prior orders never refunded',
        eligibleCase({
          priorOrders: twoRequestedRefunds.map((p) => ({ ...p, refundedAt: null })),
        }),
      ],
    ],
  },
  {
    code: 'ACTIVE_CHARGEBACK',
    failing: [
      ['open', eligibleCase({ chargebacks: [{ status: 'open' }] }), []],
      [
        'withdrawn and open',
        eligibleCase({ chargebacks: [{ status: 'withdrawn' }, { status: 'open' }] }),
        [],
      ],
    ],
    passing: [
      ['none', eligibleCase()],
      ['withdrawn', eligibleCase({ chargebacks: [{ status: 'withdrawn' }] })],
      ['won', eligibleCase({ chargebacks: [{ status: 'won' }] })],
    ],
  },
  {
    code: 'CHARGEBACK_LOST',
    failing: [
      ['lost', eligibleCase({ chargebacks: [{ status: 'lost' }] }), []],
      ['won and lost', eligibleCase({ chargebacks: [{ status: 'won' }, { status: 'lost' }] }), []],
    ],
    passing: [
      ['withdrawn', eligibleCase({ chargebacks: [{ status: 'withdrawn' }] })],
      ['won', eligibleCase({ chargebacks: [{ status: 'won' }] })],
    ],
  },
  {
    code: 'ALREADY_REFUNDED',
    failing: [
      ['refunded == amount', eligibleCase({ order: { refundedCents: 3000 } }), []],
      [
        'refunded == amount == 1',
        eligibleCase({ order: { amountCents: 1, refundedCents: 1 } }),
        [],
      ],
    ],
    passing: [
      ['refunded 0', eligibleCase()],
      ['refunded amount - 1', eligibleCase({ order: { refundedCents: 2999 } })],
      ['amount 0, refunded 0', eligibleCase({ order: { amountCents: 0, refundedCents: 0 } })],
    ],
  },
];

function withReports(...causes: Array<CaseJson['reports'][number]['cause']>): CaseJson {
  return eligibleCase({ reports: causes.map((cause) => report({ cause })) });
}

describe.each(conditions)('$code', ({ code, failing, passing }) => {
  it.each(failing)('fails: %s', (_name, c, alsoExpected) => {
    expect(codesOf(c)).toEqual([code, ...alsoExpected].sort());
  });
  it.each(passing)('does not fail: %s', (_name, c, others) => {
    expect(codesOf(c)).toEqual(others ?? []);
  });
});

describe('each condition joins the others (pairs are all listed)', () => {
  it('window, caps and no basis together on a pro-rata case', () => {
    const c = caseAfterWindowWithIncident({
      usage: { trafficBytes: 500_000_001, requests: 5_001 },
    });
    expect(codesOf(c)).toEqual([
      'NO_TECHNICAL_BASIS',
      'PRORATA_INCIDENT',
      'USAGE_CAP_REQUESTS',
      'USAGE_CAP_TRAFFIC',
      'WINDOW_EXPIRED',
    ]);
  });
  it('open and lost chargebacks together', () => {
    const c = eligibleCase({ chargebacks: [{ status: 'open' }, { status: 'lost' }] });
    expect(codesOf(c)).toEqual(['ACTIVE_CHARGEBACK', 'CHARGEBACK_LOST']);
  });
});
