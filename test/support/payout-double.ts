/**
 * An in-process payment provider (a double of something we do not own) implementing the
 * PayoutProvider port, with seeded faults:
 *
 * - `drop`: the refund is made, the answer is lost (`unknown`);
 * - `timeout`: the request never arrives (`unknown`, nothing made);
 * - `decline`: the provider refuses (`declined`), decided once per idempotency key;
 * - `pending`: the refund is accepted as pending; `settle()` finishes it;
 * - `lookupDown`: `lookup` answers `unknown`.
 *
 * Like a real provider it de-duplicates by idempotency key: the same key returns the refund
 * already made. Every refund it actually made is kept (`made`), so exactly-once can be
 * asserted per our refund id — a retry under a fresh key would show as two.
 */
import type {
  LookupOutcome,
  PayoutMethod,
  PayoutProvider,
  ProviderOutcome,
  RefundInstruction,
} from '../../src/app/payouts/provider.js';
import { mulberry32 } from '../../src/payouts/doubles/common.js';

export interface DoubleFaultRates {
  readonly drop?: number;
  readonly timeout?: number;
  readonly decline?: number;
  readonly pending?: number;
  readonly lookupDown?: number;
}

export interface MadeRefund {
  readonly providerRefundId: string;
  readonly refundId: string;
  readonly idempotencyKey: string;
  readonly chargeRef: string;
  readonly amountMinor: number;
  readonly currency: string;
  status: 'pending' | 'succeeded' | 'failed';
}

type Fault = 'drop' | 'timeout' | 'decline' | 'pending';

export class PayoutDouble implements PayoutProvider {
  readonly made: MadeRefund[] = [];
  readonly calls: { kind: 'refund' | 'lookup'; idempotencyKey: string }[] = [];
  private readonly byKey = new Map<string, MadeRefund>();
  private readonly declinedKeys = new Map<string, string>();
  private readonly random: () => number;
  private readonly queued: Fault[] = [];
  private sequence = 0;
  /** Whether the provider is reachable at all (false: every call is `unknown`). */
  up = true;

  constructor(
    readonly method: PayoutMethod = 'card',
    private rates: DoubleFaultRates = {},
    seed = 1,
  ) {
    this.random = mulberry32(seed);
  }

  /** No more faults from now on (the refunds made and declines stay). */
  calm(): void {
    this.rates = {};
    this.queued.length = 0;
    this.up = true;
  }

  /** Faults for the next refund calls, in order, before any drawn at random. */
  queue(...faults: Fault[]): void {
    this.queued.push(...faults);
  }

  private draw(): Fault | null {
    const queued = this.queued.shift();
    if (queued !== undefined) return queued;
    const roll = this.random();
    let edge = 0;
    for (const fault of ['drop', 'timeout', 'decline', 'pending'] as const) {
      edge += this.rates[fault] ?? 0;
      if (roll < edge) return fault;
    }
    return null;
  }

  refund(instruction: RefundInstruction): Promise<ProviderOutcome> {
    this.calls.push({ kind: 'refund', idempotencyKey: instruction.idempotencyKey });
    if (!this.up) return Promise.resolve({ kind: 'unknown', reason: 'connection refused' });
    const existing = this.byKey.get(instruction.idempotencyKey);
    const declined = this.declinedKeys.get(instruction.idempotencyKey);
    if (declined !== undefined) {
      return Promise.resolve({ kind: 'declined', code: 'card_declined', reason: declined });
    }
    const fault = existing === undefined ? this.draw() : this.draw() === 'drop' ? 'drop' : null;
    if (fault === 'timeout') return Promise.resolve({ kind: 'unknown', reason: 'timed out' });
    if (existing !== undefined) {
      if (fault === 'drop') return Promise.resolve({ kind: 'unknown', reason: 'response lost' });
      return Promise.resolve(this.answer(existing));
    }
    if (fault === 'decline') {
      const reason = 'The card issuer refused the refund.';
      this.declinedKeys.set(instruction.idempotencyKey, reason);
      return Promise.resolve({ kind: 'declined', code: 'card_declined', reason });
    }
    this.sequence += 1;
    const made: MadeRefund = {
      providerRefundId: `re_${String(this.sequence).padStart(6, '0')}`,
      refundId: instruction.refundId,
      idempotencyKey: instruction.idempotencyKey,
      chargeRef: instruction.chargeRef,
      amountMinor: instruction.amountMinor,
      currency: instruction.currency,
      status: fault === 'pending' ? 'pending' : 'succeeded',
    };
    this.made.push(made);
    this.byKey.set(instruction.idempotencyKey, made);
    if (fault === 'drop') return Promise.resolve({ kind: 'unknown', reason: 'response lost' });
    return Promise.resolve(this.answer(made));
  }

  lookup(instruction: RefundInstruction): Promise<LookupOutcome> {
    this.calls.push({ kind: 'lookup', idempotencyKey: instruction.idempotencyKey });
    if (!this.up || this.random() < (this.rates.lookupDown ?? 0)) {
      return Promise.resolve({ kind: 'unknown', reason: 'lookup unavailable' });
    }
    const declined = this.declinedKeys.get(instruction.idempotencyKey);
    if (declined !== undefined) {
      return Promise.resolve({ kind: 'declined', code: 'card_declined', reason: declined });
    }
    const made = this.byKey.get(instruction.idempotencyKey);
    return Promise.resolve(made === undefined ? { kind: 'not_found' } : this.answer(made));
  }

  /** Finishes a pending refund (what a provider does later, then tells by webhook). */
  settle(providerRefundId: string, status: 'succeeded' | 'failed'): MadeRefund {
    const made = this.made.find((m) => m.providerRefundId === providerRefundId);
    if (made === undefined) throw new Error(`no refund ${providerRefundId}`);
    made.status = status;
    return made;
  }

  private answer(made: MadeRefund): ProviderOutcome {
    switch (made.status) {
      case 'succeeded':
        return { kind: 'succeeded', providerRefundId: made.providerRefundId };
      case 'pending':
        return { kind: 'pending', providerRefundId: made.providerRefundId };
      case 'failed':
        return { kind: 'declined', code: 'refund_failed', reason: 'The refund failed.' };
    }
  }

  /** Money the provider actually returned (pending and succeeded refunds), per our refund id. */
  refundsByRefundId(): Map<string, MadeRefund[]> {
    const map = new Map<string, MadeRefund[]>();
    for (const made of this.made) {
      if (made.status === 'failed') continue;
      map.set(made.refundId, [...(map.get(made.refundId) ?? []), made]);
    }
    return map;
  }
}
