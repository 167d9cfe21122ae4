/**
 * Billing facts for the intake benchmark, generated inside the database (one INSERT … SELECT
 * per table over a series of integers: a recursive CTE on SQLite, generate_series on
 * PostgreSQL), so both engines hold the same rows, built from the same expressions:
 *
 * - 12 plans (2 per product), 200,000 customers, 5 orders each (1,000,000 orders);
 * - order 5c+4 is customer c's latest, bought 1–6 days ago (inside the refund window): the one
 *   the benchmark files a request on; orders 5c+0…5c+3 are older (46–186 days), some of the same
 *   plan, so every case carries prior orders;
 * - one usage reading per latest order, a report on every 4th customer's latest order (service
 *   or undetermined cause), 20 incidents over the last 200 days (two of them widely impacting).
 */
import { sql } from 'kysely';
import { PRODUCTS, PAYMENT_METHODS } from '../dist/index.js';

export const CUSTOMERS = 200_000;
export const ORDERS_PER_CUSTOMER = 5;
export const ORDERS = CUSTOMERS * ORDERS_PER_CUSTOMER;
const PLANS = 12;
const INCIDENTS = 20;
const DAY_MS = 24 * 60 * 60 * 1000;

/** The order a request of customer `c` is filed on (its latest). */
export function latestOrderId(c) {
  return `ord_${String(c * ORDERS_PER_CUSTOMER + ORDERS_PER_CUSTOMER - 1).padStart(7, '0')}`;
}

export function customerId(c) {
  return `cus_${String(c).padStart(7, '0')}`;
}

/** Customer `c`'s payment method (as the orders column below). */
export function paymentMethodOf(c) {
  return PAYMENT_METHODS[c % PAYMENT_METHODS.length];
}

function dialect(engine) {
  return engine === 'postgres'
    ? {
        pad: (expr, width) => `lpad(CAST(${expr} AS text), ${width}, '0')`,
        series: (n) => `WITH g(i) AS (SELECT generate_series(0, ${n - 1}))`,
      }
    : {
        pad: (expr, width) => `printf('%0${width}d', ${expr})`,
        series: (n) =>
          `WITH RECURSIVE g(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM g WHERE i < ${n - 1})`,
      };
}

/** `CASE expr WHEN 0 THEN 'a' WHEN 1 THEN 'b' … END` over a list of strings. */
function pick(expr, values) {
  return `CASE ${expr} ${values.map((v, k) => `WHEN ${k} THEN '${v}'`).join(' ')} END`;
}

/** Fills an empty, migrated store; returns the row counts written. `nowMs` anchors all instants. */
export async function seedFacts(store, nowMs) {
  const { pad, series } = dialect(store.engine);
  const db = store.db;
  const day = `CAST(${DAY_MS} AS bigint)`;
  const run = (text) => sql.raw(text).execute(db);

  await db
    .insertInto('plans')
    .values(
      Array.from({ length: PLANS }, (_, k) => ({
        id: `plan_${String(k).padStart(2, '0')}`,
        product: PRODUCTS[k % PRODUCTS.length],
        name: `${PRODUCTS[k % PRODUCTS.length]}-${k < PRODUCTS.length ? 'monthly' : 'pro'}`,
        servicePeriodDays: 30,
        createdAtMs: nowMs,
      })),
    )
    .execute();

  await run(`${series(CUSTOMERS)}
    INSERT INTO customers (id, email, name, tos_breach, stress_testing, kyc_status, created_at_ms, updated_at_ms)
    SELECT 'cus_' || ${pad('i', 7)}, 'c' || ${pad('i', 7)} || '@example.com', 'Customer ' || ${pad('i', 7)},
           CASE WHEN i % 97 = 0 THEN 1 ELSE 0 END, 0, 'not_required', ${nowMs}, ${nowMs}
    FROM g`);

  // Order i belongs to customer c = i / 5 (integer division on both engines), position j = i % 5.
  const c = `(i / ${ORDERS_PER_CUSTOMER})`;
  const j = `(i % ${ORDERS_PER_CUSTOMER})`;
  const plan = `((${c} + ${j} % 3) % ${PLANS})`;
  await run(`${series(ORDERS)}
    INSERT INTO orders (id, customer_id, plan_id, product, channel, payment_method, provider, charge_ref,
                        amount_minor, currency, promo_credits_minor, purchased_at_ms, service_period_days,
                        email, created_at_ms)
    SELECT 'ord_' || ${pad('i', 7)}, 'cus_' || ${pad(c, 7)}, 'plan_' || ${pad(plan, 2)},
           ${pick(`(${plan} % ${PRODUCTS.length})`, PRODUCTS)},
           CASE WHEN ${c} % 10 = 9 THEN 'reseller' ELSE 'official_site' END,
           ${pick(`(${c} % ${PAYMENT_METHODS.length})`, PAYMENT_METHODS)},
           CASE WHEN ${c} % ${PAYMENT_METHODS.length} = 3 THEN 'coinpay' ELSE 'stripe' END,
           'ch_' || ${pad('i', 7)}, 1000 + (i % 50) * 100, 'USD', 0,
           ${nowMs} - ((${ORDERS_PER_CUSTOMER - 1} - ${j}) * 45 + 1 + ${c} % 6) * ${day}, 30,
           'c' || ${pad(c, 7)} || '@example.com', ${nowMs}
    FROM g`);

  // Customer i's latest order: 5i+4, bought (1 + i % 6) days ago.
  const latest = `'ord_' || ${pad(`(i * ${ORDERS_PER_CUSTOMER} + ${ORDERS_PER_CUSTOMER - 1})`, 7)}`;
  const boughtMs = `(${nowMs} - (1 + i % 6) * ${day})`;
  await run(`${series(CUSTOMERS)}
    INSERT INTO usage_readings (order_id, as_of_ms, traffic_bytes, requests)
    SELECT ${latest}, ${boughtMs} + ${DAY_MS / 2}, (i % 1000) * 1000000, i % 500
    FROM g`);

  await run(`${series(CUSTOMERS)}
    INSERT INTO reports (id, order_id, reported_at_ms, cause, remediated_at_ms, description, created_at_ms, updated_at_ms)
    SELECT 'rep_' || ${pad('i', 7)}, ${latest}, ${boughtMs} + ${DAY_MS / 4},
           CASE WHEN i % 8 = 1 THEN 'service' ELSE 'undetermined' END, NULL, 'proxies time out',
           ${nowMs}, ${nowMs}
    FROM g WHERE i % 4 = 1`);

  await db
    .insertInto('incidents')
    .values(
      Array.from({ length: INCIDENTS }, (_, k) => {
        const startsAtMs = nowMs - (200 - k * 10) * DAY_MS;
        return {
          id: `inc_${String(k).padStart(3, '0')}`,
          title: `Gateway incident ${k}`,
          productsJson: JSON.stringify(k % 5 === 0 ? ['all'] : [PRODUCTS[k % PRODUCTS.length]]),
          widelyImpacting: k % 10 === 3 ? 1 : 0,
          startsAtMs,
          endsAtMs: startsAtMs + DAY_MS / 2,
          confirmedAtMs: startsAtMs + DAY_MS,
          createdAtMs: nowMs,
          updatedAtMs: nowMs,
        };
      }),
    )
    .execute();

  if (store.engine === 'postgres') await run('ANALYZE');

  const count = async (table) => {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };
  const counts = {
    customers: await count('customers'),
    orders: await count('orders'),
    usageReadings: await count('usageReadings'),
    reports: await count('reports'),
    incidents: await count('incidents'),
  };
  if (counts.orders !== ORDERS || counts.customers !== CUSTOMERS) {
    throw new Error(`seeding wrote ${JSON.stringify(counts)}`);
  }
  return counts;
}
