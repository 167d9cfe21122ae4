/**
 * The fast path of `readCase`: one pass that reads a case which is valid — against
 * case.schema.json and the contract's section 2 — into `CaseFacts`, and gives up (undefined) at
 * the first thing it does not accept. It never explains: on undefined, `readCase` runs the Ajv
 * validators and the section 2 checks, which stay the one authority on what is wrong and where.
 *
 * The invariant, held by a differential property test (test/engine/read-valid-case.test.ts):
 * whenever this returns facts, the full path accepts the same input and returns equal facts.
 * It may give up on a valid input (an explicit `undefined` field, an id longer than 128 UTF-16
 * units but not code points), which only costs the slow path's time.
 *
 * Closed objects are checked by counting: every known field that is present is counted, and the
 * object's enumerable keys (`for…in`, as Ajv's `additionalProperties` does) must be exactly as
 * many.
 */
import { parseInstantMs } from '../domain/time.js';
import { caseSchema } from './case-schema.js';
import type { CaseFacts } from './types.js';

type Json = Record<string, unknown>;

const props = caseSchema.properties;
const PRODUCTS: ReadonlySet<unknown> = new Set(caseSchema.$defs.product.enum);
const CHANNELS: ReadonlySet<unknown> = new Set(props.order.properties.channel.enum);
const PAYMENT_METHODS: ReadonlySet<unknown> = new Set(props.order.properties.paymentMethod.enum);
const REFUND_KINDS: ReadonlySet<unknown> = new Set(
  props.priorOrders.items.properties.refundKind.enum,
);
const CAUSES: ReadonlySet<unknown> = new Set(props.reports.items.properties.cause.enum);
const CHARGEBACK_STATUSES: ReadonlySet<unknown> = new Set(
  props.chargebacks.items.properties.status.enum,
);
const ID_MAX_LENGTH = caseSchema.$defs.id.maxLength;
const SERVICE_PERIOD_MAX_DAYS = props.order.properties.servicePeriodDays.maximum;

/** Thrown inside the pass to give up; caught once at the top. */
const GIVE_UP = Symbol('give up');

function fail(): never {
  throw GIVE_UP;
}

function object(value: unknown): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail();
  return value as Json;
}

function array(value: unknown): readonly unknown[] {
  if (!Array.isArray(value)) fail();
  return value;
}

/** The object has exactly `known` enumerable keys (the known fields counted as present). */
function closed(value: Json, known: number): void {
  let keys = 0;
  for (const key in value) {
    void key;
    keys += 1;
  }
  if (keys !== known) fail();
}

function id(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > ID_MAX_LENGTH) fail();
  return value;
}

function instant(value: unknown): number {
  if (typeof value !== 'string') fail();
  const ms = parseInstantMs(value);
  if (ms === undefined) fail();
  return ms;
}

function nullableInstant(value: unknown): number | null {
  return value === null ? null : instant(value);
}

function count(value: unknown, minimum: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) fail();
  return value;
}

function flag(value: unknown): boolean {
  if (typeof value !== 'boolean') fail();
  return value;
}

function member<T>(set: ReadonlySet<unknown>, value: unknown): T {
  if (!set.has(value)) fail();
  return value as T;
}

function isCurrency(value: unknown): value is string {
  if (typeof value !== 'string' || value.length !== 3) return false;
  for (let i = 0; i < 3; i += 1) {
    const code = value.charCodeAt(i);
    if (code < 65 || code > 90) return false;
  }
  return true;
}

function readOrder(raw: unknown): CaseFacts['order'] {
  const o = object(raw);
  let known = 10;
  const promo = o['promoCreditsCents'];
  const refunded = o['refundedCents'];
  const compensated = o['compensatedIncidentIds'];
  if (promo !== undefined) known += 1;
  if (refunded !== undefined) known += 1;
  if (compensated !== undefined) known += 1;
  closed(o, known);
  const currency = o['currency'];
  if (!isCurrency(currency)) fail();
  const servicePeriodDays = count(o['servicePeriodDays'], 1);
  if (servicePeriodDays > SERVICE_PERIOD_MAX_DAYS) fail();
  let compensatedIncidentIds: readonly string[] = [];
  if (compensated !== undefined) {
    const ids = array(compensated);
    for (let i = 0; i < ids.length; i += 1) {
      const one = id(ids[i]);
      for (let j = 0; j < i; j += 1) if (ids[j] === one) fail();
    }
    compensatedIncidentIds = ids as readonly string[];
  }
  const amountCents = count(o['amountCents'], 0);
  const refundedCents = refunded === undefined ? 0 : count(refunded, 0);
  if (refundedCents > amountCents) fail();
  return {
    id: id(o['id']),
    customerId: id(o['customerId']),
    planId: id(o['planId']),
    product: member(PRODUCTS, o['product']),
    channel: member(CHANNELS, o['channel']),
    paymentMethod: member(PAYMENT_METHODS, o['paymentMethod']),
    amountCents,
    currency,
    promoCreditsCents: promo === undefined ? 0 : count(promo, 0),
    purchasedAtMs: instant(o['purchasedAt']),
    servicePeriodDays,
    refundedCents,
    compensatedIncidentIds,
  };
}

function readPriorOrders(raw: unknown): CaseFacts['priorOrders'] {
  if (raw === undefined) return [];
  const items = array(raw);
  const out: Array<CaseFacts['priorOrders'][number]> = [];
  for (let i = 0; i < items.length; i += 1) {
    const p = object(items[i]);
    let known = 3;
    const refundedAt = p['refundedAt'];
    const refundKind = p['refundKind'];
    if (refundedAt !== undefined) known += 1;
    if (refundKind !== undefined) known += 1;
    closed(p, known);
    const purchasedAtMs = instant(p['purchasedAt']);
    const refundedAtMs = refundedAt === undefined ? null : nullableInstant(refundedAt);
    if (refundedAtMs !== null && refundedAtMs < purchasedAtMs) fail();
    out.push({
      id: id(p['id']),
      planId: id(p['planId']),
      purchasedAtMs,
      refundedAtMs,
      refundKind: refundKind === undefined ? 'requested' : member(REFUND_KINDS, refundKind),
    });
  }
  return out;
}

function readReports(raw: unknown): CaseFacts['reports'] {
  if (raw === undefined) return [];
  const items = array(raw);
  const out: Array<CaseFacts['reports'][number]> = [];
  for (let i = 0; i < items.length; i += 1) {
    const r = object(items[i]);
    const remediatedAt = r['remediatedAt'];
    closed(r, remediatedAt === undefined ? 2 : 3);
    const reportedAtMs = instant(r['reportedAt']);
    const remediatedAtMs = remediatedAt === undefined ? null : nullableInstant(remediatedAt);
    if (remediatedAtMs !== null && remediatedAtMs < reportedAtMs) fail();
    out.push({ reportedAtMs, cause: member(CAUSES, r['cause']), remediatedAtMs });
  }
  return out;
}

function readIncidents(raw: unknown): CaseFacts['incidents'] {
  if (raw === undefined) return [];
  const items = array(raw);
  const out: Array<CaseFacts['incidents'][number]> = [];
  for (let i = 0; i < items.length; i += 1) {
    const n = object(items[i]);
    const endsAt = n['endsAt'];
    closed(n, endsAt === undefined ? 5 : 6);
    const startsAtMs = instant(n['startsAt']);
    const endsAtMs = endsAt === undefined ? null : nullableInstant(endsAt);
    if (endsAtMs !== null && endsAtMs <= startsAtMs) fail();
    const products = array(n['products']);
    if (products.length === 0) fail();
    for (const product of products) if (product !== 'all' && !PRODUCTS.has(product)) fail();
    // The confirmation is required but may be null.
    const confirmedAt = n['confirmedAt'];
    if (confirmedAt === undefined) fail();
    out.push({
      id: id(n['id']),
      confirmedAtMs: nullableInstant(confirmedAt),
      startsAtMs,
      endsAtMs,
      products: products as CaseFacts['incidents'][number]['products'],
      widelyImpacting: flag(n['widelyImpacting']),
    });
  }
  return out;
}

function readChargebacks(raw: unknown): CaseFacts['chargebacks'] {
  if (raw === undefined) return [];
  const items = array(raw);
  for (const item of items) {
    const c = object(item);
    closed(c, 1);
    member(CHARGEBACK_STATUSES, c['status']);
  }
  return items as CaseFacts['chargebacks'];
}

function readAccount(raw: unknown): CaseFacts['account'] {
  if (raw === undefined) return { tosBreach: false, stressTesting: false };
  const a = object(raw);
  const tosBreach = a['tosBreach'];
  const stressTesting = a['stressTesting'];
  closed(a, (tosBreach === undefined ? 0 : 1) + (stressTesting === undefined ? 0 : 1));
  return {
    tosBreach: tosBreach === undefined ? false : flag(tosBreach),
    stressTesting: stressTesting === undefined ? false : flag(stressTesting),
  };
}

function readFacts(input: unknown): CaseFacts {
  const c = object(input);
  let known = 4;
  const priorOrders = c['priorOrders'];
  const reports = c['reports'];
  const incidents = c['incidents'];
  const chargebacks = c['chargebacks'];
  const account = c['account'];
  if (priorOrders !== undefined) known += 1;
  if (reports !== undefined) known += 1;
  if (incidents !== undefined) known += 1;
  if (chargebacks !== undefined) known += 1;
  if (account !== undefined) known += 1;
  closed(c, known);

  const u = object(c['usage']);
  closed(u, 2);
  const q = object(c['request']);
  const legallyRequired = q['legallyRequired'];
  closed(q, legallyRequired === undefined ? 1 : 2);

  const evaluatedAtMs = instant(c['evaluatedAt']);
  const order = readOrder(c['order']);
  const submittedAtMs = instant(q['submittedAt']);
  if (submittedAtMs < order.purchasedAtMs || evaluatedAtMs < submittedAtMs) fail();
  return {
    evaluatedAtMs,
    order,
    priorOrders: readPriorOrders(priorOrders),
    usage: { trafficBytes: count(u['trafficBytes'], 0), requests: count(u['requests'], 0) },
    reports: readReports(reports),
    incidents: readIncidents(incidents),
    chargebacks: readChargebacks(chargebacks),
    account: readAccount(account),
    request: {
      submittedAtMs,
      legallyRequired: legallyRequired === undefined ? false : flag(legallyRequired),
    },
  };
}

/** The facts of a valid case, or undefined: then ask `readCase`'s full path what is wrong. */
export function readValidCase(input: unknown): CaseFacts | undefined {
  try {
    return readFacts(input);
  } catch (error) {
    if (error === GIVE_UP) return undefined;
    throw error;
  }
}
