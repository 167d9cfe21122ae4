/**
 * Demo data for a fresh embedded database: customers, a plan and an order of every product, a
 * confirmed incident, usage, reports, and refund requests that land in different outcomes.
 * Dated relative to the clock, so the outcomes hold whenever the demo is loaded.
 */
import { appendAudit } from '../app/audit.js';
import { bootstrapAdmin } from '../app/auth/staff.js';
import { submitRefundRequest } from '../app/requests/intake.js';
import type { DeskDeps, Origin } from '../app/context.js';
import { DAY_MS, formatInstant, HOUR_MS, PRODUCTS, type Product } from '../engine/index.js';

export const DEMO_ORIGIN: Origin = { actor: { kind: 'system', id: 'demo' }, ip: null };

export const DEMO_STAFF = {
  email: 'admin@demo.refund-desk.local',
  password: 'demo-password-change-me',
} as const;

interface DemoOrder {
  readonly id: string;
  readonly customer: string;
  readonly product: Product;
  readonly paymentMethod: 'card' | 'paypal' | 'bank' | 'crypto';
  readonly amountMinor: number;
  readonly currency: string;
  readonly purchasedAgoMs: number;
}

const CUSTOMERS = [
  { id: 'cus_demo_alice', name: 'Alice Example', email: 'alice@demo.refund-desk.local' },
  { id: 'cus_demo_bob', name: 'Bob Example', email: 'bob@demo.refund-desk.local' },
  { id: 'cus_demo_chen', name: 'Chen Example', email: 'chen@demo.refund-desk.local' },
  { id: 'cus_demo_dana', name: 'Dana Example', email: 'dana@demo.refund-desk.local' },
  { id: 'cus_demo_emil', name: 'Emil Example', email: 'emil@demo.refund-desk.local' },
] as const;

/** One order per product; the first five carry the demo requests' stories. */
export const DEMO_ORDERS: readonly DemoOrder[] = [
  // Full refund: a confirmed, widely impacting incident in its first 7 days.
  {
    id: 'ord_demo_incident',
    customer: 'cus_demo_alice',
    product: 'static_isp',
    paymentMethod: 'card',
    amountMinor: 8_800,
    currency: 'USD',
    purchasedAgoMs: 3 * DAY_MS,
  },
  // Pending: a service report still inside its 15-day remediation window.
  {
    id: 'ord_demo_pending',
    customer: 'cus_demo_bob',
    product: 'dynamic_residential',
    paymentMethod: 'paypal',
    amountMinor: 4_900,
    currency: 'EUR',
    purchasedAgoMs: 4 * DAY_MS,
  },
  // Manual review: a report whose cause is still undetermined.
  {
    id: 'ord_demo_review',
    customer: 'cus_demo_chen',
    product: 'datacenter',
    paymentMethod: 'bank',
    amountMinor: 12_000,
    currency: 'USD',
    purchasedAgoMs: 2 * DAY_MS,
  },
  // Pro-rata: past the window, hit by the incident later in its service period.
  {
    id: 'ord_demo_prorata',
    customer: 'cus_demo_dana',
    product: 'static_isp',
    paymentMethod: 'card',
    amountMinor: 3_000_000,
    currency: 'JPY',
    purchasedAgoMs: 20 * DAY_MS,
  },
  // Denied: paid in crypto.
  {
    id: 'ord_demo_crypto',
    customer: 'cus_demo_emil',
    product: 'mobile_dynamic',
    paymentMethod: 'crypto',
    amountMinor: 15_000,
    currency: 'USD',
    purchasedAgoMs: 1 * DAY_MS,
  },
  {
    id: 'ord_demo_mobile_static',
    customer: 'cus_demo_alice',
    product: 'mobile_static',
    paymentMethod: 'card',
    amountMinor: 9_900,
    currency: 'USD',
    purchasedAgoMs: 10 * DAY_MS,
  },
  {
    id: 'ord_demo_unlimited',
    customer: 'cus_demo_bob',
    product: 'unlimited',
    paymentMethod: 'card',
    amountMinor: 29_900,
    currency: 'USD',
    purchasedAgoMs: 12 * DAY_MS,
  },
];

export const DEMO_INCIDENT_ID = 'inc_demo_isp_outage';

/** True when the database has no customers yet (the demo loads only into an empty desk). */
export async function isEmpty(deps: DeskDeps): Promise<boolean> {
  const row = await deps.store.db.selectFrom('customers').select('id').limit(1).executeTakeFirst();
  return row === undefined;
}

export async function loadDemoFacts(deps: DeskDeps): Promise<void> {
  const nowMs = deps.clock.nowMs();
  await deps.store.db.transaction().execute(async (trx) => {
    for (const c of CUSTOMERS) {
      await trx
        .insertInto('customers')
        .values({
          ...c,
          tosBreach: 0,
          stressTesting: 0,
          kycStatus: 'not_required',
          createdAtMs: nowMs,
          updatedAtMs: nowMs,
        })
        .execute();
    }
    for (const product of PRODUCTS) {
      await trx
        .insertInto('plans')
        .values({
          id: `plan_demo_${product}`,
          product,
          name: `${product.replace(/_/g, ' ')} 30 days`,
          servicePeriodDays: 30,
          createdAtMs: nowMs,
        })
        .execute();
    }
    for (const o of DEMO_ORDERS) {
      const customer = CUSTOMERS.find((c) => c.id === o.customer);
      if (customer === undefined) throw new Error(`demo order ${o.id} names no customer`);
      await trx
        .insertInto('orders')
        .values({
          id: o.id,
          customerId: o.customer,
          planId: `plan_demo_${o.product}`,
          product: o.product,
          channel: 'official_site',
          paymentMethod: o.paymentMethod,
          provider: { card: 'stripe', paypal: 'paypal', bank: 'bank', crypto: 'crypto' }[
            o.paymentMethod
          ],
          chargeRef: `ch_demo_${o.id.slice('ord_demo_'.length)}`,
          amountMinor: o.amountMinor,
          currency: o.currency,
          promoCreditsMinor: 0,
          purchasedAtMs: nowMs - o.purchasedAgoMs,
          servicePeriodDays: 30,
          email: customer.email,
          createdAtMs: nowMs,
        })
        .execute();
      await trx
        .insertInto('usageReadings')
        .values({ orderId: o.id, asOfMs: nowMs - HOUR_MS, trafficBytes: 40_000_000, requests: 350 })
        .execute();
    }
    await trx
      .insertInto('incidents')
      .values({
        id: DEMO_INCIDENT_ID,
        title: 'Static ISP pool outage in eu-west',
        productsJson: JSON.stringify(['static_isp']),
        widelyImpacting: 1,
        startsAtMs: nowMs - 2 * DAY_MS,
        endsAtMs: nowMs - 2 * DAY_MS + 10 * HOUR_MS,
        confirmedAtMs: nowMs - 1 * DAY_MS,
        createdAtMs: nowMs,
        updatedAtMs: nowMs,
      })
      .execute();
    await trx
      .insertInto('reports')
      .values([
        {
          id: 'rep_demo_pending',
          orderId: 'ord_demo_pending',
          reportedAtMs: nowMs - 3 * DAY_MS,
          cause: 'service',
          remediatedAtMs: null,
          description: 'Every request through the gateway times out.',
          createdAtMs: nowMs,
          updatedAtMs: nowMs,
        },
        {
          id: 'rep_demo_review',
          orderId: 'ord_demo_review',
          reportedAtMs: nowMs - 1 * DAY_MS,
          cause: 'undetermined',
          remediatedAtMs: null,
          description: 'Connections drop after a few seconds.',
          createdAtMs: nowMs,
          updatedAtMs: nowMs,
        },
      ])
      .execute();
    await appendAudit(trx, deps.store.engine, DEMO_ORIGIN, nowMs, {
      action: 'demo.loaded',
      entityKind: 'desk',
      entityId: 'demo',
      after: { customers: CUSTOMERS.length, orders: DEMO_ORDERS.length, incidents: 1 },
    });
  });
}

/** The demo requests: one per story in DEMO_ORDERS, filed through the real intake path. */
const DEMO_REQUESTS: ReadonlyArray<{ orderId: string; description: string }> = [
  {
    orderId: 'ord_demo_incident',
    description: 'The proxies were down for most of a day during the outage.',
  },
  {
    orderId: 'ord_demo_pending',
    description: 'Every request through the gateway still times out.',
  },
  {
    orderId: 'ord_demo_review',
    description: 'Connections drop after a few seconds; logs attached.',
  },
  { orderId: 'ord_demo_prorata', description: 'Service was unusable during the eu-west outage.' },
  { orderId: 'ord_demo_crypto', description: 'Not what I expected, please refund.' },
];

/** Facts, a staff admin, and refund requests that land in every outcome. */
export async function loadDemo(deps: DeskDeps): Promise<void> {
  await loadDemoFacts(deps);
  const admin = await bootstrapAdmin(
    deps,
    { email: DEMO_STAFF.email, name: 'Demo Admin', password: DEMO_STAFF.password },
    DEMO_ORIGIN,
  );
  if (!admin.ok && admin.error.code !== 'admin_exists') {
    throw new Error(`demo admin could not be created: ${admin.error.code}`);
  }
  for (const story of DEMO_REQUESTS) {
    const order = DEMO_ORDERS.find((o) => o.id === story.orderId);
    if (order === undefined) throw new Error(`demo request names unknown order ${story.orderId}`);
    const origin: Origin = { actor: { kind: 'customer', id: order.customer }, ip: null };
    const result = await submitRefundRequest(
      deps,
      origin,
      order.customer,
      {
        orderId: order.id,
        paymentMethod: order.paymentMethod,
        description: story.description,
        networkContext: {
          targetSites: ['example.com'],
          // Complete materials: the review case starts its SLA clock at intake.
          timestamps: [formatInstant(deps.clock.nowMs() - DAY_MS)],
          egressCidrs: ['203.0.113.0/24'],
          clientConfig: 'curl 8.5 through http://gateway:8000',
        },
        contact: { email: CUSTOMERS.find((c) => c.id === order.customer)?.email ?? null, im: null },
      },
      [],
    );
    if (!result.ok)
      throw new Error(`demo request on ${order.id} was refused: ${result.error.code}`);
  }
}
