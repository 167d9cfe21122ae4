/**
 * Card refunds through the official `stripe` package: a refund of the original charge
 * (`ch_…`) or payment intent (`pi_…`), sent with our idempotency key, so every retry of the
 * same refund is the same Stripe request.
 *
 * The client never retries by itself (`maxNetworkRetries: 0`; the worker retries with the same
 * key) — except that stripe-node re-sends once, with the same key, when a kept-alive socket
 * was reset (ECONNRESET/EPIPE), which the key makes harmless. What Stripe did not tell us
 * (time-out, lost response, 5xx, 429) is `unknown`; the reconciler then calls `lookup`, which
 * finds the refund by `metadata.refund_id` and never pays.
 */
import { Agent } from 'node:http';
import Stripe from 'stripe';
import type {
  LookupOutcome,
  PayoutProvider,
  ProviderOutcome,
  RefundInstruction,
} from '../../app/payouts/provider.js';

export interface StripeCardProviderConfig {
  /** The secret key (`sk_…`). */
  readonly apiKey: string;
  /** Per-request time-out; past it the outcome is `unknown`. */
  readonly timeoutMs: number;
  /** API host, e.g. 127.0.0.1 for the local double; default api.stripe.com. */
  readonly host?: string;
  readonly port?: number;
  readonly protocol?: 'http' | 'https';
  /** Pages of 100 refunds `lookup` reads per charge before giving up (default 10). */
  readonly maxLookupPages?: number;
}

const DEFAULT_MAX_LOOKUP_PAGES = 10;
const LOOKUP_PAGE_SIZE = 100;

/** What a charge reference names: `ch_…` a charge, `pi_…` a payment intent. */
export function stripeChargeTarget(
  chargeRef: string,
): { readonly charge: string } | { readonly payment_intent: string } | null {
  if (/^ch_[A-Za-z0-9_]{1,200}$/.test(chargeRef)) return { charge: chargeRef };
  if (/^pi_[A-Za-z0-9_]{1,200}$/.test(chargeRef)) return { payment_intent: chargeRef };
  return null;
}

export class StripeCardProvider implements PayoutProvider {
  readonly method = 'card' as const;
  private readonly stripe: Stripe;
  private readonly agent: Agent;
  private readonly maxLookupPages: number;

  constructor(config: StripeCardProviderConfig) {
    if (!Number.isSafeInteger(config.timeoutMs) || config.timeoutMs <= 0) {
      throw new Error('timeoutMs must be a positive integer');
    }
    // Our own agent, so close() can drop kept-alive sockets.
    this.agent = new Agent({ keepAlive: true });
    this.stripe = new Stripe(config.apiKey, {
      maxNetworkRetries: 0,
      timeout: config.timeoutMs,
      telemetry: false,
      httpAgent: this.agent,
      ...(config.host !== undefined ? { host: config.host } : {}),
      ...(config.port !== undefined ? { port: config.port } : {}),
      ...(config.protocol !== undefined ? { protocol: config.protocol } : {}),
    });
    this.maxLookupPages = config.maxLookupPages ?? DEFAULT_MAX_LOOKUP_PAGES;
  }

  async refund(instruction: RefundInstruction): Promise<ProviderOutcome> {
    const target = stripeChargeTarget(instruction.chargeRef);
    if (target === null) {
      return {
        kind: 'declined',
        code: 'unsupported_charge_ref',
        reason: `the charge reference ${instruction.chargeRef} is neither a charge (ch_) nor a payment intent (pi_)`,
      };
    }
    try {
      const refund = await this.stripe.refunds.create(
        {
          ...target,
          amount: instruction.amountMinor,
          metadata: { refund_id: instruction.refundId, order_id: instruction.orderId },
        },
        { idempotencyKey: instruction.idempotencyKey },
      );
      return refundOutcome(refund);
    } catch (error) {
      return errorOutcome(error);
    }
  }

  async lookup(instruction: RefundInstruction): Promise<LookupOutcome> {
    try {
      if (instruction.providerRefundId !== undefined) {
        return refundOutcome(await this.stripe.refunds.retrieve(instruction.providerRefundId));
      }
      const target = stripeChargeTarget(instruction.chargeRef);
      if (target === null) return { kind: 'not_found' };
      let startingAfter: string | undefined;
      for (let page = 0; page < this.maxLookupPages; page += 1) {
        const list = await this.stripe.refunds.list({
          ...target,
          limit: LOOKUP_PAGE_SIZE,
          ...(startingAfter !== undefined ? { starting_after: startingAfter } : {}),
        });
        const found = list.data.find((r) => r.metadata?.['refund_id'] === instruction.refundId);
        if (found !== undefined) return refundOutcome(found);
        const last = list.data[list.data.length - 1];
        if (!list.has_more || last === undefined) return { kind: 'not_found' };
        startingAfter = last.id;
      }
      return {
        kind: 'unknown',
        reason: `more than ${String(this.maxLookupPages * LOOKUP_PAGE_SIZE)} refunds on ${instruction.chargeRef}; not searched further`,
      };
    } catch (error) {
      if (
        error instanceof Stripe.errors.StripeInvalidRequestError &&
        error.code === 'resource_missing'
      ) {
        // The refund (or the charge it would be on) does not exist.
        return { kind: 'not_found' };
      }
      const outcome = errorOutcome(error);
      // A read that was refused tells nothing about the refund.
      return outcome.kind === 'declined'
        ? { kind: 'unknown', reason: `lookup refused: ${outcome.code}: ${outcome.reason}` }
        : outcome;
    }
  }

  /** Drops kept-alive connections (for shutdown and tests). */
  close(): void {
    this.agent.destroy();
  }
}

function refundOutcome(refund: Stripe.Refund): ProviderOutcome {
  switch (refund.status) {
    case 'succeeded':
      return { kind: 'succeeded', providerRefundId: refund.id };
    case 'pending':
    case 'requires_action':
      return { kind: 'pending', providerRefundId: refund.id };
    case 'failed':
      return {
        kind: 'declined',
        code: refund.failure_reason ?? 'failed',
        reason: `Stripe refund ${refund.id} failed${refund.failure_reason ? `: ${refund.failure_reason}` : ''}`,
      };
    case 'canceled':
      return {
        kind: 'declined',
        code: 'canceled',
        reason: `Stripe refund ${refund.id} was canceled`,
      };
    default:
      return {
        kind: 'pending',
        providerRefundId: refund.id,
      };
  }
}

/**
 * Stripe's errors as outcomes. Only an answer that says the refund was refused is `declined`;
 * whatever leaves it open — no answer, 5xx, 409 lock, 429, a rejected key, or an idempotency
 * conflict (an earlier request with this key may have paid) — is `unknown`.
 */
function errorOutcome(error: unknown): ProviderOutcome {
  if (!(error instanceof Stripe.errors.StripeError)) throw error;
  const status = error.statusCode;
  const detail = `${error.rawType ?? error.type}${error.code ? ` ${error.code}` : ''}: ${error.message}`;
  if (
    error instanceof Stripe.errors.StripeConnectionError ||
    error instanceof Stripe.errors.StripeAPIError ||
    error instanceof Stripe.errors.StripeRateLimitError ||
    error instanceof Stripe.errors.StripeAuthenticationError ||
    error instanceof Stripe.errors.StripeIdempotencyError ||
    status === undefined ||
    status >= 500 ||
    status === 409
  ) {
    return { kind: 'unknown', reason: detail };
  }
  if (error instanceof Stripe.errors.StripeCardError) {
    return {
      kind: 'declined',
      code: error.decline_code ?? error.code ?? 'card_declined',
      reason: error.message,
    };
  }
  if (
    error instanceof Stripe.errors.StripeInvalidRequestError ||
    error instanceof Stripe.errors.StripePermissionError
  ) {
    return { kind: 'declined', code: error.code ?? error.type, reason: error.message };
  }
  return { kind: 'unknown', reason: detail };
}
