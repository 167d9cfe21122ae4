/**
 * Writing billing facts with PUT semantics: a fact is created or replaced by its id (a usage
 * reading by order and as-of instant; account flags by customer). Invariants that span facts
 * are checked inside the transaction that writes, before any write:
 * - an order's customer and plan exist; its product defaults to the plan's and must equal it;
 *   it never moves to another customer; its amount covers the refunds already on it, and it
 *   was purchased no later than its first refund;
 * - a plan's product cannot change under orders of another product;
 * - usage readings, reports, chargebacks and refunds name an order that exists, a refund's
 *   incident exists; refunds on an order never exceed its amount nor predate its purchase
 *   (usage readings need not be monotone).
 * A write that changes nothing is `unchanged` and not audited; every other write appends an
 * audit entry with the fact before and after, in the same transaction.
 */
import type { Transaction } from 'kysely';
import { formatInstant, type FieldError, type Result } from '../../engine/index.js';
import type {
  ChargebackTable,
  CustomerTable,
  Database,
  IncidentTable,
  OrderTable,
  PlanTable,
  RefundTable,
  ReportTable,
  UsageReadingTable,
} from '../../store/schema.js';
import { appendAudit, canonicalJson, type AuditChange } from '../audit.js';
import type { AppContext, Origin } from '../context.js';
import { parseFact, type Fact, type FactOf } from './parse.js';
import { directRows, type FactRows } from './rows.js';
import type { FactKind } from './schemas.js';
import {
  chargebackView,
  customerView,
  incidentView,
  orderView,
  planView,
  refundView,
  reportView,
  usageView,
  type FactView,
} from './views.js';

export type FactErrorCode =
  /** The input breaks the fact's schema or rules (one error per field). */
  | 'invalid'
  /** It names a customer, plan, order or incident that is not stored. */
  | 'unknown_reference'
  /** It contradicts facts already stored (product of the plan, refunds over the amount, …). */
  | 'inconsistent';

export interface FactError {
  readonly code: FactErrorCode;
  /** JSON pointers into the fact as given. */
  readonly errors: readonly FieldError[];
}

export type WriteStatus = 'created' | 'replaced' | 'unchanged';

export interface FactWrite<V extends FactView = FactView> {
  readonly status: WriteStatus;
  readonly value: V;
}

export type FactResult<V extends FactView = FactView> = Result<FactWrite<V>, FactError>;

/** Where audit entries go: straight to the log, or collected for a batch (import). */
export type AuditSink = (change: AuditChange) => Promise<void>;

/** What applying a fact needs: where rows are read and written, the instant, the audit sink. */
export interface FactTx {
  readonly rows: FactRows;
  readonly nowMs: number;
  readonly audit: AuditSink;
}

function failure(code: FactErrorCode, pointer: string, message: string): FactResult<never> {
  return { ok: false, error: { code, errors: [{ pointer, message }] } };
}

/** Writes and audits unless nothing changed. */
async function commit<V extends FactView>(
  tx: FactTx,
  entityKind: string,
  entityId: string,
  before: V | undefined,
  after: V,
  write: () => Promise<unknown>,
  action?: string,
): Promise<FactResult<V>> {
  if (before !== undefined && canonicalJson(before) === canonicalJson(after)) {
    return { ok: true, value: { status: 'unchanged', value: before } };
  }
  await write();
  const status = before === undefined ? 'created' : 'replaced';
  await tx.audit({
    action: action ?? `${entityKind}.${status}`,
    entityKind,
    entityId,
    ...(before === undefined ? {} : { before }),
    after,
  });
  return { ok: true, value: { status, value: after } };
}

const noOrder = (id: string) =>
  failure('unknown_reference', '/orderId', `no order ${id} is stored`);

async function applyCustomer(tx: FactTx, f: FactOf<'customer'>): Promise<FactResult> {
  const existing = await tx.rows.get('customers', f.id);
  const row: CustomerTable = {
    id: f.id,
    email: f.email,
    name: f.name,
    kycStatus: f.kycStatus ?? existing?.kycStatus ?? 'not_required',
    tosBreach: existing?.tosBreach ?? 0,
    stressTesting: existing?.stressTesting ?? 0,
    createdAtMs: existing?.createdAtMs ?? tx.nowMs,
    updatedAtMs: tx.nowMs,
  };
  return commit(tx, 'customer', f.id, existing && customerView(existing), customerView(row), () =>
    tx.rows.put('customers', row, existing !== undefined),
  );
}

async function applyFlags(tx: FactTx, f: FactOf<'flags'>): Promise<FactResult> {
  const existing = await tx.rows.get('customers', f.customerId);
  if (existing === undefined) {
    return failure('unknown_reference', '/customerId', `no customer ${f.customerId} is stored`);
  }
  const flag = (value: boolean | undefined, stored: 0 | 1): 0 | 1 =>
    value === undefined ? stored : value ? 1 : 0;
  const row: CustomerTable = {
    ...existing,
    tosBreach: flag(f.tosBreach, existing.tosBreach),
    stressTesting: flag(f.stressTesting, existing.stressTesting),
    kycStatus: f.kycStatus ?? existing.kycStatus,
    updatedAtMs: tx.nowMs,
  };
  return commit(
    tx,
    'customer',
    f.customerId,
    customerView(existing),
    customerView(row),
    () => tx.rows.put('customers', row, true),
    'customer.flags_changed',
  );
}

async function applyPlan(tx: FactTx, f: FactOf<'plan'>): Promise<FactResult> {
  const existing = await tx.rows.get('plans', f.id);
  if (existing !== undefined && existing.product !== f.product) {
    const other = await (
      await tx.rows.query()
    )
      .selectFrom('orders')
      .select(['id', 'product'])
      .where('planId', '=', f.id)
      .where('product', '!=', f.product)
      .limit(1)
      .executeTakeFirst();
    if (other !== undefined) {
      return failure(
        'inconsistent',
        '/product',
        `cannot change to ${f.product}: order ${other.id} of this plan is for ${other.product}`,
      );
    }
  }
  const row: PlanTable = {
    id: f.id,
    product: f.product,
    name: f.name,
    servicePeriodDays: f.servicePeriodDays,
    createdAtMs: existing?.createdAtMs ?? tx.nowMs,
  };
  return commit(tx, 'plan', f.id, existing && planView(existing), planView(row), () =>
    tx.rows.put('plans', row, existing !== undefined),
  );
}

async function applyOrder(tx: FactTx, f: FactOf<'order'>): Promise<FactResult> {
  const customer = await tx.rows.get('customers', f.customerId);
  const plan = await tx.rows.get('plans', f.planId);
  const existing = await tx.rows.get('orders', f.id);
  const missing: FieldError[] = [];
  if (customer === undefined) {
    missing.push({ pointer: '/customerId', message: `no customer ${f.customerId} is stored` });
  }
  if (plan === undefined) {
    missing.push({ pointer: '/planId', message: `no plan ${f.planId} is stored` });
  }
  if (plan === undefined || missing.length > 0) {
    return { ok: false, error: { code: 'unknown_reference', errors: missing } };
  }
  if (f.product !== undefined && f.product !== plan.product) {
    return failure('inconsistent', '/product', `must equal the plan's product (${plan.product})`);
  }
  if (existing !== undefined) {
    if (existing.customerId !== f.customerId) {
      return failure(
        'inconsistent',
        '/customerId',
        `an order cannot move to another customer (stored: ${existing.customerId})`,
      );
    }
    const refunds = await tx.rows.refundsOf(f.id);
    const refundedMinor = refunds.reduce((sum, r) => sum + r.amountMinor, 0);
    if (refundedMinor > f.amountMinor) {
      return failure(
        'inconsistent',
        '/amountMinor',
        `must be at least the ${refundedMinor} already refunded on this order`,
      );
    }
    const firstRefundMs = Math.min(...refunds.map((r) => r.refundedAtMs));
    if (firstRefundMs < f.purchasedAtMs) {
      return failure(
        'inconsistent',
        '/purchasedAt',
        `must not be later than the order's first refund (${formatInstant(firstRefundMs)})`,
      );
    }
  }
  const row: OrderTable = {
    id: f.id,
    customerId: f.customerId,
    planId: f.planId,
    product: f.product ?? plan.product,
    channel: f.channel,
    paymentMethod: f.paymentMethod,
    provider: f.provider,
    chargeRef: f.chargeRef,
    amountMinor: f.amountMinor,
    currency: f.currency,
    promoCreditsMinor: f.promoCreditsMinor,
    purchasedAtMs: f.purchasedAtMs,
    servicePeriodDays: f.servicePeriodDays,
    email: f.email,
    createdAtMs: existing?.createdAtMs ?? tx.nowMs,
  };
  return commit(tx, 'order', f.id, existing && orderView(existing), orderView(row), () =>
    tx.rows.put('orders', row, existing !== undefined),
  );
}

async function applyUsage(tx: FactTx, f: FactOf<'usage'>): Promise<FactResult> {
  if ((await tx.rows.get('orders', f.orderId)) === undefined) return noOrder(f.orderId);
  const existing = await tx.rows.usage(f.orderId, f.asOfMs);
  const row: UsageReadingTable = {
    orderId: f.orderId,
    asOfMs: f.asOfMs,
    trafficBytes: f.trafficBytes,
    requests: f.requests,
  };
  const after = usageView(row);
  return commit(
    tx,
    'usage_reading',
    `${f.orderId}@${after.asOf}`,
    existing && usageView(existing),
    after,
    () => tx.rows.putUsage(row, existing !== undefined),
  );
}

async function applyReport(tx: FactTx, f: FactOf<'report'>): Promise<FactResult> {
  if ((await tx.rows.get('orders', f.orderId)) === undefined) return noOrder(f.orderId);
  const existing = await tx.rows.get('reports', f.id);
  const row: ReportTable = {
    id: f.id,
    orderId: f.orderId,
    reportedAtMs: f.reportedAtMs,
    cause: f.cause,
    remediatedAtMs: f.remediatedAtMs,
    description: f.description,
    createdAtMs: existing?.createdAtMs ?? tx.nowMs,
    updatedAtMs: tx.nowMs,
  };
  return commit(tx, 'report', f.id, existing && reportView(existing), reportView(row), () =>
    tx.rows.put('reports', row, existing !== undefined),
  );
}

async function applyIncident(tx: FactTx, f: FactOf<'incident'>): Promise<FactResult> {
  const existing = await tx.rows.get('incidents', f.id);
  const row: IncidentTable = {
    id: f.id,
    title: f.title,
    productsJson: JSON.stringify(f.products),
    widelyImpacting: f.widelyImpacting ? 1 : 0,
    startsAtMs: f.startsAtMs,
    endsAtMs: f.endsAtMs,
    confirmedAtMs: f.confirmedAtMs,
    createdAtMs: existing?.createdAtMs ?? tx.nowMs,
    updatedAtMs: tx.nowMs,
  };
  return commit(tx, 'incident', f.id, existing && incidentView(existing), incidentView(row), () =>
    tx.rows.put('incidents', row, existing !== undefined),
  );
}

async function applyChargeback(tx: FactTx, f: FactOf<'chargeback'>): Promise<FactResult> {
  if ((await tx.rows.get('orders', f.orderId)) === undefined) return noOrder(f.orderId);
  const existing = await tx.rows.get('chargebacks', f.id);
  const row: ChargebackTable = {
    id: f.id,
    orderId: f.orderId,
    status: f.status,
    openedAtMs: f.openedAtMs,
    updatedAtMs: tx.nowMs,
  };
  return commit(
    tx,
    'chargeback',
    f.id,
    existing && chargebackView(existing),
    chargebackView(row),
    () => tx.rows.put('chargebacks', row, existing !== undefined),
  );
}

async function applyRefund(tx: FactTx, f: FactOf<'refund'>): Promise<FactResult> {
  const order = await tx.rows.get('orders', f.orderId);
  if (order === undefined) return noOrder(f.orderId);
  if (f.incidentId !== null && (await tx.rows.get('incidents', f.incidentId)) === undefined) {
    return failure('unknown_reference', '/incidentId', `no incident ${f.incidentId} is stored`);
  }
  const existing = await tx.rows.get('refunds', f.id);
  const others = (await tx.rows.refundsOf(f.orderId)).filter((r) => r.id !== f.id);
  const totalMinor = others.reduce((sum, r) => sum + r.amountMinor, f.amountMinor);
  if (totalMinor > order.amountMinor) {
    return failure(
      'inconsistent',
      '/amountMinor',
      `would bring refunds on order ${order.id} to ${totalMinor}, more than its amount ${order.amountMinor}`,
    );
  }
  if (f.refundedAtMs < order.purchasedAtMs) {
    return failure(
      'inconsistent',
      '/refundedAt',
      `must not be earlier than the order's purchase (${formatInstant(order.purchasedAtMs)})`,
    );
  }
  const row: RefundTable = {
    id: f.id,
    orderId: f.orderId,
    amountMinor: f.amountMinor,
    kind: f.kind,
    refundedAtMs: f.refundedAtMs,
    incidentId: f.incidentId,
    createdAtMs: existing?.createdAtMs ?? tx.nowMs,
  };
  return commit(tx, 'refund', f.id, existing && refundView(existing), refundView(row), async () => {
    await tx.rows.put('refunds', row, existing !== undefined);
    if ((existing?.incidentId ?? null) !== null || row.incidentId !== null) {
      await syncCompensations(await tx.rows.query(), existing, row);
    }
  });
}

/**
 * A refund that compensated an incident marks that incident compensated on its order (what
 * the case's `compensatedIncidentIds` says). When a refund is replaced, a compensation it
 * alone stood for is removed.
 */
async function syncCompensations(
  trx: Transaction<Database>,
  before: { orderId: string; incidentId: string | null } | undefined,
  after: { id: string; orderId: string; incidentId: string | null; refundedAtMs: number },
): Promise<void> {
  const was = before?.incidentId ?? null;
  if (
    before !== undefined &&
    was !== null &&
    (was !== after.incidentId || before.orderId !== after.orderId)
  ) {
    const stillCovered = await trx
      .selectFrom('refunds')
      .select('id')
      .where('orderId', '=', before.orderId)
      .where('incidentId', '=', was)
      .limit(1)
      .executeTakeFirst();
    if (stillCovered === undefined) {
      await trx
        .deleteFrom('compensations')
        .where('orderId', '=', before.orderId)
        .where('incidentId', '=', was)
        .where('kind', '=', 'refund')
        .execute();
    }
  }
  if (after.incidentId !== null) {
    await trx
      .insertInto('compensations')
      .values({
        orderId: after.orderId,
        incidentId: after.incidentId,
        kind: 'refund',
        atMs: after.refundedAtMs,
      })
      .onConflict((oc) => oc.columns(['orderId', 'incidentId']).doNothing())
      .execute();
  }
}

/**
 * Applies one valid fact inside an open transaction. Expected failures are checked before any
 * write, so a failed fact leaves the transaction as it found it.
 */
export async function applyFact(tx: FactTx, fact: Fact): Promise<FactResult> {
  switch (fact.type) {
    case 'customer':
      return applyCustomer(tx, fact);
    case 'plan':
      return applyPlan(tx, fact);
    case 'order':
      return applyOrder(tx, fact);
    case 'usage':
      return applyUsage(tx, fact);
    case 'report':
      return applyReport(tx, fact);
    case 'incident':
      return applyIncident(tx, fact);
    case 'chargeback':
      return applyChargeback(tx, fact);
    case 'refund':
      return applyRefund(tx, fact);
    case 'flags':
      return applyFlags(tx, fact);
  }
}

/** A concurrent writer created the same id first: retrying then reads it and replaces it. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE'
  );
}

/** Runs one fact in its own transaction with its audit entry; retried once on a creation race. */
export async function writeParsedFact(
  ctx: AppContext,
  origin: Origin,
  fact: Fact,
): Promise<FactResult> {
  const { db, engine } = ctx.store;
  const attempt = () =>
    db.transaction().execute(async (trx) => {
      const nowMs = ctx.clock.nowMs();
      const audit: AuditSink = (change) => appendAudit(trx, engine, origin, nowMs, change);
      return applyFact({ rows: directRows(trx, engine), nowMs, audit }, fact);
    });
  try {
    return await attempt();
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return attempt();
  }
}

/**
 * Creates or replaces one fact of `kind` from untrusted input (a request body): validated,
 * checked against the stored facts and audited in one transaction.
 */
export async function writeFact<K extends FactKind>(
  ctx: AppContext,
  origin: Origin,
  kind: K,
  input: unknown,
): Promise<FactResult> {
  const parsed = parseFact(kind, input);
  if (!parsed.ok) return { ok: false, error: { code: 'invalid', errors: parsed.error } };
  return writeParsedFact(ctx, origin, parsed.value);
}
