/** One plain-English sentence per reason, stating the figures that decided it. */
import { formatMoney } from '../domain/money.js';
import { formatDuration, formatInstant } from '../domain/time.js';
import type { Findings } from './findings.js';
import type { Policy } from './policy.js';
import type { ReasonCode } from './types.js';

function list(items: readonly string[]): string {
  return items.join(', ');
}

function count(n: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : pluralNoun}`;
}

/** Ids and causes are listed sorted, so the message does not depend on input order. */
function sorted(items: Iterable<string>): string[] {
  return [...new Set(items)].sort();
}

/** The phrases that depend only on the policy version, written once per version. */
interface PolicyPhrases {
  readonly officialChannels: string;
  readonly nonRefundablePaymentMethods: string;
  readonly firstPeriod: string;
  readonly requestWindow: string;
  readonly remediation: string;
  readonly repeatRefundLookback: string;
}

const phrasesByPolicy = new WeakMap<Policy, PolicyPhrases>();

function phrases(policy: Policy): PolicyPhrases {
  let found = phrasesByPolicy.get(policy);
  if (found === undefined) {
    found = {
      officialChannels: list([...policy.officialChannels]),
      nonRefundablePaymentMethods: list([...policy.nonRefundablePaymentMethods]),
      firstPeriod: formatDuration(policy.firstPeriodMs),
      requestWindow: formatDuration(policy.requestWindowMs),
      remediation: formatDuration(policy.remediationMs),
      repeatRefundLookback: formatDuration(policy.repeatRefundLookbackMs),
    };
    phrasesByPolicy.set(policy, found);
  }
  return found;
}

function firstPeriod(f: Findings): string {
  return `the first ${phrases(f.policy).firstPeriod} (${formatInstant(f.firstPurchaseMs)} to ${formatInstant(f.firstPeriodEndMs)})`;
}

export const messages: Readonly<Record<ReasonCode, (f: Findings) => string>> = {
  NON_OFFICIAL_CHANNEL: (f) =>
    `order ${f.facts.order.id} was placed through channel ${f.facts.order.channel}; refunds cover only orders placed through ${phrases(f.policy).officialChannels}`,
  CRYPTO_PAYMENT: (f) =>
    `order ${f.facts.order.id} was paid by ${f.facts.order.paymentMethod}; ${phrases(f.policy).nonRefundablePaymentMethods} payments are non-refundable unless law requires a refund`,
  WINDOW_EXPIRED: (f) =>
    `submitted ${formatDuration(f.facts.request.submittedAtMs - f.firstPurchaseMs)} after the first purchase of plan ${f.facts.order.planId} (${formatInstant(f.firstPurchaseMs)}); the window is ${phrases(f.policy).requestWindow}`,
  USAGE_CAP_TRAFFIC: (f) =>
    `used ${f.facts.usage.trafficBytes} bytes of traffic; the ${f.facts.order.product} cap is ${f.policy.usageCaps[f.facts.order.product].trafficBytes} bytes`,
  USAGE_CAP_REQUESTS: (f) =>
    `made ${f.facts.usage.requests} requests; the ${f.facts.order.product} cap is ${f.policy.usageCaps[f.facts.order.product].requests} requests`,
  NO_TECHNICAL_BASIS: (f) =>
    `no confirmed, widely impacting incident on ${f.facts.order.product} overlapped ${firstPeriod(f)}, and no service report made in that time went unremediated for ${phrases(f.policy).remediation}`,
  EXCLUDED_CAUSE: (f) => {
    const causes = sorted(
      f.facts.reports.filter((r) => r.reportedAtMs <= f.facts.evaluatedAtMs).map((r) => r.cause),
    );
    return `${f.reportsSeen === 1 ? 'the only report has' : `all ${f.reportsSeen} reports have`} a cause outside the provider's control (${list(causes)})`;
  },
  TOS_BREACH: () => 'the account is recorded as breaching the Terms of Service',
  ABUSE_STRESS_TESTING: () => 'the account is recorded as stress testing the network',
  ABUSE_REPEAT_REFUNDS: (f) =>
    `${count(f.requestedRefundIds.length, 'requested refund')} (${list(sorted(f.requestedRefundIds))}) in the ${phrases(f.policy).repeatRefundLookback} before this request; ${f.policy.repeatRefundCount} or more is repeated buy-and-refund`,
  ACTIVE_CHARGEBACK: (f) =>
    `${count(f.facts.chargebacks.filter((c) => c.status === 'open').length, 'chargeback or dispute', 'chargebacks or disputes')} on order ${f.facts.order.id} open and not withdrawn`,
  CHARGEBACK_LOST: (f) =>
    `a chargeback on order ${f.facts.order.id} was lost: the card network already returned the payment`,
  ALREADY_REFUNDED: (f) =>
    `order ${f.facts.order.id} was already refunded in full (${formatMoney(f.facts.order.refundedCents, f.facts.order.currency)})`,
  LEGAL_REVIEW: () =>
    'staff recorded that applicable law requires a refund; a person applies the law',
  AWAITING_REMEDIATION_WINDOW: (f) =>
    `${count(f.pendingDeadlinesMs.length, 'service report')} not yet remediated; the remediation window of ${phrases(f.policy).remediation} closes first at ${formatInstant(f.pendingDeadlinesMs[0] ?? 0)}, when the case is decided again`,
  NEEDS_TECHNICAL_REVIEW: (f) =>
    `${count(f.undeterminedReviewableAtMs.length, 'report')} made in ${firstPeriod(f)} ${f.undeterminedReviewableAtMs.length === 1 ? 'has' : 'have'} an undetermined cause (first at ${formatInstant(Math.min(...f.undeterminedReviewableAtMs))}); if review finds a service cause it founds a refund`,
  PRORATA_INCIDENT: (f) =>
    `confirmed incidents ${list(sorted(f.prorata.incidentIds))} affected ${formatDuration(f.prorata.affectedMs)} of the ${f.facts.order.servicePeriodDays}-day service period: a refund of ${formatMoney(f.refundCents, f.facts.order.currency)} of ${formatMoney(f.facts.order.amountCents, f.facts.order.currency)} or a ${count(f.extensionDays, 'day')} extension`,
  PROMO_NOT_REFUNDED: (f) =>
    `promotional value of ${formatMoney(f.facts.order.promoCreditsCents, f.facts.order.currency)} is not refundable; only the cash paid is`,
};
