import type { Policy } from './policy.js';
import type { CaseFacts } from './types.js';

/** What the evaluator established about the case, as of evaluatedAt. Messages read it. */
export interface Findings {
  readonly facts: CaseFacts;
  readonly policy: Policy;
  readonly firstPurchaseMs: number;
  readonly firstPeriodEndMs: number;
  readonly requestedRefundIds: readonly string[];
  readonly incidentBasisIds: readonly string[];
  readonly reportBasisAtMs: readonly number[];
  /** Deadlines of pending service reports, ascending. */
  readonly pendingDeadlinesMs: readonly number[];
  readonly reportsSeen: number;
  readonly undeterminedReviewableAtMs: readonly number[];
  readonly prorata: { readonly affectedMs: number; readonly incidentIds: readonly string[] };
  readonly refundCents: number;
  readonly extensionDays: number;
}
