/**
 * The port every payout provider adapter (src/payouts/) implements (card via Stripe, PayPal, bank
 * transfer, manual). The worker calls `refund` only after the refund row and its idempotency
 * key are committed; a retry of the same refund reuses the same key. An outcome the provider
 * did not report (time-out, lost response, 5xx) is `unknown`: the reconciler then asks the
 * provider with `lookup`, and never pays again under a new key.
 */

export const PAYOUT_METHODS = ['card', 'paypal', 'bank_transfer', 'manual'] as const;
export type PayoutMethod = (typeof PAYOUT_METHODS)[number];

export interface RefundInstruction {
  /** Our refund's id. */
  readonly refundId: string;
  /** Derived from refundId, stored before the first call, identical on every retry. */
  readonly idempotencyKey: string;
  readonly orderId: string;
  /** The provider's reference of the original charge or capture (orders.charge_ref). */
  readonly chargeRef: string;
  readonly amountMinor: number;
  /** ISO 4217, upper case. */
  readonly currency: string;
  /**
   * The provider's id of this refund, once an outcome reported one (`pending`). `lookup` then
   * reads that refund's current state directly (PayPal's replay of the same request id returns
   * the original, stale answer; Stripe lists the charge's refunds without it).
   */
  readonly providerRefundId?: string;
}

export type ProviderOutcome =
  /** The provider refunded; final. */
  | { readonly kind: 'succeeded'; readonly providerRefundId: string }
  /** Accepted; the final state comes by webhook or by `lookup`. */
  | { readonly kind: 'pending'; readonly providerRefundId: string }
  /** Refused; final. Goes back to staff with the provider's reason. */
  | { readonly kind: 'declined'; readonly code: string; readonly reason: string }
  /** Nobody knows: time-out, lost response, 5xx. Reconcile; never pay again. */
  | { readonly kind: 'unknown'; readonly reason: string };

export type LookupOutcome = ProviderOutcome | { readonly kind: 'not_found' };

export interface PayoutProvider {
  readonly method: PayoutMethod;
  refund(instruction: RefundInstruction): Promise<ProviderOutcome>;
  lookup(instruction: RefundInstruction): Promise<LookupOutcome>;
}

/**
 * A provider webhook after its signature was verified (src/payouts/providers/*-webhooks.ts).
 * `eventId` is the provider's id, the key to de-duplicate deliveries by; `refund` is null for
 * verified events that are not about a refund.
 */
export interface VerifiedProviderEvent {
  readonly provider: 'stripe' | 'paypal';
  readonly eventId: string;
  readonly eventType: string;
  /** When the provider created the event (epoch ms); orders reordered deliveries. */
  readonly occurredAtMs: number;
  readonly refund: ProviderRefundUpdate | null;
}

export interface ProviderRefundUpdate {
  readonly providerRefundId: string;
  /** Our refund's id as we sent it (Stripe metadata.refund_id, PayPal custom_id), if present. */
  readonly refundId: string | null;
  readonly amountMinor: number;
  readonly currency: string;
  /** Never `unknown`: an event always states the provider's view. */
  readonly outcome: Exclude<ProviderOutcome, { kind: 'unknown' }>;
}
