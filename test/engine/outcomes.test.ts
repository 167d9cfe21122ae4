/** Contract section 5: every row of the outcome table, and the precedence between rows. */
import { describe, expect, it } from 'vitest';
import {
  compilePolicy,
  decide,
  decideCase,
  shippedVersions,
  type Policy,
} from '../../src/index.js';
import {
  caseAfterWindowWithIncident,
  caseWithExcludedCauseReport,
  caseWithIncidentBasis,
  caseWithoutTechnicalBasis,
  caseWithPendingServiceReport,
  caseWithUndeterminedReport,
  day,
  decideSummary,
  eligibleCase,
  incident,
  legallyRequiredCase,
  plusMs,
  report,
  withChanges,
  denied,
  fullRefund,
  manualReview,
  pending,
  prorata,
} from '../support/cases.js';

function shippedV1(): Policy {
  const shipped = shippedVersions()[0];
  if (shipped === undefined) throw new Error('no shipped policy');
  return shipped;
}

/** The shipped policy document, changed by `change`, compiled as a draft version 2. */
function draftVersion2(change: (document: Policy['document']) => void): Policy {
  const document = structuredClone(shippedV1().document);
  document.version = 2;
  change(document);
  const compiled = compilePolicy(document);
  if (!compiled.ok) throw new Error('draft policy does not compile');
  return compiled.value;
}

describe('fixtures decide as their names say', () => {
  it('eligibleCase is a full refund of the cash paid', () => {
    expect(decideSummary(eligibleCase())).toEqual(fullRefund(3000));
  });
  it('caseWithPendingServiceReport is pending until the report deadline', () => {
    expect(decideSummary(caseWithPendingServiceReport())).toEqual(
      pending('2026-03-18T10:00:00.000Z'),
    );
  });
  it('caseWithUndeterminedReport needs technical review', () => {
    expect(decideSummary(caseWithUndeterminedReport())).toEqual(
      manualReview(['NEEDS_TECHNICAL_REVIEW', 'NO_TECHNICAL_BASIS']),
    );
  });
  it('caseAfterWindowWithIncident is pro-rata: 6 h of 30 d of 3000 = 25, 1 day', () => {
    expect(decideSummary(caseAfterWindowWithIncident())).toEqual(
      prorata(25, 1, ['NO_TECHNICAL_BASIS', 'PRORATA_INCIDENT', 'WINDOW_EXPIRED']),
    );
  });
  it('caseWithoutTechnicalBasis is denied', () => {
    expect(decideSummary(caseWithoutTechnicalBasis())).toEqual(denied(['NO_TECHNICAL_BASIS']));
  });
  it('caseWithIncidentBasis is a full refund', () => {
    expect(decideSummary(caseWithIncidentBasis())).toEqual(fullRefund(3000));
  });
  it('the decision is written with the shipped policy version and the order currency', () => {
    expect(JSON.stringify(decide(eligibleCase()))).toBe(
      '{"outcome":"full_refund","refundCents":3000,"extensionDays":0,"currency":"USD","decidableAt":null,"reasons":[],"policyVersion":"okkproxy@1"}',
    );
  });
});

describe('row 1: legally required => manual_review with LEGAL_REVIEW', () => {
  it('on an otherwise eligible case (no refund is computed)', () => {
    expect(decideSummary(legallyRequiredCase())).toEqual(manualReview(['LEGAL_REVIEW']));
  });
  it('beats every hard condition and crypto, and still lists them', () => {
    const c = legallyRequiredCase({
      order: { channel: 'marketplace', paymentMethod: 'crypto' },
      account: { tosBreach: true },
      chargebacks: [{ status: 'open' }],
    });
    expect(decideSummary(c)).toEqual(
      manualReview([
        'ACTIVE_CHARGEBACK',
        'CRYPTO_PAYMENT',
        'LEGAL_REVIEW',
        'NON_OFFICIAL_CHANNEL',
        'TOS_BREACH',
      ]),
    );
  });
  it('beats pending: no decidableAt, no AWAITING_REMEDIATION_WINDOW', () => {
    const c = caseWithPendingServiceReport({ request: { legallyRequired: true } });
    expect(decideSummary(c)).toEqual(manualReview(['LEGAL_REVIEW']));
  });
  it('beats technical review', () => {
    const c = caseWithUndeterminedReport({ request: { legallyRequired: true } });
    expect(decideSummary(c)).toEqual(manualReview(['LEGAL_REVIEW', 'NO_TECHNICAL_BASIS']));
  });
  it('beats pro-rata: no refund, no extension, no PRORATA_INCIDENT', () => {
    const c = caseAfterWindowWithIncident({ request: { legallyRequired: true } });
    expect(decideSummary(c)).toEqual(
      manualReview(['LEGAL_REVIEW', 'NO_TECHNICAL_BASIS', 'WINDOW_EXPIRED']),
    );
  });
  it('adds no PROMO_NOT_REFUNDED (the outcome is not a refund)', () => {
    const c = legallyRequiredCase({ order: { promoCreditsCents: 500 } });
    expect(decideSummary(c)).toEqual(manualReview(['LEGAL_REVIEW']));
  });
});

describe('row 2: a hard condition fails => denied', () => {
  const hard: Array<[string, ReturnType<typeof eligibleCase>]> = [
    ['NON_OFFICIAL_CHANNEL', eligibleCase({ order: { channel: 'reseller' } })],
    ['TOS_BREACH', eligibleCase({ account: { tosBreach: true } })],
    ['ABUSE_STRESS_TESTING', eligibleCase({ account: { stressTesting: true } })],
    [
      'ABUSE_REPEAT_REFUNDS',
      eligibleCase({
        priorOrders: [
          {
            id: 'p1',
            planId: 'other',
            purchasedAt: day(-50),
            refundedAt: day(-49),
            refundKind: 'requested',
          },
          {
            id: 'p2',
            planId: 'other',
            purchasedAt: day(-20),
            refundedAt: day(-19),
            refundKind: 'requested',
          },
        ],
      }),
    ],
    ['ACTIVE_CHARGEBACK', eligibleCase({ chargebacks: [{ status: 'open' }] })],
    ['CHARGEBACK_LOST', eligibleCase({ chargebacks: [{ status: 'lost' }] })],
    ['ALREADY_REFUNDED', eligibleCase({ order: { refundedCents: 3000 } })],
  ];
  for (const [code, c] of hard) {
    it(`${code} alone on an eligible case`, () => {
      expect(decideSummary(c)).toEqual(denied([code]));
    });
    it(`${code} beats pending`, () => {
      const p = withChanges(c, { evaluatedAt: day(10) });
      expect(decideSummary(p)).toEqual(denied([code]));
    });
    it(`${code} beats pro-rata`, () => {
      const p = withChanges(c, {
        reports: [],
        request: { submittedAt: day(10) },
        incidents: [incident({ startsAt: day(12), endsAt: day(12.25), confirmedAt: day(13) })],
      });
      expect(decideSummary(p)).toEqual(
        denied([code, 'NO_TECHNICAL_BASIS', 'WINDOW_EXPIRED'].sort()),
      );
    });
    it(`${code} beats technical review`, () => {
      const p = withChanges(c, { reports: [report({ cause: 'undetermined' })] });
      expect(decideSummary(p)).toEqual(denied([code, 'NO_TECHNICAL_BASIS'].sort()));
    });
  }
  it('hard and crypto together: denied, both listed', () => {
    const c = eligibleCase({
      order: { paymentMethod: 'crypto' },
      account: { stressTesting: true },
    });
    expect(decideSummary(c)).toEqual(denied(['ABUSE_STRESS_TESTING', 'CRYPTO_PAYMENT']));
  });
  it('hard with a promo: no PROMO_NOT_REFUNDED', () => {
    const c = eligibleCase({ order: { promoCreditsCents: 900 }, account: { tosBreach: true } });
    expect(decideSummary(c)).toEqual(denied(['TOS_BREACH']));
  });
});

describe('row 3: CRYPTO_PAYMENT fails => denied', () => {
  it('alone on an eligible case', () => {
    expect(decideSummary(eligibleCase({ order: { paymentMethod: 'crypto' } }))).toEqual(
      denied(['CRYPTO_PAYMENT']),
    );
  });
  it('beats pending', () => {
    const c = caseWithPendingServiceReport({ order: { paymentMethod: 'crypto' } });
    expect(decideSummary(c)).toEqual(denied(['CRYPTO_PAYMENT']));
  });
  it('beats technical review', () => {
    const c = caseWithUndeterminedReport({ order: { paymentMethod: 'crypto' } });
    expect(decideSummary(c)).toEqual(denied(['CRYPTO_PAYMENT', 'NO_TECHNICAL_BASIS']));
  });
  it('beats pro-rata (crypto payments never reach row 7)', () => {
    const c = caseAfterWindowWithIncident({ order: { paymentMethod: 'crypto' } });
    expect(decideSummary(c)).toEqual(
      denied(['CRYPTO_PAYMENT', 'NO_TECHNICAL_BASIS', 'WINDOW_EXPIRED']),
    );
  });
  it('paypal and bank are refundable methods', () => {
    expect(decideSummary(eligibleCase({ order: { paymentMethod: 'paypal' } }))).toEqual(
      fullRefund(3000),
    );
    expect(decideSummary(eligibleCase({ order: { paymentMethod: 'bank' } }))).toEqual(
      fullRefund(3000),
    );
  });
});

describe('row 4: nothing fails and a basis holds => full_refund of amount - refunded', () => {
  it('report basis', () => {
    expect(decideSummary(eligibleCase())).toEqual(fullRefund(3000));
  });
  it('incident basis', () => {
    expect(decideSummary(caseWithIncidentBasis())).toEqual(fullRefund(3000));
  });
  it('pays only what is not yet refunded', () => {
    expect(decideSummary(eligibleCase({ order: { refundedCents: 1000 } }))).toEqual(
      fullRefund(2000),
    );
    expect(decideSummary(eligibleCase({ order: { refundedCents: 2999 } }))).toEqual(fullRefund(1));
  });
  it('a holding basis beats a pending one (row 4 before row 5)', () => {
    const c = eligibleCase({
      evaluatedAt: day(16.5),
      reports: [report({ reportedAt: day(1) }), report({ reportedAt: day(5) })],
    });
    expect(decideSummary(c)).toEqual(fullRefund(3000));
  });
  it('an incident basis beats a pending report', () => {
    const c = caseWithPendingServiceReport({
      incidents: [incident({ startsAt: day(2), endsAt: day(3), confirmedAt: day(3) })],
    });
    expect(decideSummary(c)).toEqual(fullRefund(3000));
  });
  it('with a policy that requires no basis: full refund without any report', () => {
    const policy = draftVersion2((doc) => {
      doc.parameters.technicalBasisRequired = false;
    });
    const d = decide(caseWithoutTechnicalBasis(), policy);
    expect(d.policyVersion).toBe('okkproxy@2');
    expect(decideSummary(caseWithoutTechnicalBasis(), policy)).toEqual(fullRefund(3000));
    // ... and a pending report does not hold it up.
    expect(decideSummary(caseWithPendingServiceReport(), policy)).toEqual(fullRefund(3000));
    // ... while an excluded cause still fails (soft): denied without an incident.
    expect(decideSummary(caseWithExcludedCauseReport(), policy)).toEqual(
      denied(['EXCLUDED_CAUSE']),
    );
  });
  it('amount 0, refunded 0: a full refund of 0 (ALREADY_REFUNDED does not fail)', () => {
    expect(decideSummary(eligibleCase({ order: { amountCents: 0 } }))).toEqual(fullRefund(0));
  });
});

describe('row 5: nothing fails and a report basis is pending => pending', () => {
  it('decidableAt is the report deadline (reportedAt + 15 d)', () => {
    expect(decideSummary(caseWithPendingServiceReport())).toEqual(
      pending('2026-03-18T10:00:00.000Z'),
    );
  });
  it('an incident outside the first 7 days does not turn pending into pro-rata', () => {
    const c = caseWithPendingServiceReport({
      evaluatedAt: day(14),
      incidents: [incident({ startsAt: day(12), endsAt: day(12.25), confirmedAt: day(13) })],
    });
    expect(decideSummary(c)).toEqual(pending('2026-03-18T10:00:00.000Z'));
  });
  it('a pending basis with a soft failure is not pending: row 8 without affected time', () => {
    const c = caseWithPendingServiceReport({ request: { submittedAt: day(9) } });
    expect(decideSummary(c)).toEqual(denied(['WINDOW_EXPIRED']));
  });
  it('a pending basis with a soft failure and an incident: row 7', () => {
    const c = caseWithPendingServiceReport({
      evaluatedAt: day(14),
      request: { submittedAt: day(9) },
      incidents: [incident({ startsAt: day(12), endsAt: day(12.25), confirmedAt: day(13) })],
    });
    expect(decideSummary(c)).toEqual(prorata(25, 1, ['PRORATA_INCIDENT', 'WINDOW_EXPIRED']));
  });
  it('adds no PROMO_NOT_REFUNDED', () => {
    const c = caseWithPendingServiceReport({ order: { promoCreditsCents: 100 } });
    expect(decideSummary(c)).toEqual(pending('2026-03-18T10:00:00.000Z'));
  });
});

describe('row 6: only NO_TECHNICAL_BASIS fails, with an undetermined report => manual_review', () => {
  it('an unremediated undetermined report past its deadline', () => {
    expect(decideSummary(caseWithUndeterminedReport())).toEqual(
      manualReview(['NEEDS_TECHNICAL_REVIEW', 'NO_TECHNICAL_BASIS']),
    );
  });
  it('an unremediated undetermined report before its deadline (it would be pending)', () => {
    const c = caseWithUndeterminedReport({ evaluatedAt: day(10) });
    expect(decideSummary(c)).toEqual(
      manualReview(['NEEDS_TECHNICAL_REVIEW', 'NO_TECHNICAL_BASIS']),
    );
  });
  it('an undetermined report remediated after its deadline', () => {
    const c = caseWithUndeterminedReport({
      reports: [report({ cause: 'undetermined', remediatedAt: day(16.5) })],
    });
    expect(decideSummary(c)).toEqual(
      manualReview(['NEEDS_TECHNICAL_REVIEW', 'NO_TECHNICAL_BASIS']),
    );
  });
  it('not when the undetermined report was remediated by its deadline', () => {
    const c = caseWithUndeterminedReport({
      reports: [report({ cause: 'undetermined', remediatedAt: day(16) })],
    });
    expect(decideSummary(c)).toEqual(denied(['NO_TECHNICAL_BASIS']));
  });
  it('not when the undetermined report was made after the first 7 days', () => {
    const c = caseWithUndeterminedReport({
      reports: [report({ cause: 'undetermined', reportedAt: day(7.5) })],
    });
    expect(decideSummary(c)).toEqual(denied(['NO_TECHNICAL_BASIS']));
  });
  it('not when another soft condition also fails (row 8 without affected time)', () => {
    const c = caseWithUndeterminedReport({ usage: { trafficBytes: 500_000_001 } });
    expect(decideSummary(c)).toEqual(denied(['NO_TECHNICAL_BASIS', 'USAGE_CAP_TRAFFIC']));
  });
  it('not when another soft condition also fails (row 7 with affected time)', () => {
    const c = caseWithUndeterminedReport({
      usage: { requests: 5_001 },
      incidents: [incident({ startsAt: day(12), endsAt: day(12.25), confirmedAt: day(13) })],
    });
    expect(decideSummary(c)).toEqual(
      prorata(25, 1, ['NO_TECHNICAL_BASIS', 'PRORATA_INCIDENT', 'USAGE_CAP_REQUESTS']),
    );
  });
  it('beats row 7 when NO_TECHNICAL_BASIS is the only failure', () => {
    const c = caseWithUndeterminedReport({
      incidents: [incident({ startsAt: day(12), endsAt: day(12.25), confirmedAt: day(13) })],
    });
    expect(decideSummary(c)).toEqual(
      manualReview(['NEEDS_TECHNICAL_REVIEW', 'NO_TECHNICAL_BASIS']),
    );
  });
  it('adds no PROMO_NOT_REFUNDED', () => {
    const c = caseWithUndeterminedReport({ order: { promoCreditsCents: 100 } });
    expect(decideSummary(c)).toEqual(
      manualReview(['NEEDS_TECHNICAL_REVIEW', 'NO_TECHNICAL_BASIS']),
    );
  });
});

describe('row 7: every failing condition soft and affected time > 0 => prorata', () => {
  it('window expired, no basis', () => {
    expect(decideSummary(caseAfterWindowWithIncident())).toEqual(
      prorata(25, 1, ['NO_TECHNICAL_BASIS', 'PRORATA_INCIDENT', 'WINDOW_EXPIRED']),
    );
  });
  it('only NO_TECHNICAL_BASIS fails and there is no undetermined report', () => {
    const c = caseWithoutTechnicalBasis({
      incidents: [incident({ startsAt: day(12), endsAt: day(12.25), confirmedAt: day(13) })],
    });
    expect(decideSummary(c)).toEqual(prorata(25, 1, ['NO_TECHNICAL_BASIS', 'PRORATA_INCIDENT']));
  });
  it('every soft condition at once', () => {
    const c = caseAfterWindowWithIncident({
      usage: { trafficBytes: 500_000_001, requests: 5_001 },
      reports: [report({ cause: 'third_party_tool' })],
    });
    expect(decideSummary(c)).toEqual(
      prorata(25, 1, [
        'EXCLUDED_CAUSE',
        'NO_TECHNICAL_BASIS',
        'PRORATA_INCIDENT',
        'USAGE_CAP_REQUESTS',
        'USAGE_CAP_TRAFFIC',
        'WINDOW_EXPIRED',
      ]),
    );
  });
  it('a basis that holds with a soft failure: pro-rata, no NO_TECHNICAL_BASIS', () => {
    const c = caseAfterWindowWithIncident({ reports: [report()] });
    expect(decideSummary(c)).toEqual(prorata(25, 1, ['PRORATA_INCIDENT', 'WINDOW_EXPIRED']));
  });
  it('a widely impacting incident in the first 7 days with a usage cap exceeded', () => {
    // Basis holds (incident of 12 h on day 2); traffic over cap: pro-rata for those 12 h.
    const c = caseWithIncidentBasis({ usage: { trafficBytes: 600_000_000 } });
    expect(decideSummary(c)).toEqual(prorata(50, 1, ['PRORATA_INCIDENT', 'USAGE_CAP_TRAFFIC']));
  });
  it('with promotional value: PROMO_NOT_REFUNDED', () => {
    const c = caseAfterWindowWithIncident({ order: { promoCreditsCents: 1 } });
    expect(decideSummary(c)).toEqual(
      prorata(25, 1, [
        'NO_TECHNICAL_BASIS',
        'PROMO_NOT_REFUNDED',
        'PRORATA_INCIDENT',
        'WINDOW_EXPIRED',
      ]),
    );
  });
  it('affected time > 0 but the rounded refund is 0: still pro-rata with an extension', () => {
    const c = caseAfterWindowWithIncident({ order: { amountCents: 100 } });
    expect(decideSummary(c)).toEqual(
      prorata(0, 1, ['NO_TECHNICAL_BASIS', 'PRORATA_INCIDENT', 'WINDOW_EXPIRED']),
    );
  });
});

describe('row 8: otherwise => denied', () => {
  it('no basis and no affected time', () => {
    expect(decideSummary(caseWithoutTechnicalBasis())).toEqual(denied(['NO_TECHNICAL_BASIS']));
  });
  it('excluded cause', () => {
    expect(decideSummary(caseWithExcludedCauseReport())).toEqual(
      denied(['EXCLUDED_CAUSE', 'NO_TECHNICAL_BASIS']),
    );
  });
  it('window expired with a holding basis and no incident', () => {
    const c = eligibleCase({ request: { submittedAt: day(8) } });
    expect(decideSummary(c)).toEqual(denied(['WINDOW_EXPIRED']));
  });
  it('the only incident is already compensated: affected time 0', () => {
    const c = caseAfterWindowWithIncident({
      order: { compensatedIncidentIds: ['inc_late'], refundedCents: 25 },
    });
    expect(decideSummary(c)).toEqual(denied(['NO_TECHNICAL_BASIS', 'WINDOW_EXPIRED']));
  });
  it('with promotional value: no PROMO_NOT_REFUNDED', () => {
    const c = caseWithoutTechnicalBasis({ order: { promoCreditsCents: 100 } });
    expect(decideSummary(c)).toEqual(denied(['NO_TECHNICAL_BASIS']));
  });
});

describe('PROMO_NOT_REFUNDED', () => {
  it('on a full refund with promotional value; the refund is the cash only', () => {
    const c = eligibleCase({ order: { promoCreditsCents: 500 } });
    expect(decideSummary(c)).toEqual(fullRefund(3000, ['PROMO_NOT_REFUNDED']));
  });
  it('not with promoCreditsCents 0', () => {
    expect(decideSummary(eligibleCase({ order: { promoCreditsCents: 0 } }))).toEqual(
      fullRefund(3000),
    );
  });
});

describe('which version decides (contract section 7)', () => {
  function decideWithVersions(submittedAt: string, effectiveFrom: string) {
    // Version 2 shortens the request window to 1 day, so that the deciding version shows.
    const v2 = draftVersion2((doc) => {
      doc.effectiveFrom = effectiveFrom;
      doc.parameters.requestWindowDays = 1;
    });
    const result = decideCase(eligibleCase({ request: { submittedAt } }), {
      versions: [shippedV1(), v2],
    });
    if (!result.ok) throw new Error('invalid case');
    return result.value.decision;
  }
  it('the version in effect at request.submittedAt, from the moment it is posted', () => {
    const posted = day(3);
    const atPosting = decideWithVersions(day(3), posted);
    expect(atPosting.policyVersion).toBe('okkproxy@2');
    expect(atPosting.reasons.map((r) => r.code)).toEqual(['WINDOW_EXPIRED']);
    const before = decideWithVersions(day(3), plusMs(posted, 1));
    expect(before.policyVersion).toBe('okkproxy@1');
    expect(before.outcome).toBe('full_refund');
  });
  it('not the version in effect at evaluatedAt', () => {
    const decision = decideWithVersions(day(3), day(10));
    expect(decision.policyVersion).toBe('okkproxy@1');
    expect(decision.outcome).toBe('full_refund');
  });
});
