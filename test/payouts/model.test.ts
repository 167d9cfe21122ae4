/**
 * Model-based test of the payout path (fast-check commands) on both engines: approve, pay (the
 * worker), reconcile, retry (staff, after a decline), provider webhooks duplicated or reordered,
 * the provider settling a pending refund, and crashes (the worker dies at a step of the path;
 * its lease then runs out). After every command:
 *
 * - at most one provider refund per refund (payout);
 * - per order, refunded + in flight ≤ paid, and what the provider paid out ≤ paid;
 * - payout states only move forward, and each payout's audit entries chain its states one
 *   transition at a time (one entry per transition, none missing, none twice);
 * - every case's state log follows the transition table, with one audit entry per move.
 *
 * At the end the provider is reachable and everything is drained: no payout stays unknown, and
 * every succeeded payout has exactly one provider refund.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DeskDeps } from '../../src/app/context.js';
import { retryPayout } from '../../src/app/payouts/desk.js';
import { IN_FLIGHT_STATUSES } from '../../src/app/payouts/ledger.js';
import { applyProviderEvent } from '../../src/app/payouts/webhooks.js';
import { TRANSITIONS, isCaseEvent, type CaseState } from '../../src/domain/case-state.js';
import { reconcilePayouts } from '../../src/payouts/reconciler.js';
import { deliverPayouts, type PayoutStep } from '../../src/payouts/worker.js';
import type { PayoutStatus } from '../../src/store/schema.js';
import { PayoutDouble } from '../support/payout-double.js';
import { deskOver, type TestDesk } from '../support/people.js';
import { describeEachEngine } from '../support/stores.js';
import { REVIEWER, seedApprovedCase, seedPaidOrder, type PaidOrder } from './fixtures.js';

const LEASE_MS = 60_000;
const RANK: Record<PayoutStatus, number> = {
  queued: 0,
  unknown: 1,
  pending: 2,
  succeeded: 3,
  declined: 3,
};

class Crash extends Error {}

interface World {
  readonly deps: DeskDeps;
  readonly desk: TestDesk;
  readonly provider: PayoutDouble;
  readonly orders: PaidOrder[];
  readonly requests: string[];
  readonly lastStatus: Map<string, PayoutStatus>;
  eventSeq: number;
}

/** A command acts, then every invariant is checked. */
abstract class Cmd implements fc.AsyncCommand<object, World> {
  check(): boolean {
    return true;
  }
  async run(_: object, world: World): Promise<void> {
    await this.act(world);
    await checkInvariants(world);
  }
  abstract act(world: World): Promise<void>;
  abstract toString(): string;
}

const advance = (world: World) => world.desk.clock.advance(2 * 3_600_000);

async function runWorker(world: World, crashAt?: PayoutStep): Promise<void> {
  try {
    await deliverPayouts(world.deps, {
      workerId: 'w',
      providers: { card: world.provider },
      leaseMs: LEASE_MS,
      ...(crashAt === undefined
        ? {}
        : {
            onStep: (step: PayoutStep) => {
              if (step === crashAt) throw new Crash(step);
            },
          }),
    });
  } catch (error) {
    if (!(error instanceof Crash)) throw error;
  }
}

async function runReconciler(world: World): Promise<void> {
  await reconcilePayouts(world.deps, {
    workerId: 'r',
    providers: { card: world.provider },
    leaseMs: LEASE_MS,
  });
}

class Approve extends Cmd {
  constructor(
    readonly orderIndex: number,
    readonly amountMinor: number,
  ) {
    super();
  }
  async act(world: World) {
    const order = world.orders[this.orderIndex % world.orders.length];
    if (order === undefined) return;
    const { requestId } = await seedApprovedCase(world.deps, order, this.amountMinor);
    world.requests.push(requestId);
  }
  toString() {
    return `approve(${this.orderIndex}, ${this.amountMinor})`;
  }
}

class Pay extends Cmd {
  async act(world: World) {
    await runWorker(world);
  }
  toString() {
    return 'pay';
  }
}

class Reconcile extends Cmd {
  async act(world: World) {
    advance(world);
    await runReconciler(world);
  }
  toString() {
    return 'reconcile';
  }
}

class CrashWorker extends Cmd {
  constructor(readonly step: PayoutStep) {
    super();
  }
  async act(world: World) {
    await runWorker(world, this.step);
    advance(world); // the dead worker's leases run out
  }
  toString() {
    return `crash(${this.step})`;
  }
}

class Retry extends Cmd {
  async act(world: World) {
    const failed = await world.deps.store.db
      .selectFrom('payouts')
      .innerJoin('refundRequests', 'refundRequests.id', 'payouts.requestId')
      .select('payouts.id')
      .where('payouts.status', '=', 'declined')
      .where('refundRequests.state', '=', 'payout_failed')
      .where('payouts.requestId', 'in', world.requests.length > 0 ? world.requests : [''])
      .orderBy('payouts.id')
      .limit(1)
      .executeTakeFirst();
    if (failed === undefined) return;
    const retried = await retryPayout(world.deps, REVIEWER, failed.id, 'retry');
    if (!retried.ok)
      expect(['ledger_refused', 'payout_state_conflict']).toContain(retried.error.code);
  }
  toString() {
    return 'retry';
  }
}

class Webhook extends Cmd {
  constructor(
    readonly pick: number,
    readonly mode: 'current' | 'duplicate' | 'stale',
  ) {
    super();
  }
  async act(world: World) {
    const made = world.provider.made;
    const refund = made[this.pick % Math.max(made.length, 1)];
    if (refund === undefined) return;
    const outcome =
      this.mode === 'stale' || refund.status === 'pending'
        ? { kind: 'pending' as const, providerRefundId: refund.providerRefundId }
        : refund.status === 'succeeded'
          ? { kind: 'succeeded' as const, providerRefundId: refund.providerRefundId }
          : { kind: 'declined' as const, code: 'refund_failed', reason: 'failed at the bank' };
    world.eventSeq += 1;
    const event = {
      provider: 'stripe' as const,
      eventId: `evt_${world.eventSeq}`,
      eventType: 'refund.updated',
      occurredAtMs: world.desk.clock.nowMs(),
      refund: {
        providerRefundId: refund.providerRefundId,
        refundId: refund.refundId,
        amountMinor: refund.amountMinor,
        currency: refund.currency,
        outcome,
      },
    };
    await applyProviderEvent(world.deps, event);
    if (this.mode === 'duplicate') {
      expect(await applyProviderEvent(world.deps, event)).toBe('duplicate');
    }
  }
  toString() {
    return `webhook(${this.pick}, ${this.mode})`;
  }
}

class ProviderSettles extends Cmd {
  constructor(
    readonly pick: number,
    readonly status: 'succeeded' | 'failed',
  ) {
    super();
  }
  act(world: World) {
    const pending = world.provider.made.filter((m) => m.status === 'pending');
    const refund = pending[this.pick % Math.max(pending.length, 1)];
    if (refund !== undefined) world.provider.settle(refund.providerRefundId, this.status);
    return Promise.resolve();
  }
  toString() {
    return `provider_settles(${this.pick}, ${this.status})`;
  }
}

async function checkInvariants(world: World): Promise<void> {
  const { db } = world.deps.store;
  const requestIds = world.requests.length > 0 ? world.requests : [''];
  // At most one provider refund per refund.
  for (const [refundId, refunds] of world.provider.refundsByRefundId()) {
    expect(refunds, `provider refunds of ${refundId}`).toHaveLength(1);
  }
  // Never more than paid, in our ledger or at the provider.
  for (const order of world.orders) {
    const payouts = await db
      .selectFrom('payouts')
      .select(['amountMinor', 'status'])
      .where('orderId', '=', order.orderId)
      .execute();
    const held = payouts
      .filter((p) => p.status === 'succeeded' || IN_FLIGHT_STATUSES.includes(p.status))
      .reduce((sum, p) => sum + p.amountMinor, 0);
    expect(held).toBeLessThanOrEqual(order.amountMinor);
    const paidOut = world.provider.made
      .filter((m) => m.chargeRef === order.chargeRef && m.status !== 'failed')
      .reduce((sum, m) => sum + m.amountMinor, 0);
    expect(paidOut).toBeLessThanOrEqual(order.amountMinor);
  }
  // Payout states only forward; one audit entry per payout transition.
  const payouts = await db
    .selectFrom('payouts')
    .select(['id', 'status'])
    .where('requestId', 'in', requestIds)
    .execute();
  for (const payout of payouts) {
    const before = world.lastStatus.get(payout.id);
    if (before !== undefined) {
      expect(RANK[payout.status]).toBeGreaterThanOrEqual(RANK[before]);
      if (RANK[before] === 3) expect(payout.status).toBe(before);
    }
    world.lastStatus.set(payout.id, payout.status);
    const entries = await db
      .selectFrom('auditLog')
      .select(['action', 'beforeJson', 'afterJson'])
      .where('entityKind', '=', 'payout')
      .where('entityId', '=', payout.id)
      .orderBy('seq')
      .execute();
    let status: string | undefined;
    for (const entry of entries) {
      const from =
        entry.beforeJson === null
          ? undefined
          : (JSON.parse(entry.beforeJson) as { status: string }).status;
      const to = (JSON.parse(entry.afterJson ?? '{}') as { status: string }).status;
      expect(from).toBe(status);
      if (status !== undefined) {
        expect(RANK[to as PayoutStatus]).toBeGreaterThan(RANK[status as PayoutStatus]);
      }
      status = to;
    }
    expect(status).toBe(payout.status);
  }
  // Case moves follow the table, one audit entry each.
  for (const requestId of world.requests) {
    const log = await db
      .selectFrom('caseTransitions')
      .select(['seq', 'event', 'fromState', 'toState'])
      .where('requestId', '=', requestId)
      .orderBy('seq')
      .execute();
    for (const [i, row] of log.entries()) {
      if (i === 0) continue;
      expect(row.fromState).toBe(log[i - 1]?.toState);
      expect(isCaseEvent(row.event)).toBe(true);
      const rule = TRANSITIONS[row.event as keyof typeof TRANSITIONS];
      expect(rule.from).toContain(row.fromState as CaseState);
      expect(rule.to).toBe(row.toState);
    }
    const audited = await db
      .selectFrom('auditLog')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('entityKind', '=', 'refund_request')
      .where('entityId', '=', requestId)
      .where('action', '=', 'case.transitioned')
      .executeTakeFirstOrThrow();
    expect(Number(audited.n)).toBe(log.length - 1);
  }
}

describeEachEngine('payouts, model-based', (store) => {
  let desk: TestDesk;
  beforeAll(() => {
    desk = deskOver(store());
  });
  afterAll(() => desk.dispose());

  it('keeps its invariants under approve, pay, retry, webhooks and crashes', async () => {
    const commands = [
      fc
        .tuple(fc.nat(2), fc.integer({ min: 1, max: 1_500 }))
        .map(([order, amount]) => new Approve(order, amount)),
      fc.constant(new Pay()),
      fc.constant(new Reconcile()),
      fc.constant(new Retry()),
      fc
        .constantFrom<PayoutStep>('before_call', 'after_call', 'after_record')
        .map((s) => new CrashWorker(s)),
      fc
        .tuple(
          fc.nat(20),
          fc.constantFrom('current' as const, 'duplicate' as const, 'stale' as const),
        )
        .map(([pick, mode]) => new Webhook(pick, mode)),
      fc
        .tuple(fc.nat(20), fc.constantFrom('succeeded' as const, 'failed' as const))
        .map(([pick, status]) => new ProviderSettles(pick, status)),
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.commands(commands, { maxCommands: 25 }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.constantFrom('USD', 'JPY', 'KWD'),
        async (cmds, seed, currency) => {
          const provider = new PayoutDouble(
            'card',
            { drop: 0.15, timeout: 0.1, decline: 0.1, pending: 0.15, lookupDown: 0.1 },
            seed,
          );
          const deps = desk.deps;
          const orders = [
            await seedPaidOrder(deps, { amountMinor: 2_000, currency }),
            await seedPaidOrder(deps, { amountMinor: 3_001, currency }),
            await seedPaidOrder(deps, { amountMinor: 999, currency }),
          ];
          const world: World = {
            deps,
            desk,
            provider,
            orders,
            requests: [],
            lastStatus: new Map(),
            eventSeq: seed * 1_000,
          };
          await fc.asyncModelRun(() => ({ model: {}, real: world }), cmds);
          // Drain with the provider reachable and fault-free: nothing stays unknown.
          provider.calm();
          for (const m of provider.made) {
            if (m.status === 'pending') provider.settle(m.providerRefundId, 'succeeded');
          }
          for (let round = 0; round < 6; round += 1) {
            advance(world);
            await runWorker(world);
            await runReconciler(world);
          }
          await checkInvariants(world);
          const open = await deps.store.db
            .selectFrom('payouts')
            .select(['id', 'status'])
            .where('requestId', 'in', world.requests.length > 0 ? world.requests : [''])
            .where('status', 'in', ['queued', 'unknown', 'pending'])
            .execute();
          expect(open).toEqual([]);
          const succeeded = await deps.store.db
            .selectFrom('payouts')
            .select('id')
            .where('requestId', 'in', world.requests.length > 0 ? world.requests : [''])
            .where('status', '=', 'succeeded')
            .execute();
          const byRefund = provider.refundsByRefundId();
          for (const { id } of succeeded) expect(byRefund.get(id)).toHaveLength(1);
        },
      ),
      { numRuns: 25, seed: 1_309 },
    );
  }, 300_000);
});
