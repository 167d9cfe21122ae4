/** Reading stored billing facts back, as the API shows them. Every list is bounded. */
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import { findOrder } from '../facts.js';
import {
  chargebackView,
  customerView,
  orderView,
  planView,
  refundView,
  reportView,
  usageView,
  type ChargebackView,
  type CustomerView,
  type OrderView,
  type PlanView,
  type RefundView,
  type ReportView,
  type UsageView,
} from './views.js';

/** The newest usage readings shown with an order. */
export const MAX_USAGE_READINGS_SHOWN = 100;
/** Reports, chargebacks and refunds shown with an order (oldest first). */
export const MAX_ORDER_FACTS_SHOWN = 500;

export async function getCustomer(
  db: Kysely<Database>,
  id: string,
): Promise<CustomerView | undefined> {
  const row = await db.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirst();
  return row && customerView(row);
}

export interface OrderFacts {
  readonly order: OrderView;
  readonly plan: PlanView;
  /** Sum of the refunds stored on the order, in minor units of its currency. */
  readonly refundedMinor: number;
  /** Newest first, at most MAX_USAGE_READINGS_SHOWN. */
  readonly usage: readonly UsageView[];
  readonly reports: readonly ReportView[];
  readonly chargebacks: readonly ChargebackView[];
  readonly refunds: readonly RefundView[];
  /** Incidents already compensated on this order, by refund or service extension. */
  readonly compensations: ReadonlyArray<{
    readonly incidentId: string;
    readonly kind: string;
    readonly at: string;
  }>;
}

/** The order with its facts, or undefined when no such order is stored. */
export async function getOrderFacts(
  db: Kysely<Database>,
  id: string,
): Promise<OrderFacts | undefined> {
  const order = await findOrder(db, id);
  if (order === undefined) return undefined;
  const [plan, usage, reports, chargebacks, refunds, compensations, refundTotal] =
    await Promise.all([
      db.selectFrom('plans').selectAll().where('id', '=', order.planId).executeTakeFirstOrThrow(),
      db
        .selectFrom('usageReadings')
        .selectAll()
        .where('orderId', '=', id)
        .orderBy('asOfMs', 'desc')
        .limit(MAX_USAGE_READINGS_SHOWN)
        .execute(),
      db
        .selectFrom('reports')
        .selectAll()
        .where('orderId', '=', id)
        .orderBy('reportedAtMs')
        .orderBy('id')
        .limit(MAX_ORDER_FACTS_SHOWN)
        .execute(),
      db
        .selectFrom('chargebacks')
        .selectAll()
        .where('orderId', '=', id)
        .orderBy('openedAtMs')
        .orderBy('id')
        .limit(MAX_ORDER_FACTS_SHOWN)
        .execute(),
      db
        .selectFrom('refunds')
        .selectAll()
        .where('orderId', '=', id)
        .orderBy('refundedAtMs')
        .orderBy('id')
        .limit(MAX_ORDER_FACTS_SHOWN)
        .execute(),
      db
        .selectFrom('compensations')
        .selectAll()
        .where('orderId', '=', id)
        .orderBy('incidentId')
        .limit(MAX_ORDER_FACTS_SHOWN)
        .execute(),
      db.selectFrom('refunds').select('amountMinor').where('orderId', '=', id).execute(),
    ]);
  return {
    order: orderView(order),
    plan: planView(plan),
    refundedMinor: refundTotal.reduce((sum, r) => sum + r.amountMinor, 0),
    usage: usage.map(usageView),
    reports: reports.map(reportView),
    chargebacks: chargebacks.map(chargebackView),
    refunds: refunds.map(refundView),
    compensations: compensations.map((c) => ({
      incidentId: c.incidentId,
      kind: c.kind,
      at: new Date(c.atMs).toISOString(),
    })),
  };
}
