/**
 * POSTs one webhook delivery: the stored body, signed at the moment of the attempt
 * (app/webhooks/signing.ts), with a timeout, without following redirects (a 3xx is a failed
 * attempt, so a delivery never lands somewhere its admin did not register). The answer's body
 * is not read beyond what closing the connection needs.
 */
import {
  DELIVERY_HEADER,
  EVENT_HEADER,
  SIGNATURE_HEADER,
  signWebhook,
} from '../app/webhooks/signing.js';
import type { AttemptResult, LeasedDelivery } from '../app/webhooks/deliveries.js';
import type { Clock } from '../app/context.js';

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;

/** Sends a delivery; resolves with what happened (never rejects). */
export type PostWebhook = (leased: LeasedDelivery) => Promise<AttemptResult>;

/**
 * The real sender. `clock` signs (the desk's clock); durations are measured with the process's
 * monotonic clock.
 */
export function httpWebhookSender(
  clock: Clock,
  options: { readonly timeoutMs?: number; readonly userAgent?: string } = {},
): PostWebhook {
  const timeoutMs = options.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
  return async ({ delivery, url, secret }) => {
    const body = delivery.payloadJson;
    const startedAtMs = clock.nowMs();
    const started = performance.now();
    try {
      const response = await fetch(url, {
        method: 'POST',
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': options.userAgent ?? 'refund-desk-webhooks/1',
          [SIGNATURE_HEADER]: signWebhook(secret, body, clock.nowMs()),
          [DELIVERY_HEADER]: delivery.id,
          [EVENT_HEADER]: delivery.eventId,
        },
      });
      await response.body?.cancel();
      const ok = response.status >= 200 && response.status < 300;
      return {
        startedAtMs,
        durationMs: performance.now() - started,
        statusCode: response.status,
        error: ok ? null : `HTTP ${response.status}`,
      };
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
      const message =
        error instanceof Error && error.name === 'TimeoutError'
          ? `timed out after ${timeoutMs} ms`
          : cause instanceof Error
            ? cause.message
            : String(cause);
      return {
        startedAtMs,
        durationMs: performance.now() - started,
        statusCode: null,
        error: message,
      };
    }
  };
}
