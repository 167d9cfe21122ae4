/**
 * A policy is data: a versioned document validated by a schema, compiled here into the
 * lookup form the evaluator reads. Pure: the caller reads files.
 */
import { DAY_MS } from '../domain/time.js';
import { parseInstantMs } from '../domain/time.js';
import { validatePolicyAll } from './validators.js';
import { toFieldErrors } from './json-schema.js';
import {
  PRODUCTS,
  type Channel,
  type ClauseId,
  type FieldError,
  type PaymentMethod,
  type Product,
  type ReportCause,
  type Result,
} from './types.js';

export interface PolicyDocument {
  id: string;
  version: number;
  title: string;
  effectiveFrom: string;
  preamble?: string;
  clauses: Partial<Record<ClauseId, { title: string; text: string }>>;
  parameters: {
    officialChannels: Channel[];
    nonRefundablePaymentMethods: PaymentMethod[];
    requestWindowDays: number;
    technicalBasisRequired: boolean;
    firstPeriodDays: number;
    remediationDays: number;
    excludedCauses: ReportCause[];
    repeatRefunds: { count: number; lookbackDays: number };
    usageCaps: Record<Product, { traffic: number | string; requests: number }>;
    decisionTargetBusinessDays: number;
    decisionDeadlineBusinessDays: number;
  };
}

export interface UsageCap {
  readonly trafficBytes: number;
  readonly requests: number;
}

/** A validated policy in the form the evaluator reads. */
export interface Policy {
  readonly id: string;
  readonly version: number;
  /** `id@version`, written into every decision. */
  readonly label: string;
  readonly effectiveFromMs: number;
  readonly document: PolicyDocument;
  readonly officialChannels: ReadonlySet<Channel>;
  readonly nonRefundablePaymentMethods: ReadonlySet<PaymentMethod>;
  readonly requestWindowMs: number;
  readonly technicalBasisRequired: boolean;
  readonly firstPeriodMs: number;
  readonly remediationMs: number;
  readonly excludedCauses: ReadonlySet<ReportCause>;
  readonly repeatRefundCount: number;
  readonly repeatRefundLookbackMs: number;
  readonly usageCaps: Readonly<Record<Product, UsageCap>>;
}

const UNIT_BYTES: Readonly<Record<string, bigint>> = {
  B: 1n,
  kB: 1_000n,
  KB: 1_000n,
  MB: 1_000_000n,
  GB: 1_000_000_000n,
  TB: 1_000_000_000_000n,
  KiB: 1n << 10n,
  MiB: 1n << 20n,
  GiB: 1n << 30n,
  TiB: 1n << 40n,
};

/** `"500 MB"` → 500000000. Exact (no floating point); undefined when not a whole byte count. */
export function parseSizeBytes(text: string): number | undefined {
  const match = /^([0-9]+)(?:\.([0-9]+))? ?([kKMGT]?i?B)$/.exec(text);
  if (match === null) return undefined;
  const unit = UNIT_BYTES[match[3] ?? ''];
  if (unit === undefined) return undefined;
  const fraction = match[2] ?? '';
  const scale = 10n ** BigInt(fraction.length);
  const numerator = BigInt((match[1] ?? '0') + fraction) * unit;
  if (numerator % scale !== 0n) return undefined;
  const bytes = numerator / scale;
  return bytes <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(bytes) : undefined;
}

/** Validates a parsed policy document and compiles it. */
export function compilePolicy(input: unknown): Result<Policy, FieldError[]> {
  if (!validatePolicyAll(input)) {
    return { ok: false, error: toFieldErrors(validatePolicyAll.errors ?? []) };
  }
  const doc = input as PolicyDocument;
  const errors: FieldError[] = [];
  const effectiveFromMs = parseInstantMs(doc.effectiveFrom);
  if (effectiveFromMs === undefined) {
    errors.push({
      pointer: '/effectiveFrom',
      message:
        'must be an RFC 3339 instant with an explicit offset and at most millisecond precision',
    });
  }
  const p = doc.parameters;
  if (p.decisionDeadlineBusinessDays < p.decisionTargetBusinessDays) {
    errors.push({
      pointer: '/parameters/decisionDeadlineBusinessDays',
      message: 'must not be less than decisionTargetBusinessDays',
    });
  }
  const usageCaps = {} as Record<Product, UsageCap>;
  for (const product of PRODUCTS) {
    const cap = p.usageCaps[product];
    const trafficBytes =
      typeof cap.traffic === 'number' ? cap.traffic : parseSizeBytes(cap.traffic);
    if (trafficBytes === undefined) {
      errors.push({
        pointer: `/parameters/usageCaps/${product}/traffic`,
        message: 'must be a whole number of bytes no larger than 2^53-1',
      });
    }
    usageCaps[product] = { trafficBytes: trafficBytes ?? 0, requests: cap.requests };
  }
  if (errors.length > 0 || effectiveFromMs === undefined) return { ok: false, error: errors };
  return {
    ok: true,
    value: {
      id: doc.id,
      version: doc.version,
      label: `${doc.id}@${doc.version}`,
      effectiveFromMs,
      document: doc,
      officialChannels: new Set(p.officialChannels),
      nonRefundablePaymentMethods: new Set(p.nonRefundablePaymentMethods),
      requestWindowMs: p.requestWindowDays * DAY_MS,
      technicalBasisRequired: p.technicalBasisRequired,
      firstPeriodMs: p.firstPeriodDays * DAY_MS,
      remediationMs: p.remediationDays * DAY_MS,
      excludedCauses: new Set(p.excludedCauses),
      repeatRefundCount: p.repeatRefunds.count,
      repeatRefundLookbackMs: p.repeatRefunds.lookbackDays * DAY_MS,
      usageCaps,
    },
  };
}

/** Picks the version in effect at an instant: the latest whose effectiveFrom is not later. */
export function policyInEffect(policies: readonly Policy[], atMs: number): Policy | undefined {
  let best: Policy | undefined;
  for (const policy of policies) {
    if (
      policy.effectiveFromMs <= atMs &&
      (best === undefined || policy.effectiveFromMs > best.effectiveFromMs)
    ) {
      best = policy;
    }
  }
  return best;
}
