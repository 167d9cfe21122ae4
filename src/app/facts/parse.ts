/**
 * Reading one billing fact: schema validation (schemas.ts), then what a schema cannot say
 * (real calendar instants, the order of two instants, card numbers), then the fact in its
 * stored form (instants as epoch milliseconds). Bad input is a value: one error per field.
 */
import type { ErrorObject } from 'ajv/dist/2020.js';
import {
  parseInstantMs,
  type Channel,
  type ChargebackStatus,
  type FieldError,
  type PaymentMethod,
  type Product,
  type RefundKind,
  type ReportCause,
  type Result,
} from '../../engine/index.js';
import { toFieldErrors } from '../../engine/json-schema.js';
import { CARD_NUMBER_MESSAGE, looksLikeCardNumber } from './card.js';
import { factValidator, type FactKind, type KycStatus } from './schemas.js';

export interface CustomerFact {
  readonly type: 'customer';
  readonly id: string;
  readonly email: string;
  readonly name: string;
  /** Undefined: keep the stored status (not_required for a new customer). */
  readonly kycStatus: KycStatus | undefined;
}

export interface PlanFact {
  readonly type: 'plan';
  readonly id: string;
  readonly product: Product;
  readonly name: string;
  readonly servicePeriodDays: number;
}

export interface OrderFact {
  readonly type: 'order';
  readonly id: string;
  readonly customerId: string;
  readonly planId: string;
  /** Undefined: the plan's product. */
  readonly product: Product | undefined;
  readonly channel: Channel;
  readonly paymentMethod: PaymentMethod;
  readonly provider: string;
  readonly chargeRef: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly promoCreditsMinor: number;
  readonly purchasedAtMs: number;
  readonly servicePeriodDays: number;
  readonly email: string;
}

export interface UsageFact {
  readonly type: 'usage';
  readonly orderId: string;
  readonly asOfMs: number;
  readonly trafficBytes: number;
  readonly requests: number;
}

export interface ReportFact {
  readonly type: 'report';
  readonly id: string;
  readonly orderId: string;
  readonly reportedAtMs: number;
  readonly cause: ReportCause;
  readonly remediatedAtMs: number | null;
  readonly description: string;
}

export interface IncidentFact {
  readonly type: 'incident';
  readonly id: string;
  readonly title: string;
  readonly products: ReadonlyArray<Product | 'all'>;
  readonly widelyImpacting: boolean;
  readonly startsAtMs: number;
  readonly endsAtMs: number | null;
  readonly confirmedAtMs: number | null;
}

export interface ChargebackFact {
  readonly type: 'chargeback';
  readonly id: string;
  readonly orderId: string;
  readonly status: ChargebackStatus;
  readonly openedAtMs: number;
}

export interface RefundFact {
  readonly type: 'refund';
  readonly id: string;
  readonly orderId: string;
  readonly amountMinor: number;
  readonly kind: RefundKind;
  readonly refundedAtMs: number;
  readonly incidentId: string | null;
}

/** Account flags of a customer; undefined: unchanged. */
export interface FlagsFact {
  readonly type: 'flags';
  readonly customerId: string;
  readonly tosBreach: boolean | undefined;
  readonly stressTesting: boolean | undefined;
  readonly kycStatus: KycStatus | undefined;
}

export type Fact =
  | CustomerFact
  | PlanFact
  | OrderFact
  | UsageFact
  | ReportFact
  | IncidentFact
  | ChargebackFact
  | RefundFact
  | FlagsFact;

export type FactOf<K extends FactKind> = Extract<Fact, { type: K }>;

const REAL_INSTANT_MESSAGE = 'is not a real instant (calendar date, time or offset out of range)';

/** Messages for patterns a person should not have to read as a regular expression. */
const PATTERN_MESSAGES: ReadonlyArray<readonly [RegExp, string]> = [
  [/\/\$defs\/id\//, 'must be 1-128 letters, digits or ._:- starting with a letter or digit'],
  [/\/\$defs\/email\//, 'must be an email address (name@example.com)'],
  [/\/properties\/currency\//, 'must be an ISO 4217 code in capitals (USD)'],
  [/\/properties\/provider\//, 'must be lower-case letters, digits and _.- (stripe)'],
  [
    /\/properties\/chargeRef\//,
    "must be the provider's reference: letters, digits and _.:/#- starting with a letter or digit",
  ],
];

/** Ajv's errors, one per field, with readable messages for this module's own keywords. */
function schemaErrors(errors: readonly ErrorObject[]): FieldError[] {
  return toFieldErrors(
    errors.map((e) => {
      if (e.keyword === 'minProperties' && e.instancePath === '') {
        return {
          ...e,
          keyword: 'readable',
          message: 'must set at least one of tosBreach, stressTesting, kycStatus',
        };
      }
      if (e.keyword === 'pattern') {
        const readable = PATTERN_MESSAGES.find(([path]) => path.test(e.schemaPath));
        if (readable !== undefined) return { ...e, keyword: 'readable', message: readable[1] };
      }
      return e;
    }),
  );
}

/** Collects the checks after the schema; instants that fail read as NaN (no follow-on errors). */
class Checks {
  readonly errors: FieldError[] = [];

  add(pointer: string, message: string): void {
    if (!this.errors.some((e) => e.pointer === pointer)) this.errors.push({ pointer, message });
  }

  instant(value: string, pointer: string): number {
    const ms = parseInstantMs(value);
    if (ms === undefined) {
      this.add(pointer, REAL_INSTANT_MESSAGE);
      return Number.NaN;
    }
    return ms;
  }

  nullableInstant(value: string | null | undefined, pointer: string): number | null {
    return value === null || value === undefined ? null : this.instant(value, pointer);
  }
}

type Raw = Record<string, unknown>;

/** The card-number check runs even when the schema failed, so that its message wins. */
function cardErrors(kind: FactKind, input: unknown): FieldError[] {
  if (kind !== 'order' || input === null || typeof input !== 'object') return [];
  const chargeRef = (input as Raw)['chargeRef'];
  return typeof chargeRef === 'string' && looksLikeCardNumber(chargeRef)
    ? [{ pointer: '/chargeRef', message: CARD_NUMBER_MESSAGE }]
    : [];
}

function build(kind: FactKind, r: Raw, c: Checks): Fact {
  const s = (key: string) => r[key] as string;
  const n = (key: string) => r[key] as number;
  const opt = <T>(key: string) => r[key] as T | undefined;
  switch (kind) {
    case 'customer':
      return {
        type: kind,
        id: s('id'),
        email: s('email'),
        name: s('name'),
        kycStatus: opt<KycStatus>('kycStatus'),
      };
    case 'plan':
      return {
        type: kind,
        id: s('id'),
        product: s('product') as Product,
        name: s('name'),
        servicePeriodDays: n('servicePeriodDays'),
      };
    case 'order':
      return {
        type: kind,
        id: s('id'),
        customerId: s('customerId'),
        planId: s('planId'),
        product: opt<Product>('product'),
        channel: s('channel') as Channel,
        paymentMethod: s('paymentMethod') as PaymentMethod,
        provider: s('provider'),
        chargeRef: s('chargeRef'),
        amountMinor: n('amountMinor'),
        currency: s('currency'),
        promoCreditsMinor: opt<number>('promoCreditsMinor') ?? 0,
        purchasedAtMs: c.instant(s('purchasedAt'), '/purchasedAt'),
        servicePeriodDays: n('servicePeriodDays'),
        email: s('email'),
      };
    case 'usage':
      return {
        type: kind,
        orderId: s('orderId'),
        asOfMs: c.instant(s('asOf'), '/asOf'),
        trafficBytes: n('trafficBytes'),
        requests: n('requests'),
      };
    case 'report': {
      const reportedAtMs = c.instant(s('reportedAt'), '/reportedAt');
      const remediatedAtMs = c.nullableInstant(opt<string | null>('remediatedAt'), '/remediatedAt');
      if (remediatedAtMs !== null && remediatedAtMs < reportedAtMs) {
        c.add('/remediatedAt', 'must not be earlier than reportedAt');
      }
      return {
        type: kind,
        id: s('id'),
        orderId: s('orderId'),
        reportedAtMs,
        cause: s('cause') as ReportCause,
        remediatedAtMs,
        description: opt<string>('description') ?? '',
      };
    }
    case 'incident': {
      const startsAtMs = c.instant(s('startsAt'), '/startsAt');
      const endsAtMs = c.nullableInstant(opt<string | null>('endsAt'), '/endsAt');
      if (endsAtMs !== null && !(endsAtMs > startsAtMs) && !Number.isNaN(startsAtMs)) {
        c.add('/endsAt', 'must be later than startsAt');
      }
      return {
        type: kind,
        id: s('id'),
        title: s('title'),
        products: r['products'] as Array<Product | 'all'>,
        widelyImpacting: r['widelyImpacting'] as boolean,
        startsAtMs,
        endsAtMs,
        confirmedAtMs: c.nullableInstant(opt<string | null>('confirmedAt'), '/confirmedAt'),
      };
    }
    case 'chargeback':
      return {
        type: kind,
        id: s('id'),
        orderId: s('orderId'),
        status: s('status') as ChargebackStatus,
        openedAtMs: c.instant(s('openedAt'), '/openedAt'),
      };
    case 'refund':
      return {
        type: kind,
        id: s('id'),
        orderId: s('orderId'),
        amountMinor: n('amountMinor'),
        kind: s('kind') as RefundKind,
        refundedAtMs: c.instant(s('refundedAt'), '/refundedAt'),
        incidentId: opt<string | null>('incidentId') ?? null,
      };
    case 'flags':
      return {
        type: kind,
        customerId: s('customerId'),
        tosBreach: opt<boolean>('tosBreach'),
        stressTesting: opt<boolean>('stressTesting'),
        kycStatus: opt<KycStatus>('kycStatus'),
      };
  }
}

/**
 * Validates `input` as a fact of `kind`. Errors carry JSON pointers into `input`, one per field.
 */
export function parseFact<K extends FactKind>(
  kind: K,
  input: unknown,
): Result<FactOf<K>, FieldError[]> {
  const validate = factValidator(kind);
  const cards = cardErrors(kind, input);
  if (!validate(input)) {
    const errors = schemaErrors(validate.errors ?? []).filter(
      (e) => !cards.some((card) => card.pointer === e.pointer),
    );
    return { ok: false, error: [...cards, ...errors] };
  }
  const checks = new Checks();
  for (const card of cards) checks.add(card.pointer, card.message);
  const fact = build(kind, input as Raw, checks);
  if (checks.errors.length > 0) return { ok: false, error: checks.errors };
  return { ok: true, value: fact as FactOf<K> };
}
