/**
 * Contract section 6: each reason has the clause of the contract's tables and a plain-English
 * message that states the figures involved.
 */
import { describe, expect, it } from 'vitest';
import { decide, type Reason } from '../../src/index.js';
import {
  HOUR,
  caseAfterWindowWithIncident,
  caseWithExcludedCauseReport,
  caseWithoutTechnicalBasis,
  caseWithPendingServiceReport,
  caseWithUndeterminedReport,
  day,
  eligibleCase,
  legallyRequiredCase,
  messageOf,
  plusMs,
  priorOrder,
  report,
  CONTRACT_CLAUSES,
  type CaseJson,
} from '../support/cases.js';

const repeatRefunds = [
  priorOrder({ id: 'p_a', planId: 'dc-1', purchasedAt: day(-50), refundedAt: day(-49) }),
  priorOrder({ id: 'p_b', planId: 'dc-1', purchasedAt: day(-20), refundedAt: day(-19) }),
];

/** Cases that, together, produce every reason code. */
const everyReason: CaseJson[] = [
  eligibleCase({
    order: { channel: 'reseller', paymentMethod: 'crypto', refundedCents: 3000 },
    request: { submittedAt: day(8) },
    usage: { trafficBytes: 500_000_001, requests: 5_001 },
    reports: [report({ cause: 'third_party_tool' })],
    account: { tosBreach: true, stressTesting: true },
    priorOrders: repeatRefunds,
    chargebacks: [{ status: 'open' }, { status: 'lost' }],
  }),
  legallyRequiredCase(),
  caseWithPendingServiceReport(),
  caseWithUndeterminedReport(),
  caseAfterWindowWithIncident({ order: { promoCreditsCents: 700 } }),
];

function reasonsOf(c: CaseJson): readonly Reason[] {
  return decide(c).reasons;
}

describe('clauses follow the contract tables', () => {
  const reasons = everyReason.flatMap(reasonsOf);
  it('the cases cover all 18 reason codes', () => {
    expect([...new Set(reasons.map((r) => r.code))].sort()).toEqual(
      Object.keys(CONTRACT_CLAUSES).sort(),
    );
  });
  it.each(Object.entries(CONTRACT_CLAUSES))('%s cites clause %s', (code, clause) => {
    const cited = reasons.filter((r) => r.code === code).map((r) => r.clause);
    expect(cited.length).toBeGreaterThan(0);
    expect(new Set(cited)).toEqual(new Set([clause]));
  });
  it('every message is one non-empty line', () => {
    for (const r of reasons) {
      expect(r.message.length).toBeGreaterThan(0);
      expect(r.message).not.toMatch(/[\r\n]/);
      expect(r.message).not.toMatch(/undefined|NaN|Infinity|\[object/);
    }
  });
});

describe('messages state the figures', () => {
  function expectMessage(c: CaseJson, code: string, ...figures: string[]): void {
    const message = messageOf(c, code);
    for (const figure of figures) expect(message).toContain(figure);
  }

  it('NON_OFFICIAL_CHANNEL: order, channel and the official channels', () => {
    expectMessage(
      eligibleCase({ order: { channel: 'marketplace' } }),
      'NON_OFFICIAL_CHANNEL',
      'ord_1',
      'marketplace',
      'official_site',
      'designated_link',
    );
  });
  it('CRYPTO_PAYMENT: order and method', () => {
    expectMessage(
      eligibleCase({ order: { paymentMethod: 'crypto' } }),
      'CRYPTO_PAYMENT',
      'ord_1',
      'crypto',
    );
  });
  it('WINDOW_EXPIRED: elapsed duration, plan id, first purchase and "7 days"', () => {
    const c = eligibleCase({ request: { submittedAt: plusMs(day(9), 2 * HOUR) } });
    expectMessage(
      c,
      'WINDOW_EXPIRED',
      'submitted 9 days 2 hours after the first purchase of plan res-5gb',
      '2026-03-02T10:00:00.000Z',
      'the window is 7 days',
    );
  });
  it('WINDOW_EXPIRED: measured from an earlier prior order of the plan', () => {
    const c = eligibleCase({
      priorOrders: [priorOrder({ purchasedAt: plusMs(day(-5), -30_000) })],
    });
    expectMessage(c, 'WINDOW_EXPIRED', '8 days 30 seconds', '2026-02-25T09:59:30.000Z');
  });
  it('WINDOW_EXPIRED: down to the millisecond', () => {
    const c = eligibleCase({ request: { submittedAt: plusMs(day(7), 1) } });
    expectMessage(c, 'WINDOW_EXPIRED', 'submitted 7 days 1 millisecond after');
  });
  it('USAGE_CAP_TRAFFIC: usage, product and cap in bytes', () => {
    expectMessage(
      eligibleCase({ usage: { trafficBytes: 500_000_001 } }),
      'USAGE_CAP_TRAFFIC',
      '500000001 bytes',
      'dynamic_residential',
      '500000000 bytes',
    );
  });
  it('USAGE_CAP_REQUESTS: usage, product and cap', () => {
    expectMessage(
      eligibleCase({ order: { product: 'mobile_static' }, usage: { requests: 2_001 } }),
      'USAGE_CAP_REQUESTS',
      '2001 requests',
      'mobile_static',
      '2000 requests',
    );
  });
  it('NO_TECHNICAL_BASIS: product, the first 7 days and the 15-day remediation window', () => {
    expectMessage(
      caseWithoutTechnicalBasis(),
      'NO_TECHNICAL_BASIS',
      'dynamic_residential',
      '7 days',
      '2026-03-02T10:00:00.000Z',
      '2026-03-09T10:00:00.000Z',
      '15 days',
    );
  });
  it('EXCLUDED_CAUSE: the causes', () => {
    expectMessage(caseWithExcludedCauseReport(), 'EXCLUDED_CAUSE', 'target_anti_bot');
    const two = eligibleCase({
      reports: [report({ cause: 'target_anti_bot' }), report({ cause: 'account_restriction' })],
    });
    expectMessage(two, 'EXCLUDED_CAUSE', '2 reports', 'target_anti_bot', 'account_restriction');
  });
  it('TOS_BREACH', () => {
    expectMessage(eligibleCase({ account: { tosBreach: true } }), 'TOS_BREACH', 'Terms of Service');
  });
  it('ABUSE_STRESS_TESTING', () => {
    expectMessage(
      eligibleCase({ account: { stressTesting: true } }),
      'ABUSE_STRESS_TESTING',
      'stress testing',
    );
  });
  it('ABUSE_REPEAT_REFUNDS: count, orders, look-back and threshold', () => {
    expectMessage(
      eligibleCase({ priorOrders: repeatRefunds }),
      'ABUSE_REPEAT_REFUNDS',
      '2 requested refunds',
      'p_a',
      'p_b',
      '365 days',
      '2 or more',
    );
  });
  it('ACTIVE_CHARGEBACK: order and the number open', () => {
    const c = eligibleCase({
      chargebacks: [{ status: 'open' }, { status: 'withdrawn' }, { status: 'open' }],
    });
    expect(messageOf(c, 'ACTIVE_CHARGEBACK')).toMatch(/^2 chargeback/);
    expectMessage(c, 'ACTIVE_CHARGEBACK', 'ord_1');
  });
  it('CHARGEBACK_LOST: order', () => {
    expectMessage(
      eligibleCase({ chargebacks: [{ status: 'lost' }] }),
      'CHARGEBACK_LOST',
      'ord_1',
      'lost',
    );
  });
  it('ALREADY_REFUNDED: order and the amount refunded', () => {
    expectMessage(
      eligibleCase({ order: { refundedCents: 3000 } }),
      'ALREADY_REFUNDED',
      'ord_1',
      '30.00 USD',
    );
  });
  it('LEGAL_REVIEW', () => {
    expectMessage(legallyRequiredCase(), 'LEGAL_REVIEW', 'law');
  });
  it('AWAITING_REMEDIATION_WINDOW: reports pending, the window and the first deadline', () => {
    const c = caseWithPendingServiceReport({
      reports: [report({ reportedAt: day(2) }), report()],
    });
    expectMessage(
      c,
      'AWAITING_REMEDIATION_WINDOW',
      '2 service reports',
      '15 days',
      '2026-03-18T10:00:00.000Z',
    );
  });
  it('NEEDS_TECHNICAL_REVIEW: the report and the first 7 days', () => {
    expectMessage(
      caseWithUndeterminedReport(),
      'NEEDS_TECHNICAL_REVIEW',
      '1 report',
      '2026-03-03T10:00:00.000Z',
      '7 days',
    );
  });
  it('PRORATA_INCIDENT: incidents, affected time, period, refund and extension', () => {
    expectMessage(
      caseAfterWindowWithIncident(),
      'PRORATA_INCIDENT',
      'inc_late',
      '6 hours',
      '30-day',
      '0.25 USD of 30.00 USD',
      '1 day',
    );
  });
  it('PROMO_NOT_REFUNDED: the promotional value', () => {
    expectMessage(
      eligibleCase({ order: { promoCreditsCents: 500 } }),
      'PROMO_NOT_REFUNDED',
      '5.00 USD',
    );
  });
});
