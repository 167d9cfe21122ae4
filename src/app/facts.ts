/**
 * Assembling a case (case.schema.json) from stored billing facts. The result is what the
 * engine decides and what is stored beside the decision, so any decision can be reproduced.
 */
import type { Kysely, Transaction } from 'kysely';
import { formatInstant, type CaseInput, type Product, type ReportCause } from '../engine/index.js';
import { prepareQuery } from '../store/prepared.js';
import type { Database, OrderTable } from '../store/schema.js';

/** Bound on the customer's other orders carried into one case. */
export const MAX_PRIOR_ORDERS = 500;

export interface CaseRequestFacts {
  readonly orderId: string;
  readonly submittedAtMs: number;
  readonly evaluatedAtMs: number;
  readonly legallyRequired: boolean;
}

type Db = Kysely<Database> | Transaction<Database>;

interface PriorOrder {
  readonly id: string;
  readonly planId: string;
  readonly purchasedAtMs: number;
}

function earliestOf(orders: readonly PriorOrder[]): PriorOrder | undefined {
  let earliest: PriorOrder | undefined;
  for (const order of orders) {
    if (earliest === undefined || order.purchasedAtMs < earliest.purchasedAtMs) earliest = order;
  }
  return earliest;
}

function instantOrNull(ms: number | null): string | null {
  return ms === null ? null : formatInstant(ms);
}

// The queries of a case, compiled once per database (store/prepared.ts): intake runs them all.
const selectOrder = prepareQuery((db, p: { id: string }) =>
  db.selectFrom('orders').selectAll().where('id', '=', p.id),
);
const selectPriorOrders = prepareQuery((db, p: { customerId: string; orderId: string }) =>
  db
    .selectFrom('orders')
    .select(['id', 'planId', 'purchasedAtMs'])
    .where('customerId', '=', p.customerId)
    .where('id', '!=', p.orderId)
    .orderBy('purchasedAtMs', 'desc')
    .limit(MAX_PRIOR_ORDERS),
);
const selectEarliestSamePlan = prepareQuery(
  (db, p: { customerId: string; planId: string; orderId: string }) =>
    db
      .selectFrom('orders')
      .select(['id', 'planId', 'purchasedAtMs'])
      .where('customerId', '=', p.customerId)
      .where('planId', '=', p.planId)
      .where('id', '!=', p.orderId)
      .orderBy('purchasedAtMs')
      .limit(1),
);
const selectAccount = prepareQuery((db, p: { customerId: string }) =>
  db.selectFrom('customers').select(['tosBreach', 'stressTesting']).where('id', '=', p.customerId),
);
const selectCustomerRefunds = prepareQuery((db, p: { customerId: string }) =>
  db
    .selectFrom('refunds')
    .innerJoin('orders', 'orders.id', 'refunds.orderId')
    .select(['refunds.orderId', 'refunds.amountMinor', 'refunds.kind', 'refunds.refundedAtMs'])
    .where('orders.customerId', '=', p.customerId),
);
const selectCompensations = prepareQuery((db, p: { orderId: string }) =>
  db
    .selectFrom('compensations')
    .select(['incidentId'])
    .where('orderId', '=', p.orderId)
    .orderBy('incidentId'),
);
const selectUsage = prepareQuery((db, p: { orderId: string; asOfMs: number }) =>
  db
    .selectFrom('usageReadings')
    .select(['trafficBytes', 'requests'])
    .where('orderId', '=', p.orderId)
    .where('asOfMs', '<=', p.asOfMs)
    .orderBy('asOfMs', 'desc')
    .limit(1),
);
const selectReports = prepareQuery((db, p: { orderId: string }) =>
  db
    .selectFrom('reports')
    .select(['reportedAtMs', 'cause', 'remediatedAtMs'])
    .where('orderId', '=', p.orderId)
    .orderBy('reportedAtMs')
    .orderBy('id'),
);
const selectChargebacks = prepareQuery((db, p: { orderId: string }) =>
  db.selectFrom('chargebacks').select(['status']).where('orderId', '=', p.orderId).orderBy('id'),
);
const selectIncidents = prepareQuery((db, p: { evaluatedAtMs: number; firstPurchaseMs: number }) =>
  db
    .selectFrom('incidents')
    .selectAll()
    .where('startsAtMs', '<=', p.evaluatedAtMs)
    // Older incidents can neither found a basis nor touch the service period.
    .where((eb) => eb.or([eb('endsAtMs', 'is', null), eb('endsAtMs', '>', p.firstPurchaseMs)]))
    .orderBy('startsAtMs')
    .orderBy('id'),
);

/** The order, or undefined when it does not exist. */
export function findOrder(db: Db, orderId: string): Promise<OrderTable | undefined> {
  return selectOrder.first(db, { id: orderId });
}

/** Returns undefined when the order does not exist. */
export async function assembleCase(
  db: Db,
  request: CaseRequestFacts,
): Promise<CaseInput | undefined> {
  const order = await findOrder(db, request.orderId);
  if (order === undefined) return undefined;
  return assembleCaseOfOrder(db, order, request);
}

/** The case of an order the caller has already read (for instance, locked in its transaction). */
export async function assembleCaseOfOrder(
  db: Db,
  order: OrderTable,
  request: Omit<CaseRequestFacts, 'orderId'>,
): Promise<CaseInput> {
  // The customer's other orders, newest first. When there are fewer than the bound, they are
  // all here, the earliest order of the same plan among them.
  const priorOrders = await selectPriorOrders.rows(db, {
    customerId: order.customerId,
    orderId: order.id,
  });
  // The earliest order of the same plan decides the window even when it is older than the
  // newest MAX_PRIOR_ORDERS.
  const earliestSamePlan =
    priorOrders.length < MAX_PRIOR_ORDERS
      ? earliestOf(priorOrders.filter((p) => p.planId === order.planId))
      : await selectEarliestSamePlan.first(db, {
          customerId: order.customerId,
          planId: order.planId,
          orderId: order.id,
        });
  const firstPurchaseMs = Math.min(
    order.purchasedAtMs,
    earliestSamePlan?.purchasedAtMs ?? order.purchasedAtMs,
  );
  const [customer, customerRefunds, compensations, usage, reports, chargebacks, incidents] =
    await Promise.all([
      selectAccount.first(db, { customerId: order.customerId }),
      // Every refund of the customer's orders, this one's included.
      selectCustomerRefunds.rows(db, { customerId: order.customerId }),
      selectCompensations.rows(db, { orderId: order.id }),
      selectUsage.first(db, { orderId: order.id, asOfMs: request.submittedAtMs }),
      selectReports.rows(db, { orderId: order.id }),
      selectChargebacks.rows(db, { orderId: order.id }),
      selectIncidents.rows(db, {
        evaluatedAtMs: request.evaluatedAtMs,
        firstPurchaseMs,
      }),
    ]);
  if (customer === undefined) throw new Error(`customer ${order.customerId} is missing`);
  const refunds = customerRefunds.filter((r) => r.orderId === order.id);
  const priorRefunds = customerRefunds.filter((r) => r.orderId !== order.id);

  const priors = new Map(priorOrders.map((p) => [p.id, p]));
  if (earliestSamePlan !== undefined) priors.set(earliestSamePlan.id, earliestSamePlan);

  // Per prior order: its latest customer-requested refund, else its latest compensation.
  const refundOf = new Map<string, { kind: 'requested' | 'compensation'; atMs: number }>();
  for (const refund of priorRefunds) {
    const seen = refundOf.get(refund.orderId);
    const better =
      seen === undefined ||
      (refund.kind === 'requested' && seen.kind === 'compensation') ||
      (refund.kind === seen.kind && refund.refundedAtMs > seen.atMs);
    if (better) refundOf.set(refund.orderId, { kind: refund.kind, atMs: refund.refundedAtMs });
  }

  const refundedMinor = refunds.reduce((sum, r) => sum + r.amountMinor, 0);
  return {
    evaluatedAt: formatInstant(request.evaluatedAtMs),
    order: {
      id: order.id,
      customerId: order.customerId,
      planId: order.planId,
      product: order.product as Product,
      channel: order.channel as CaseInput['order']['channel'],
      paymentMethod: order.paymentMethod as CaseInput['order']['paymentMethod'],
      amountCents: order.amountMinor,
      currency: order.currency,
      promoCreditsCents: order.promoCreditsMinor,
      purchasedAt: formatInstant(order.purchasedAtMs),
      servicePeriodDays: order.servicePeriodDays,
      refundedCents: Math.min(refundedMinor, order.amountMinor),
      compensatedIncidentIds: compensations.map((c) => c.incidentId),
    },
    priorOrders: [...priors.values()]
      .sort((a, b) => a.purchasedAtMs - b.purchasedAtMs || (a.id < b.id ? -1 : 1))
      .map((p) => {
        const refund = refundOf.get(p.id);
        return {
          id: p.id,
          planId: p.planId,
          purchasedAt: formatInstant(p.purchasedAtMs),
          refundedAt: refund === undefined ? null : formatInstant(refund.atMs),
          refundKind: refund?.kind ?? 'requested',
        };
      }),
    usage: { trafficBytes: usage?.trafficBytes ?? 0, requests: usage?.requests ?? 0 },
    reports: reports.map((r) => ({
      reportedAt: formatInstant(r.reportedAtMs),
      cause: r.cause as ReportCause,
      remediatedAt: instantOrNull(r.remediatedAtMs),
    })),
    incidents: incidents
      .map((i) => ({
        id: i.id,
        confirmedAt: instantOrNull(i.confirmedAtMs),
        startsAt: formatInstant(i.startsAtMs),
        endsAt: instantOrNull(i.endsAtMs),
        products: JSON.parse(i.productsJson) as Array<Product | 'all'>,
        widelyImpacting: i.widelyImpacting === 1,
      }))
      .filter((i) => i.products.includes('all') || i.products.includes(order.product as Product)),
    chargebacks: chargebacks.map((c) => ({ status: c.status })),
    account: { tosBreach: customer.tosBreach === 1, stressTesting: customer.stressTesting === 1 },
    request: {
      submittedAt: formatInstant(request.submittedAtMs),
      legallyRequired: request.legallyRequired,
    },
  };
}
