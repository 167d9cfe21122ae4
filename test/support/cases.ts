/**
 * Fixture builders for engine tests. Each builder is named by the state it builds and returns
 * plain case JSON (case.schema.json, instants as strings) with every optional field written
 * out, so that tests can read any field without undefined checks. Builders take a deep-partial
 * override: objects merge, arrays and scalars replace.
 *
 * The shared timeline (all UTC):
 *   T0          2026-03-02T10:00:00.000Z  order.purchasedAt, the first purchase of plan res-5gb
 *   T0 + 1 d    a service report (its deadline is T0 + 16 d)
 *   T0 + 3 d    request.submittedAt (inside the 7-day window)
 *   T0 + 20 d   evaluatedAt (past the report's deadline)
 */
import {
  decide,
  decideCase,
  type ChargebackStatus,
  type Channel,
  type Decision,
  type FieldError,
  type PaymentMethod,
  type Policy,
  type Product,
  type RefundKind,
  type ReportCause,
} from '../../src/index.js';

// ---------------------------------------------------------------------------------------------
// Time

export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Epoch milliseconds of an RFC 3339 instant (test-side parse; inputs are always valid). */
export function at(instant: string): number {
  const ms = Date.parse(instant);
  if (Number.isNaN(ms)) throw new Error(`test fixture: not an instant: ${instant}`);
  return ms;
}

/** The UTC form the contract writes: `2026-03-17T09:00:00.000Z`. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** `instant` moved by `deltaMs`, written in UTC with milliseconds. */
export function plusMs(instant: string, deltaMs: number): string {
  return iso(at(instant) + deltaMs);
}

/**
 * The same instant written with another UTC offset, e.g. `withOffset(x, 14 * 60)` gives
 * `…+14:00`. Milliseconds are written only when they are not zero.
 */
export function withOffset(instant: string, offsetMinutes: number): string {
  const ms = at(instant);
  const local = new Date(ms + offsetMinutes * MINUTE).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const body = ms % SECOND === 0 ? local.slice(0, 19) : local.slice(0, 23);
  if (offsetMinutes === 0) return `${body}Z`;
  const sign = offsetMinutes > 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${body}${sign}${hh}:${mm}`;
}

export const T0 = '2026-03-02T10:00:00.000Z';
export const T0_MS = at(T0);
/** T0 + n days (fractional days allowed), in UTC. */
export function day(n: number): string {
  return iso(T0_MS + Math.round(n * DAY));
}

// ---------------------------------------------------------------------------------------------
// Case JSON, fully written out

export interface OrderJson {
  id: string;
  customerId: string;
  planId: string;
  product: Product;
  channel: Channel;
  paymentMethod: PaymentMethod;
  amountCents: number;
  currency: string;
  promoCreditsCents: number;
  purchasedAt: string;
  servicePeriodDays: number;
  refundedCents: number;
  compensatedIncidentIds: string[];
}

export interface PriorOrderJson {
  id: string;
  planId: string;
  purchasedAt: string;
  refundedAt: string | null;
  refundKind: RefundKind;
}

export interface ReportJson {
  reportedAt: string;
  cause: ReportCause;
  remediatedAt: string | null;
}

export interface IncidentJson {
  id: string;
  confirmedAt: string | null;
  startsAt: string;
  endsAt: string | null;
  products: Array<Product | 'all'>;
  widelyImpacting: boolean;
}

export interface CaseJson {
  evaluatedAt: string;
  order: OrderJson;
  priorOrders: PriorOrderJson[];
  usage: { trafficBytes: number; requests: number };
  reports: ReportJson[];
  incidents: IncidentJson[];
  chargebacks: Array<{ status: ChargebackStatus }>;
  account: { tosBreach: boolean; stressTesting: boolean };
  request: { submittedAt: string; legallyRequired: boolean };
}

/** Objects merge key by key; arrays and scalars replace. */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mergeInto(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(patch)) {
    const current = target[key];
    if (isPlainObject(current) && isPlainObject(value)) mergeInto(current, value);
    else target[key] = structuredClone(value);
  }
}

/** A deep copy of `base` with `overrides` merged in. */
export function withChanges<T extends object>(base: T, overrides?: NoInfer<DeepPartial<T>>): T {
  const copy = structuredClone(base);
  mergeInto(copy as Record<string, unknown>, (overrides ?? {}) as Record<string, unknown>);
  return copy;
}

/** A deep copy of `base` changed by `mutate`, for edits that overrides cannot say. */
export function tweak<T>(base: T, mutate: (draft: T) => void): T {
  const copy = structuredClone(base);
  mutate(copy);
  return copy;
}

// ---------------------------------------------------------------------------------------------
// Elements

export function report(overrides: Partial<ReportJson> = {}): ReportJson {
  return { reportedAt: day(1), cause: 'service', remediatedAt: null, ...overrides };
}

export function incident(overrides: Partial<IncidentJson> = {}): IncidentJson {
  return {
    id: 'inc_1',
    confirmedAt: day(12),
    startsAt: day(10),
    endsAt: day(11),
    products: ['dynamic_residential'],
    widelyImpacting: true,
    ...overrides,
  };
}

export function priorOrder(overrides: Partial<PriorOrderJson> = {}): PriorOrderJson {
  return {
    id: 'ord_0',
    planId: 'res-5gb',
    purchasedAt: day(-100),
    refundedAt: null,
    refundKind: 'requested',
    ...overrides,
  };
}

// ---------------------------------------------------------------------------------------------
// Cases, named by the state they build

/**
 * Official channel, card, submitted 3 days after the first purchase, usage under the
 * dynamic_residential caps, one service report made on day 1 and still unremediated at
 * evaluatedAt (day 20), past its 15-day deadline (day 16): full_refund of 3000 USD cents.
 */
export function eligibleCase(overrides: DeepPartial<CaseJson> = {}): CaseJson {
  const base: CaseJson = {
    evaluatedAt: day(20),
    order: {
      id: 'ord_1',
      customerId: 'cus_1',
      planId: 'res-5gb',
      product: 'dynamic_residential',
      channel: 'official_site',
      paymentMethod: 'card',
      amountCents: 3000,
      currency: 'USD',
      promoCreditsCents: 0,
      purchasedAt: T0,
      servicePeriodDays: 30,
      refundedCents: 0,
      compensatedIncidentIds: [],
    },
    priorOrders: [],
    usage: { trafficBytes: 100_000_000, requests: 1_000 },
    reports: [report()],
    incidents: [],
    chargebacks: [],
    account: { tosBreach: false, stressTesting: false },
    request: { submittedAt: day(3), legallyRequired: false },
  };
  return withChanges(base, overrides);
}

/** Eligible except that no report and no incident gives a technical basis: denied (row 8). */
export function caseWithoutTechnicalBasis(overrides: DeepPartial<CaseJson> = {}): CaseJson {
  return withChanges(eligibleCase({ reports: [] }), overrides);
}

/** Eligible with no report, and a confirmed widely impacting incident on day 2: full_refund. */
export function caseWithIncidentBasis(overrides: DeepPartial<CaseJson> = {}): CaseJson {
  return withChanges(
    eligibleCase({
      reports: [],
      incidents: [
        incident({ id: 'inc_basis', startsAt: day(2), endsAt: day(2.5), confirmedAt: day(3) }),
      ],
    }),
    overrides,
  );
}

/** The day-1 service report, evaluated on day 10 (before its day-16 deadline): pending. */
export function caseWithPendingServiceReport(overrides: DeepPartial<CaseJson> = {}): CaseJson {
  return withChanges(eligibleCase({ evaluatedAt: day(10) }), overrides);
}

/** The day-1 report has cause `undetermined`: manual_review, NEEDS_TECHNICAL_REVIEW (row 6). */
export function caseWithUndeterminedReport(overrides: DeepPartial<CaseJson> = {}): CaseJson {
  return withChanges(eligibleCase({ reports: [report({ cause: 'undetermined' })] }), overrides);
}

/** The only report blames the target site's anti-bot: NO_TECHNICAL_BASIS and EXCLUDED_CAUSE. */
export function caseWithExcludedCauseReport(overrides: DeepPartial<CaseJson> = {}): CaseJson {
  return withChanges(eligibleCase({ reports: [report({ cause: 'target_anti_bot' })] }), overrides);
}

/**
 * Submitted on day 10 (window expired), no report, and one confirmed incident of exactly
 * 6 hours on day 12 that is not in the first 7 days: prorata.
 * 3000 x 6 h / 30 d = 25 cents; extension 1 day.
 */
export function caseAfterWindowWithIncident(overrides: DeepPartial<CaseJson> = {}): CaseJson {
  return withChanges(
    eligibleCase({
      reports: [],
      request: { submittedAt: day(10) },
      incidents: [
        incident({ id: 'inc_late', startsAt: day(12), endsAt: day(12.25), confirmedAt: day(13) }),
      ],
    }),
    overrides,
  );
}

/** An eligible case that staff marked as legally required: manual_review, LEGAL_REVIEW. */
export function legallyRequiredCase(overrides: DeepPartial<CaseJson> = {}): CaseJson {
  return withChanges(eligibleCase({ request: { legallyRequired: true } }), overrides);
}

// ---------------------------------------------------------------------------------------------
// Deciding and reading decisions

/** Sections 3 and 5 of the contract: the clause each reason cites. */
export const CONTRACT_CLAUSES: Readonly<Record<string, string>> = {
  NON_OFFICIAL_CHANNEL: '2',
  CRYPTO_PAYMENT: '2',
  WINDOW_EXPIRED: '2',
  USAGE_CAP_TRAFFIC: '2',
  USAGE_CAP_REQUESTS: '2',
  NO_TECHNICAL_BASIS: '2',
  EXCLUDED_CAUSE: '3',
  TOS_BREACH: '3',
  ABUSE_STRESS_TESTING: '3',
  ABUSE_REPEAT_REFUNDS: '3',
  ACTIVE_CHARGEBACK: '3',
  CHARGEBACK_LOST: '3',
  ALREADY_REFUNDED: '4',
  LEGAL_REVIEW: '2',
  AWAITING_REMEDIATION_WINDOW: '2',
  NEEDS_TECHNICAL_REVIEW: '4',
  PRORATA_INCIDENT: '4',
  PROMO_NOT_REFUNDED: '3',
};

export interface Summary {
  outcome: Decision['outcome'];
  refundCents: number;
  extensionDays: number;
  decidableAt: string | null;
  codes: string[];
}

export function summarize(decision: Decision): Summary {
  return {
    outcome: decision.outcome,
    refundCents: decision.refundCents,
    extensionDays: decision.extensionDays,
    decidableAt: decision.decidableAt,
    codes: decision.reasons.map((r) => r.code),
  };
}

export function denied(codes: string[]): Summary {
  return { outcome: 'denied', refundCents: 0, extensionDays: 0, decidableAt: null, codes };
}

export function manualReview(codes: string[]): Summary {
  return { outcome: 'manual_review', refundCents: 0, extensionDays: 0, decidableAt: null, codes };
}

export function fullRefund(refundCents: number, codes: string[] = []): Summary {
  return { outcome: 'full_refund', refundCents, extensionDays: 0, decidableAt: null, codes };
}

export function prorata(refundCents: number, extensionDays: number, codes: string[]): Summary {
  return { outcome: 'prorata', refundCents, extensionDays, decidableAt: null, codes };
}

export function pending(decidableAt: string, codes = ['AWAITING_REMEDIATION_WINDOW']): Summary {
  return { outcome: 'pending', refundCents: 0, extensionDays: 0, decidableAt, codes };
}

/** Decides under the shipped policy (or `policy`) and summarizes. */
export function decideSummary(input: CaseJson, policy?: Policy): Summary {
  return summarize(decide(input, policy));
}

export function codesOf(input: CaseJson): string[] {
  return decide(input).reasons.map((r) => r.code);
}

/** The message of reason `code` in the decision of `input`; fails when the code is absent. */
export function messageOf(input: CaseJson, code: string): string {
  const reason = decide(input).reasons.find((r) => r.code === code);
  if (reason === undefined) throw new Error(`no reason ${code} in the decision`);
  return reason.message;
}

/** Every error of an invalid case (errors: 'all'); fails when the case is valid. */
export function errorsOf(input: unknown): FieldError[] {
  const result = decideCase(input, { errors: 'all' });
  if (result.ok) throw new Error('expected the case to be invalid');
  return result.error;
}

// ---------------------------------------------------------------------------------------------
// JSON pointer edits, for building invalid input

function parsePointer(pointer: string): string[] {
  if (!pointer.startsWith('/')) throw new Error(`not a JSON pointer: ${pointer}`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(root: unknown, tokens: readonly string[]): Record<string, unknown> {
  let node: unknown = root;
  for (const token of tokens.slice(0, -1)) {
    if (typeof node !== 'object' || node === null) throw new Error(`no parent at ${token}`);
    node = (node as Record<string, unknown>)[token];
  }
  if (typeof node !== 'object' || node === null) throw new Error('no parent object');
  return node as Record<string, unknown>;
}

/** A deep copy of `input` (as untyped JSON) with the value at `pointer` set. */
export function setAt(input: unknown, pointer: string, value: unknown): unknown {
  const copy: unknown = structuredClone(input);
  const tokens = parsePointer(pointer);
  parentOf(copy, tokens)[tokens[tokens.length - 1] ?? ''] = value;
  return copy;
}

/** A deep copy of `input` (as untyped JSON) with the member at `pointer` removed. */
export function removeAt(input: unknown, pointer: string): unknown {
  const copy: unknown = structuredClone(input);
  const tokens = parsePointer(pointer);
  const parent = parentOf(copy, tokens);
  const key = tokens[tokens.length - 1] ?? '';
  if (!(key in parent)) throw new Error(`nothing to remove at ${pointer}`);
  delete parent[key];
  return copy;
}
