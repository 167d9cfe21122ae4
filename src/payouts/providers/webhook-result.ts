/** Why a provider webhook was refused; the HTTP face answers 400, or 503 for `unavailable`. */
import type { Result } from '../../engine/types.js';
import type { VerifiedProviderEvent } from '../../app/payouts/provider.js';

export type WebhookRejection =
  /** A signature header is absent or unreadable. */
  | { readonly kind: 'missing_signature'; readonly message: string }
  /** The signature does not match the payload: forged or altered. */
  | { readonly kind: 'forged'; readonly message: string }
  /** Signed too long ago (a replay) or too far in the future. */
  | { readonly kind: 'stale'; readonly message: string }
  /** Signed, but not an event we can read. */
  | { readonly kind: 'malformed'; readonly message: string }
  /** The provider's verification service did not answer; the provider will redeliver. */
  | { readonly kind: 'unavailable'; readonly message: string };

export type WebhookVerification = Result<VerifiedProviderEvent, WebhookRejection>;

/** Webhook bodies larger than this are refused before any verification. */
export const MAX_WEBHOOK_BODY_BYTES = 256 * 1024;

export function rejected(kind: WebhookRejection['kind'], message: string): WebhookVerification {
  return { ok: false, error: { kind, message } };
}
