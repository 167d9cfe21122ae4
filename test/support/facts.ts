/**
 * Billing-fact fixtures: inputs as the billing system sends them (API shape), and stores seeded
 * through the real use cases, named by the state they build. Ids are unique per call, so tests
 * sharing one store per engine never collide.
 */
import { randomBytes } from 'node:crypto';
import { createApiKey, type ApiKeyScope } from '../../src/app/auth/api-keys.js';
import { SYSTEM_ORIGIN, type AppContext } from '../../src/app/context.js';
import type { FactKind } from '../../src/app/facts/schemas.js';
import { writeFact, type FactWrite } from '../../src/app/facts/write.js';
import { openStore } from '../../src/store/connect.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { deskOver, staffSessionCookie } from './people.js';

/** Instants the fact fixtures use. */
export const PURCHASED_AT = '2026-03-01T09:00:00.000Z';
export const INCIDENT_STARTS_AT = '2026-03-02T00:00:00.000Z';

/** `cus_ab12cd34` style: a prefix and 8 random hex characters. */
export function uniqueId(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

type Input = Record<string, unknown>;

export function customerInput(overrides: Input = {}): Input {
  const id = (overrides['id'] as string | undefined) ?? uniqueId('cus');
  return { id, email: `${id}@example.com`, name: 'Ada Customer', ...overrides };
}

export function planInput(overrides: Input = {}): Input {
  return {
    id: uniqueId('plan'),
    product: 'static_isp',
    name: 'ISP 30 days',
    servicePeriodDays: 30,
    ...overrides,
  };
}

export function orderInput(customerId: string, planId: string, overrides: Input = {}): Input {
  const id = (overrides['id'] as string | undefined) ?? uniqueId('ord');
  return {
    id,
    customerId,
    planId,
    channel: 'official_site',
    paymentMethod: 'card',
    provider: 'stripe',
    chargeRef: `ch_${id}`,
    amountMinor: 8_800,
    currency: 'USD',
    purchasedAt: PURCHASED_AT,
    servicePeriodDays: 30,
    email: `${customerId}@example.com`,
    ...overrides,
  };
}

export function usageInput(orderId: string, overrides: Input = {}): Input {
  return {
    orderId,
    asOf: '2026-03-03T09:00:00.000Z',
    trafficBytes: 1_000_000,
    requests: 120,
    ...overrides,
  };
}

export function reportInput(orderId: string, overrides: Input = {}): Input {
  return {
    id: uniqueId('rep'),
    orderId,
    reportedAt: '2026-03-02T12:00:00.000Z',
    cause: 'service',
    description: 'Every request times out',
    ...overrides,
  };
}

export function incidentInput(overrides: Input = {}): Input {
  return {
    id: uniqueId('inc'),
    title: 'ISP pool outage',
    products: ['static_isp'],
    widelyImpacting: true,
    startsAt: INCIDENT_STARTS_AT,
    endsAt: '2026-03-02T06:00:00.000Z',
    confirmedAt: '2026-03-02T07:00:00.000Z',
    ...overrides,
  };
}

export function chargebackInput(orderId: string, overrides: Input = {}): Input {
  return {
    id: uniqueId('cb'),
    orderId,
    status: 'open',
    openedAt: '2026-03-04T09:00:00.000Z',
    ...overrides,
  };
}

export function refundInput(orderId: string, overrides: Input = {}): Input {
  return {
    id: uniqueId('ref'),
    orderId,
    amountMinor: 1_000,
    kind: 'requested',
    refundedAt: '2026-03-05T09:00:00.000Z',
    ...overrides,
  };
}

/** Writes a fact through the use case; the fixture fails loudly if the write is refused. */
export async function mustWrite(ctx: AppContext, kind: FactKind, input: Input): Promise<FactWrite> {
  const result = await writeFact(ctx, SYSTEM_ORIGIN, kind, input);
  if (!result.ok) throw new Error(`test fixture ${kind}: ${JSON.stringify(result.error)}`);
  return result.value;
}

export interface SeededCustomerAndPlan {
  readonly customerId: string;
  readonly planId: string;
}

/** A customer and a static_isp plan, no orders. */
export async function seedCustomerAndPlan(ctx: AppContext): Promise<SeededCustomerAndPlan> {
  const customer = customerInput();
  const plan = planInput();
  await mustWrite(ctx, 'customer', customer);
  await mustWrite(ctx, 'plan', plan);
  return { customerId: customer['id'] as string, planId: plan['id'] as string };
}

export interface SeededOrder extends SeededCustomerAndPlan {
  readonly orderId: string;
  readonly amountMinor: number;
}

/** A customer with one 88.00 USD static_isp card order bought at PURCHASED_AT. */
export async function seedOrder(ctx: AppContext, overrides: Input = {}): Promise<SeededOrder> {
  const { customerId, planId } = await seedCustomerAndPlan(ctx);
  const order = orderInput(customerId, planId, overrides);
  await mustWrite(ctx, 'order', order);
  return {
    customerId,
    planId,
    orderId: order['id'] as string,
    amountMinor: order['amountMinor'] as number,
  };
}

/** An order already refunded `refundedMinor` (one requested refund). */
export async function seedOrderWithRefund(
  ctx: AppContext,
  refundedMinor: number,
): Promise<SeededOrder & { readonly refundId: string }> {
  const seeded = await seedOrder(ctx);
  const refund = refundInput(seeded.orderId, { amountMinor: refundedMinor });
  await mustWrite(ctx, 'refund', refund);
  return { ...seeded, refundId: refund['id'] as string };
}

/** A confirmed, widely impacting static_isp incident. */
export async function seedIncident(ctx: AppContext): Promise<string> {
  const incident = incidentInput();
  await mustWrite(ctx, 'incident', incident);
  return incident['id'] as string;
}

/** An API key holding exactly `scopes`; returns the whole key for `Authorization: Bearer`. */
export async function apiKeyWithScopes(
  ctx: AppContext,
  scopes: readonly ApiKeyScope[],
): Promise<string> {
  const { key } = await createApiKey(ctx, SYSTEM_ORIGIN, { name: 'billing test', scopes });
  return key;
}

/** The audit entries written about one entity, oldest first, with before/after parsed. */
export async function auditEntriesOf(
  ctx: AppContext,
  entityKind: string,
  entityId: string,
): Promise<Array<{ action: string; actorKind: string; before: unknown; after: unknown }>> {
  const rows = await ctx.store.db
    .selectFrom('auditLog')
    .select(['action', 'actorKind', 'beforeJson', 'afterJson'])
    .where('entityKind', '=', entityKind)
    .where('entityId', '=', entityId)
    .orderBy('seq')
    .execute();
  return rows.map((r) => ({
    action: r.action,
    actorKind: r.actorKind,
    before: r.beforeJson === null ? undefined : (JSON.parse(r.beforeJson) as unknown),
    after: r.afterJson === null ? undefined : (JSON.parse(r.afterJson) as unknown),
  }));
}

/** A desk over a fresh in-memory SQLite store and an admin cookie (the fact suites cover both engines). */
async function factDeskInMemory() {
  const store = openStore({ url: ':memory:' });
  await migrateToLatest(store.db);
  const desk = deskOver(store);
  const cookie = await staffSessionCookie(desk.deps, 'admin');
  return { desk, cookie };
}

function putJson(body: unknown, cookie: string): RequestInit {
  return {
    method: 'PUT',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', cookie },
  };
}

/** One trigger per problem code of the billing-fact routes (test/http/problems.test.ts). */
export const FACT_PROBLEM_TRIGGERS = {
  unknown_reference: async (): Promise<Response> => {
    const { desk, cookie } = await factDeskInMemory();
    return desk.app.request(
      '/v1/orders/ord_1',
      putJson(orderInput('cus_missing', 'plan_missing', { id: 'ord_1' }), cookie),
    );
  },
  inconsistent_facts: async (): Promise<Response> => {
    const { desk, cookie } = await factDeskInMemory();
    const { customerId, planId } = await seedCustomerAndPlan(desk.deps);
    return desk.app.request(
      '/v1/orders/ord_1',
      putJson(orderInput(customerId, planId, { id: 'ord_1', product: 'datacenter' }), cookie),
    );
  },
} as const;
