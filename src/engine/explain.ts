/** A decision laid out for a person: what the CLI's --explain and the staff console show. */
import { formatMoney } from '../domain/money.js';
import type { Policy } from './policy.js';
import type { ClauseId, Decision, ReasonCode } from './types.js';

export interface ExplainedReason {
  readonly code: ReasonCode;
  readonly clause: ClauseId;
  readonly clauseTitle: string;
  readonly clauseText: string;
  readonly message: string;
}

export interface Explanation {
  readonly headline: string;
  readonly policyVersion: string;
  readonly reasons: readonly ExplainedReason[];
}

const HEADLINE: Readonly<Record<Decision['outcome'], string>> = {
  full_refund: 'Full refund',
  prorata: 'Pro-rata refund or service extension',
  pending: 'Pending',
  manual_review: 'Manual review',
  denied: 'Denied',
};

export function explain(decision: Decision, policy: Policy): Explanation {
  let headline = HEADLINE[decision.outcome];
  if (decision.outcome === 'full_refund') {
    headline += `: ${formatMoney(decision.refundCents, decision.currency)}`;
  } else if (decision.outcome === 'prorata') {
    headline += `: ${formatMoney(decision.refundCents, decision.currency)} or ${decision.extensionDays} day${decision.extensionDays === 1 ? '' : 's'}`;
  } else if (decision.outcome === 'pending' && decision.decidableAt !== null) {
    headline += `: decided again at ${decision.decidableAt}`;
  }
  return {
    headline,
    policyVersion: decision.policyVersion,
    reasons: decision.reasons.map((reason) => {
      const clause = policy.document.clauses[reason.clause];
      return {
        code: reason.code,
        clause: reason.clause,
        clauseTitle: clause?.title ?? '',
        clauseText: clause?.text ?? '',
        message: reason.message,
      };
    }),
  };
}
