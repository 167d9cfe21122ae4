/**
 * The evaluator: decision contract v1, sections 2–6. Pure: no clock (the case carries
 * evaluatedAt), no I/O, integer arithmetic only. Every condition is evaluated, always.
 */
import { divCeil, mulDivFloor } from '../domain/money.js';
import { DAY_MS, formatInstant } from '../domain/time.js';
import { messages } from './messages.js';
import type { Findings } from './findings.js';
import type { Policy } from './policy.js';
import type { CaseFacts, ConditionCode, Decision, Outcome, Reason, ReasonCode } from './types.js';

const HARD_CONDITIONS: ReadonlySet<ConditionCode> = new Set([
  'NON_OFFICIAL_CHANNEL',
  'TOS_BREACH',
  'ABUSE_STRESS_TESTING',
  'ABUSE_REPEAT_REFUNDS',
  'ACTIVE_CHARGEBACK',
  'CHARGEBACK_LOST',
  'ALREADY_REFUNDED',
]);

/** Clause of the written policy that each reason cites. */
export const CLAUSE_BY_CODE: Readonly<Record<ReasonCode, Reason['clause']>> = {
  NON_OFFICIAL_CHANNEL: '2',
  CRYPTO_PAYMENT: '2',
  WINDOW_EXPIRED: '2',
  USAGE_CAP_TRAFFIC: '2',
  USAGE_CAP_REQUESTS: '2',
  NO_TECHNICAL_BASIS: '2',
  EXCLUDED_CAUSE: '3',
  TOS_BREACH: '3',
  ABUSE_STRESS_TESTING: '3',
  ABUSE_REPEAT_REFUNDS: '3',
  ACTIVE_CHARGEBACK: '3',
  CHARGEBACK_LOST: '3',
  ALREADY_REFUNDED: '4',
  LEGAL_REVIEW: '2',
  AWAITING_REMEDIATION_WINDOW: '2',
  NEEDS_TECHNICAL_REVIEW: '4',
  PRORATA_INCIDENT: '4',
  PROMO_NOT_REFUNDED: '3',
};

function incidentCovers(
  products: CaseFacts['incidents'][number]['products'],
  product: string,
): boolean {
  for (const p of products) if (p === product || p === 'all') return true;
  return false;
}

/** Length of the union of [start, end) intervals (end > start), in ms. Sorts in place. */
function unionLengthMs(intervals: Array<[number, number]>): number {
  intervals.sort((a, b) => a[0] - b[0]);
  let total = 0;
  let currentStart = Number.NaN;
  let currentEnd = Number.NaN;
  for (const [start, end] of intervals) {
    if (Number.isNaN(currentEnd) || start > currentEnd) {
      if (!Number.isNaN(currentEnd)) total += currentEnd - currentStart;
      currentStart = start;
      currentEnd = end;
    } else if (end > currentEnd) {
      currentEnd = end;
    }
  }
  if (!Number.isNaN(currentEnd)) total += currentEnd - currentStart;
  return total;
}

export function evaluate(facts: CaseFacts, policy: Policy): Decision {
  const now = facts.evaluatedAtMs;
  const order = facts.order;
  const submittedAtMs = facts.request.submittedAtMs;
  const failing: ConditionCode[] = [];

  // Section 2, as of evaluatedAt: the first purchase of this plan.
  let firstPurchaseMs = order.purchasedAtMs;
  let requestedRefunds = 0;
  const requestedRefundIds: string[] = [];
  const lookbackStartMs = submittedAtMs - policy.repeatRefundLookbackMs;
  for (const prior of facts.priorOrders) {
    if (prior.purchasedAtMs > now) continue;
    if (prior.planId === order.planId && prior.purchasedAtMs < firstPurchaseMs) {
      firstPurchaseMs = prior.purchasedAtMs;
    }
    const refundedAtMs = prior.refundedAtMs;
    if (
      prior.refundKind === 'requested' &&
      refundedAtMs !== null &&
      refundedAtMs <= now &&
      refundedAtMs >= lookbackStartMs &&
      refundedAtMs <= submittedAtMs
    ) {
      requestedRefunds += 1;
      requestedRefundIds.push(prior.id);
    }
  }
  const firstPeriodEndMs = firstPurchaseMs + policy.firstPeriodMs;

  if (!policy.officialChannels.has(order.channel)) failing.push('NON_OFFICIAL_CHANNEL');
  if (policy.nonRefundablePaymentMethods.has(order.paymentMethod)) failing.push('CRYPTO_PAYMENT');
  if (submittedAtMs - firstPurchaseMs > policy.requestWindowMs) failing.push('WINDOW_EXPIRED');
  const cap = policy.usageCaps[order.product];
  if (facts.usage.trafficBytes > cap.trafficBytes) failing.push('USAGE_CAP_TRAFFIC');
  if (facts.usage.requests > cap.requests) failing.push('USAGE_CAP_REQUESTS');

  // Section 4: technical basis.
  const incidentBasisIds: string[] = [];
  const prorataIntervals: Array<[number, number]> = [];
  const prorataIncidentIds: string[] = [];
  const periodStartMs = order.purchasedAtMs;
  const periodMs = order.servicePeriodDays * DAY_MS;
  const prorataEndMs = Math.min(periodStartMs + periodMs, now);
  for (const incident of facts.incidents) {
    if (incident.startsAtMs > now) continue;
    if (incident.confirmedAtMs === null || incident.confirmedAtMs > now) continue;
    if (!incidentCovers(incident.products, order.product)) continue;
    const endMs = incident.endsAtMs === null || incident.endsAtMs > now ? now : incident.endsAtMs;
    if (incident.widelyImpacting) {
      const overlapMs =
        Math.min(endMs, firstPeriodEndMs) - Math.max(incident.startsAtMs, firstPurchaseMs);
      if (overlapMs > 0) incidentBasisIds.push(incident.id);
    }
    if (!order.compensatedIncidentIds.includes(incident.id)) {
      const clippedStartMs = Math.max(incident.startsAtMs, periodStartMs);
      const clippedEndMs = Math.min(endMs, prorataEndMs);
      if (clippedEndMs > clippedStartMs) {
        prorataIntervals.push([clippedStartMs, clippedEndMs]);
        prorataIncidentIds.push(incident.id);
      }
    }
  }

  const reportBasisAtMs: number[] = [];
  const pendingDeadlinesMs: number[] = [];
  const undeterminedReviewableAtMs: number[] = [];
  let reportsSeen = 0;
  let everyReportExcluded = true;
  for (const report of facts.reports) {
    if (report.reportedAtMs > now) continue;
    reportsSeen += 1;
    if (!policy.excludedCauses.has(report.cause)) everyReportExcluded = false;
    const inFirstPeriod =
      report.reportedAtMs >= firstPurchaseMs && report.reportedAtMs <= firstPeriodEndMs;
    if (!inFirstPeriod) continue;
    const deadlineMs = report.reportedAtMs + policy.remediationMs;
    const remediatedAtMs =
      report.remediatedAtMs !== null && report.remediatedAtMs <= now ? report.remediatedAtMs : null;
    const unremediatedByDeadline = remediatedAtMs === null || remediatedAtMs > deadlineMs;
    if (report.cause === 'service') {
      if (unremediatedByDeadline && now >= deadlineMs) reportBasisAtMs.push(report.reportedAtMs);
      else if (remediatedAtMs === null && now < deadlineMs) pendingDeadlinesMs.push(deadlineMs);
    } else if (report.cause === 'undetermined' && unremediatedByDeadline) {
      undeterminedReviewableAtMs.push(report.reportedAtMs);
    }
  }
  pendingDeadlinesMs.sort((a, b) => a - b);

  const basisHolds = incidentBasisIds.length > 0 || reportBasisAtMs.length > 0;
  const basisPending = pendingDeadlinesMs.length > 0;
  if (policy.technicalBasisRequired && !basisHolds && !basisPending)
    failing.push('NO_TECHNICAL_BASIS');
  if (!basisHolds && !basisPending && reportsSeen > 0 && everyReportExcluded)
    failing.push('EXCLUDED_CAUSE');

  // Section 3.
  if (facts.account.tosBreach) failing.push('TOS_BREACH');
  if (facts.account.stressTesting) failing.push('ABUSE_STRESS_TESTING');
  if (requestedRefunds >= policy.repeatRefundCount) failing.push('ABUSE_REPEAT_REFUNDS');
  let chargebackOpen = false;
  let chargebackLost = false;
  for (const chargeback of facts.chargebacks) {
    if (chargeback.status === 'open') chargebackOpen = true;
    else if (chargeback.status === 'lost') chargebackLost = true;
  }
  if (chargebackOpen) failing.push('ACTIVE_CHARGEBACK');
  if (chargebackLost) failing.push('CHARGEBACK_LOST');
  if (order.refundedCents > 0 && order.refundedCents === order.amountCents)
    failing.push('ALREADY_REFUNDED');

  // Section 5: outcome, first matching row.
  let hardFails = false;
  let allSoft = true;
  for (const code of failing) {
    if (HARD_CONDITIONS.has(code)) hardFails = true;
    if (HARD_CONDITIONS.has(code) || code === 'CRYPTO_PAYMENT') allSoft = false;
  }
  const refundableCents = order.amountCents - order.refundedCents;
  const added: ReasonCode[] = [];
  let outcome: Outcome;
  let refundCents = 0;
  let extensionDays = 0;
  let decidableAtMs: number | null = null;
  const affectedMs = prorataIntervals.length > 0 ? unionLengthMs(prorataIntervals) : 0;

  if (facts.request.legallyRequired) {
    outcome = 'manual_review';
    added.push('LEGAL_REVIEW');
  } else if (hardFails || failing.includes('CRYPTO_PAYMENT')) {
    outcome = 'denied';
  } else if (failing.length === 0 && (basisHolds || !policy.technicalBasisRequired)) {
    outcome = 'full_refund';
    refundCents = refundableCents;
  } else if (failing.length === 0 && basisPending) {
    outcome = 'pending';
    added.push('AWAITING_REMEDIATION_WINDOW');
    decidableAtMs = pendingDeadlinesMs[0] ?? null;
  } else if (
    failing.length === 1 &&
    failing[0] === 'NO_TECHNICAL_BASIS' &&
    undeterminedReviewableAtMs.length > 0
  ) {
    outcome = 'manual_review';
    added.push('NEEDS_TECHNICAL_REVIEW');
  } else if (allSoft && affectedMs > 0) {
    outcome = 'prorata';
    added.push('PRORATA_INCIDENT');
    refundCents = Math.min(mulDivFloor(order.amountCents, affectedMs, periodMs), refundableCents);
    extensionDays = divCeil(affectedMs, DAY_MS);
  } else {
    outcome = 'denied';
  }
  if ((outcome === 'full_refund' || outcome === 'prorata') && order.promoCreditsCents > 0) {
    added.push('PROMO_NOT_REFUNDED');
  }

  const findings: Findings = {
    facts,
    policy,
    firstPurchaseMs,
    firstPeriodEndMs,
    requestedRefundIds,
    incidentBasisIds,
    reportBasisAtMs,
    pendingDeadlinesMs,
    reportsSeen,
    undeterminedReviewableAtMs,
    prorata: { affectedMs, incidentIds: prorataIncidentIds },
    refundCents,
    extensionDays,
  };
  const codes: ReasonCode[] = failing;
  for (const code of added) codes.push(code);
  codes.sort();
  const reasons: Reason[] = codes.map((code) => ({
    code,
    clause: CLAUSE_BY_CODE[code],
    message: messages[code](findings),
  }));
  return {
    outcome,
    refundCents,
    extensionDays,
    currency: order.currency,
    decidableAt: decidableAtMs === null ? null : formatInstant(decidableAtMs),
    reasons,
    policyVersion: policy.label,
  };
}
