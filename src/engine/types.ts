/** The engine's vocabulary. Input shapes follow case.schema.json; instants become epoch ms. */

export const PRODUCTS = [
  'dynamic_residential',
  'static_isp',
  'datacenter',
  'mobile_dynamic',
  'mobile_static',
  'unlimited',
] as const;
export type Product = (typeof PRODUCTS)[number];

export const CHANNELS = ['official_site', 'designated_link', 'reseller', 'marketplace'] as const;
export type Channel = (typeof CHANNELS)[number];

export const PAYMENT_METHODS = ['card', 'paypal', 'bank', 'crypto'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

export const REPORT_CAUSES = [
  'service',
  'target_anti_bot',
  'third_party_tool',
  'account_restriction',
  'user_side',
  'undetermined',
] as const;
export type ReportCause = (typeof REPORT_CAUSES)[number];

export const CHARGEBACK_STATUSES = ['open', 'withdrawn', 'won', 'lost'] as const;
export type ChargebackStatus = (typeof CHARGEBACK_STATUSES)[number];

export type RefundKind = 'requested' | 'compensation';

/** A case as JSON carries it (case.schema.json). Defaults are applied when it is read. */
export interface CaseInput {
  evaluatedAt: string;
  order: {
    id: string;
    customerId: string;
    planId: string;
    product: Product;
    channel: Channel;
    paymentMethod: PaymentMethod;
    amountCents: number;
    currency: string;
    promoCreditsCents?: number;
    purchasedAt: string;
    servicePeriodDays: number;
    refundedCents?: number;
    compensatedIncidentIds?: string[];
  };
  priorOrders?: Array<{
    id: string;
    planId: string;
    purchasedAt: string;
    refundedAt?: string | null;
    refundKind?: RefundKind;
  }>;
  usage: { trafficBytes: number; requests: number };
  reports?: Array<{ reportedAt: string; cause: ReportCause; remediatedAt?: string | null }>;
  incidents?: Array<{
    id: string;
    confirmedAt: string | null;
    startsAt: string;
    endsAt?: string | null;
    products: Array<Product | 'all'>;
    widelyImpacting: boolean;
  }>;
  chargebacks?: Array<{ status: ChargebackStatus }>;
  account?: { tosBreach?: boolean; stressTesting?: boolean };
  request: { submittedAt: string; legallyRequired?: boolean };
}

/** A valid case with defaults applied and every instant parsed to epoch milliseconds. */
export interface CaseFacts {
  readonly evaluatedAtMs: number;
  readonly order: {
    readonly id: string;
    readonly customerId: string;
    readonly planId: string;
    readonly product: Product;
    readonly channel: Channel;
    readonly paymentMethod: PaymentMethod;
    readonly amountCents: number;
    readonly currency: string;
    readonly promoCreditsCents: number;
    readonly purchasedAtMs: number;
    readonly servicePeriodDays: number;
    readonly refundedCents: number;
    readonly compensatedIncidentIds: readonly string[];
  };
  readonly priorOrders: ReadonlyArray<{
    readonly id: string;
    readonly planId: string;
    readonly purchasedAtMs: number;
    readonly refundedAtMs: number | null;
    readonly refundKind: RefundKind;
  }>;
  readonly usage: { readonly trafficBytes: number; readonly requests: number };
  readonly reports: ReadonlyArray<{
    readonly reportedAtMs: number;
    readonly cause: ReportCause;
    readonly remediatedAtMs: number | null;
  }>;
  readonly incidents: ReadonlyArray<{
    readonly id: string;
    readonly confirmedAtMs: number | null;
    readonly startsAtMs: number;
    readonly endsAtMs: number | null;
    readonly products: ReadonlyArray<Product | 'all'>;
    readonly widelyImpacting: boolean;
  }>;
  readonly chargebacks: ReadonlyArray<{ readonly status: ChargebackStatus }>;
  readonly account: { readonly tosBreach: boolean; readonly stressTesting: boolean };
  readonly request: { readonly submittedAtMs: number; readonly legallyRequired: boolean };
}

export const CONDITION_CODES = [
  'NON_OFFICIAL_CHANNEL',
  'CRYPTO_PAYMENT',
  'WINDOW_EXPIRED',
  'USAGE_CAP_TRAFFIC',
  'USAGE_CAP_REQUESTS',
  'NO_TECHNICAL_BASIS',
  'EXCLUDED_CAUSE',
  'TOS_BREACH',
  'ABUSE_STRESS_TESTING',
  'ABUSE_REPEAT_REFUNDS',
  'ACTIVE_CHARGEBACK',
  'CHARGEBACK_LOST',
  'ALREADY_REFUNDED',
] as const;
export type ConditionCode = (typeof CONDITION_CODES)[number];

export const OUTCOME_REASON_CODES = [
  'LEGAL_REVIEW',
  'AWAITING_REMEDIATION_WINDOW',
  'NEEDS_TECHNICAL_REVIEW',
  'PRORATA_INCIDENT',
  'PROMO_NOT_REFUNDED',
] as const;
export type OutcomeReasonCode = (typeof OUTCOME_REASON_CODES)[number];

export type ReasonCode = ConditionCode | OutcomeReasonCode;

export const CLAUSE_IDS = ['1', '2', '3', '4', '5', '6', '7'] as const;
export type ClauseId = (typeof CLAUSE_IDS)[number];

export type Outcome = 'full_refund' | 'prorata' | 'pending' | 'manual_review' | 'denied';

export interface Reason {
  readonly code: ReasonCode;
  readonly clause: ClauseId;
  readonly message: string;
}

/** decision.schema.json. Key order is fixed so that the same case yields the same bytes. */
export interface Decision {
  readonly outcome: Outcome;
  readonly refundCents: number;
  readonly extensionDays: number;
  readonly currency: string;
  readonly decidableAt: string | null;
  readonly reasons: readonly Reason[];
  readonly policyVersion: string;
}

/** One problem with an input, located by JSON pointer (RFC 6901). */
export interface FieldError {
  readonly pointer: string;
  readonly message: string;
}

export type Result<T, E> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };
