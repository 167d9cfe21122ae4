/**
 * Reading a case: schema validation, then the contract's section 2 rules the schema cannot
 * say (real calendar instants, instants in order, safe integers), then defaults and parsing.
 * Expected bad input is a value (`FieldError[]`), never an exception.
 */
import { parseInstantMs } from '../domain/time.js';
import { readValidCase } from './read-valid-case.js';
import { validateCaseAll, validateCaseFirst } from './validators.js';
import { toFieldErrors } from './json-schema.js';
import type { CaseFacts, CaseInput, FieldError, Result } from './types.js';

export type ErrorMode = 'first' | 'all';

const INSTANT_MESSAGE = 'is not a real instant (calendar date, time or offset out of range)';
const UNSAFE_INTEGER_MESSAGE = `must be at most ${Number.MAX_SAFE_INTEGER}`;

class Collector {
  readonly errors: FieldError[] = [];
  constructor(private readonly mode: ErrorMode) {}

  get full(): boolean {
    return this.mode === 'first' && this.errors.length > 0;
  }

  add(pointer: string, message: string): void {
    if (!this.full) this.errors.push({ pointer, message });
  }

  instant(value: string, pointer: string): number {
    const ms = parseInstantMs(value);
    if (ms === undefined) {
      this.add(pointer, INSTANT_MESSAGE);
      return Number.NaN; // every comparison with NaN is false: no follow-on ordering errors
    }
    return ms;
  }

  nullableInstant(value: string | null | undefined, pointer: string): number | null {
    return value === null || value === undefined ? null : this.instant(value, pointer);
  }

  safeInteger(value: number, pointer: string): number {
    if (!Number.isSafeInteger(value)) this.add(pointer, UNSAFE_INTEGER_MESSAGE);
    return value;
  }
}

/** Validates `input` against case.schema.json and section 2 of the contract. */
export function readCase(
  input: unknown,
  mode: ErrorMode = 'first',
): Result<CaseFacts, FieldError[]> {
  const facts = readValidCase(input);
  if (facts !== undefined) return { ok: true, value: facts };
  return readCaseFully(input, mode);
}

/**
 * The full path: Ajv's validators, then section 2, naming every problem (or the first). The
 * authority on what is valid; `readValidCase` is only a faster way to the same facts.
 */
export function readCaseFully(
  input: unknown,
  mode: ErrorMode = 'first',
): Result<CaseFacts, FieldError[]> {
  const validate = mode === 'first' ? validateCaseFirst : validateCaseAll;
  if (!validate(input)) {
    return { ok: false, error: toFieldErrors(validate.errors ?? []) };
  }
  const raw = input as CaseInput;
  const c = new Collector(mode);

  const evaluatedAtMs = c.instant(raw.evaluatedAt, '/evaluatedAt');
  const o = raw.order;
  const purchasedAtMs = c.instant(o.purchasedAt, '/order/purchasedAt');
  const submittedAtMs = c.instant(raw.request.submittedAt, '/request/submittedAt');
  const amountCents = c.safeInteger(o.amountCents, '/order/amountCents');
  const refundedCents = c.safeInteger(o.refundedCents ?? 0, '/order/refundedCents');
  const promoCreditsCents = c.safeInteger(o.promoCreditsCents ?? 0, '/order/promoCreditsCents');
  const trafficBytes = c.safeInteger(raw.usage.trafficBytes, '/usage/trafficBytes');
  const requests = c.safeInteger(raw.usage.requests, '/usage/requests');

  const priorOrders = (raw.priorOrders ?? []).map((p, i) => {
    const at = `/priorOrders/${i}`;
    const priorPurchasedAtMs = c.instant(p.purchasedAt, `${at}/purchasedAt`);
    const refundedAtMs = c.nullableInstant(p.refundedAt, `${at}/refundedAt`);
    if (refundedAtMs !== null && refundedAtMs < priorPurchasedAtMs) {
      c.add(`${at}/refundedAt`, 'must not be earlier than purchasedAt');
    }
    return {
      id: p.id,
      planId: p.planId,
      purchasedAtMs: priorPurchasedAtMs,
      refundedAtMs,
      refundKind: p.refundKind ?? 'requested',
    };
  });

  const reports = (raw.reports ?? []).map((r, i) => {
    const at = `/reports/${i}`;
    const reportedAtMs = c.instant(r.reportedAt, `${at}/reportedAt`);
    const remediatedAtMs = c.nullableInstant(r.remediatedAt, `${at}/remediatedAt`);
    if (remediatedAtMs !== null && remediatedAtMs < reportedAtMs) {
      c.add(`${at}/remediatedAt`, 'must not be earlier than reportedAt');
    }
    return { reportedAtMs, cause: r.cause, remediatedAtMs };
  });

  const incidents = (raw.incidents ?? []).map((n, i) => {
    const at = `/incidents/${i}`;
    const confirmedAtMs = c.nullableInstant(n.confirmedAt, `${at}/confirmedAt`);
    const startsAtMs = c.instant(n.startsAt, `${at}/startsAt`);
    const endsAtMs = c.nullableInstant(n.endsAt, `${at}/endsAt`);
    if (endsAtMs !== null && endsAtMs <= startsAtMs) {
      c.add(`${at}/endsAt`, 'must be later than startsAt');
    }
    return {
      id: n.id,
      confirmedAtMs,
      startsAtMs,
      endsAtMs,
      products: n.products,
      widelyImpacting: n.widelyImpacting,
    };
  });

  if (submittedAtMs < purchasedAtMs) {
    c.add('/request/submittedAt', 'must not be earlier than order.purchasedAt');
  }
  if (evaluatedAtMs < submittedAtMs) {
    c.add('/evaluatedAt', 'must not be earlier than request.submittedAt');
  }
  if (refundedCents > amountCents) {
    c.add('/order/refundedCents', `must not exceed order.amountCents (${amountCents})`);
  }
  if (c.errors.length > 0) return { ok: false, error: c.errors };

  return {
    ok: true,
    value: {
      evaluatedAtMs,
      order: {
        id: o.id,
        customerId: o.customerId,
        planId: o.planId,
        product: o.product,
        channel: o.channel,
        paymentMethod: o.paymentMethod,
        amountCents,
        currency: o.currency,
        promoCreditsCents,
        purchasedAtMs,
        servicePeriodDays: o.servicePeriodDays,
        refundedCents,
        compensatedIncidentIds: o.compensatedIncidentIds ?? [],
      },
      priorOrders,
      usage: { trafficBytes, requests },
      reports,
      incidents,
      chargebacks: raw.chargebacks ?? [],
      account: {
        tosBreach: raw.account?.tosBreach ?? false,
        stressTesting: raw.account?.stressTesting ?? false,
      },
      request: { submittedAtMs, legallyRequired: raw.request.legallyRequired ?? false },
    },
  };
}
