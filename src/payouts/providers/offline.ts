/**
 * Payouts nobody's API makes: bank transfers (finance pays them from a batch file) and manual
 * refunds (crypto payments where the law requires a refund; staff send them). `refund` only
 * records the instruction as pending — it cannot fail and cannot pay twice; the payout is
 * settled when staff mark it paid with the bank's or the chain's reference.
 */
import type {
  LookupOutcome,
  PayoutProvider,
  ProviderOutcome,
  RefundInstruction,
} from '../../app/payouts/provider.js';
import type { FieldError, Result } from '../../engine/types.js';
import { decimalAmount } from './amounts.js';

export type OfflineMethod = 'bank_transfer' | 'manual';

/**
 * Where an offline adapter learns that staff marked a payout paid (the composition root reads
 * it from the payouts table). Without it `lookup` answers `pending` until the ledger settles
 * the payout itself.
 */
export interface OfflinePaymentRecords {
  /** The reference recorded when the refund was marked paid, or null while it is not. */
  paidReference(refundId: string): Promise<string | null>;
}

/** The stable provider id of an offline payout: `bank_transfer:<refundId>`. */
export function offlinePayoutId(method: OfflineMethod, refundId: string): string {
  return `${method}:${refundId}`;
}

export class OfflinePayoutProvider implements PayoutProvider {
  constructor(
    readonly method: OfflineMethod,
    private readonly records?: OfflinePaymentRecords,
  ) {}

  async refund(instruction: RefundInstruction): Promise<ProviderOutcome> {
    if (!Number.isSafeInteger(instruction.amountMinor) || instruction.amountMinor <= 0) {
      throw new Error(`refund ${instruction.refundId}: amountMinor must be a positive integer`);
    }
    return {
      kind: 'pending',
      providerRefundId: offlinePayoutId(this.method, instruction.refundId),
    };
  }

  async lookup(instruction: RefundInstruction): Promise<LookupOutcome> {
    const providerRefundId = offlinePayoutId(this.method, instruction.refundId);
    const reference = (await this.records?.paidReference(instruction.refundId)) ?? null;
    return reference === null
      ? { kind: 'pending', providerRefundId }
      : { kind: 'succeeded', providerRefundId };
  }
}

/** What staff send to mark an offline payout paid (see the report for the use case). */
export interface MarkPaidInput {
  /** The bank's transfer reference, or the transaction hash of a crypto refund. */
  readonly reference: string;
  /** When the money left (epoch ms), if staff said; never after now. */
  readonly paidAtMs: number | null;
  readonly note: string | null;
}

export const MAX_REFERENCE_CHARS = 140;
export const MAX_NOTE_CHARS = 2000;
/** Printable ASCII without spaces at either end: what bank and chain references are made of. */
const REFERENCE = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

/** Checks a mark-paid request body `{ reference, paidAt? (RFC 3339), note? }`. */
export function parseMarkPaid(body: unknown, nowMs: number): Result<MarkPaidInput, FieldError[]> {
  const errors: FieldError[] = [];
  const input = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const { reference, paidAt, note } = input;
  if (
    typeof reference !== 'string' ||
    reference.length > MAX_REFERENCE_CHARS ||
    !REFERENCE.test(reference)
  ) {
    errors.push({
      pointer: '/reference',
      message: `must be 1-${String(MAX_REFERENCE_CHARS)} printable ASCII characters, no spaces at either end`,
    });
  }
  let paidAtMs: number | null = null;
  if (paidAt !== undefined && paidAt !== null) {
    paidAtMs = typeof paidAt === 'string' && RFC3339.test(paidAt) ? Date.parse(paidAt) : Number.NaN;
    if (Number.isNaN(paidAtMs)) {
      errors.push({ pointer: '/paidAt', message: 'must be an RFC 3339 date-time' });
    } else if (paidAtMs > nowMs) {
      errors.push({ pointer: '/paidAt', message: 'must not be in the future' });
    }
  }
  if (
    note !== undefined &&
    note !== null &&
    (typeof note !== 'string' || note.length > MAX_NOTE_CHARS)
  ) {
    errors.push({
      pointer: '/note',
      message: `must be a string of at most ${String(MAX_NOTE_CHARS)} characters`,
    });
  }
  if (errors.length > 0) return { ok: false, error: errors };
  return {
    ok: true,
    value: {
      reference: reference as string,
      paidAtMs,
      note: typeof note === 'string' && note !== '' ? note : null,
    },
  };
}

// ── Payout batch files ──────────────────────────────────────────────────────────────────

export interface PayoutBatchLine {
  readonly refundId: string;
  readonly orderId: string;
  /** The customer who paid: with the order, how finance finds the account to pay back. */
  readonly customerId: string;
  /** The original payment's reference (incoming transfer, or chain transaction). */
  readonly chargeRef: string;
  readonly amountMinor: number;
  readonly currency: string;
}

export interface PayoutBatch {
  readonly batchId: string;
  readonly method: OfflineMethod;
  readonly lines: readonly PayoutBatchLine[];
}

export const MAX_BATCH_LINES = 5_000;
export const PAYOUT_BATCH_COLUMNS = [
  'batch_id',
  'line',
  'method',
  'refund_id',
  'order_id',
  'customer_id',
  'original_payment_ref',
  'currency',
  'amount',
  'amount_minor',
  'payment_reference',
] as const;

/** Totals per currency, in minor units. */
export type BatchTotals = Readonly<Record<string, number>>;

/**
 * The batch as CSV (RFC 4180: CRLF, quoted where needed, a header row). Deterministic: lines
 * are ordered by currency, then refund id, whatever order they came in. Amounts are written
 * from minor units by the currency's exponent; `payment_reference` is the text the transfer
 * must carry, so the payout can be matched and marked paid. The desk holds no bank details
 * (no IBAN, no account): finance pays each line to the account they hold for the order's
 * customer in their own system, matched by `order_id` and `customer_id`.
 */
export function renderPayoutBatchCsv(batch: PayoutBatch): { csv: string; totals: BatchTotals } {
  if (batch.lines.length === 0) throw new Error('a payout batch has at least one line');
  if (batch.lines.length > MAX_BATCH_LINES) {
    throw new Error(`a payout batch has at most ${String(MAX_BATCH_LINES)} lines`);
  }
  const seen = new Set<string>();
  const totals: Record<string, number> = {};
  for (const line of batch.lines) {
    if (seen.has(line.refundId)) throw new Error(`refund ${line.refundId} is twice in the batch`);
    seen.add(line.refundId);
    if (!Number.isSafeInteger(line.amountMinor) || line.amountMinor <= 0) {
      throw new Error(`refund ${line.refundId}: amountMinor must be a positive integer`);
    }
    if (!/^[A-Z]{3}$/.test(line.currency)) {
      throw new Error(`refund ${line.refundId}: currency must be ISO 4217`);
    }
    const total = (totals[line.currency] ?? 0) + line.amountMinor;
    if (!Number.isSafeInteger(total)) throw new Error(`the ${line.currency} total is too large`);
    totals[line.currency] = total;
  }
  const ordered = [...batch.lines].sort(
    (a, b) => compare(a.currency, b.currency) || compare(a.refundId, b.refundId),
  );
  const rows = [PAYOUT_BATCH_COLUMNS.join(',')];
  ordered.forEach((line, index) => {
    rows.push(
      [
        batch.batchId,
        String(index + 1),
        batch.method,
        line.refundId,
        line.orderId,
        line.customerId,
        line.chargeRef,
        line.currency,
        decimalAmount(line.amountMinor, line.currency),
        String(line.amountMinor),
        line.refundId,
      ]
        .map(csvCell)
        .join(','),
    );
  });
  return { csv: `${rows.join('\r\n')}\r\n`, totals };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * One CSV cell: quoted when it holds a comma, quote or line break; a leading `= + - @` or tab
 * is prefixed with `'` so a spreadsheet never runs it as a formula.
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
