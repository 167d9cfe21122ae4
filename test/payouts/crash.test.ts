/**
 * Crash test: the payout worker runs as a child process against a local Stripe (the adapter
 * work's double, src/payouts/doubles/stripe-double.ts, over real HTTP, through the real card
 * adapter) that also drops responses, times out and fails with 5xx at seeded rates. The child is
 * killed with SIGKILL at each step of the payout path — before the call, after the call before
 * recording, after recording — then restarted; finally a child drains (worker + reconciler).
 * Afterwards every approved refund has exactly one refund at the provider, none is unknown, and
 * every case is paid with one ledger row.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, type DeskDeps } from '../../src/app/context.js';
import { startStripeDouble } from '../../src/payouts/doubles/stripe-double.js';
import type { PayoutStep } from '../../src/payouts/worker.js';
import { openStore, type Engine, type Store } from '../../src/store/connect.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { createTestSchema, TEST_DATABASE_URL } from '../support/stores.js';
import { seedApprovedCase, seedPaidOrder } from './fixtures.js';

const SEEDS = [11, 29, 47];
/** Enough queued payouts that each of the three children reaches its step (at most 2 each). */
const CASES_PER_SEED = 6;
const STEPS: readonly PayoutStep[] = ['before_call', 'after_call', 'after_record'];
const T0_MS = Date.parse('2026-03-02T10:00:00.000Z');

interface Target {
  readonly store: Store;
  readonly env: Record<string, string>;
  dispose(): Promise<void>;
}

async function openTarget(engine: Engine): Promise<Target> {
  if (engine === 'postgres') {
    const schema = await createTestSchema();
    const store = openStore({ url: TEST_DATABASE_URL, schema, poolSize: 4 });
    await migrateToLatest(store.db, store.engine);
    return {
      store,
      env: { DB_URL: TEST_DATABASE_URL, DB_SCHEMA: schema },
      async dispose() {
        await sql.raw(`DROP SCHEMA ${schema} CASCADE`).execute(store.db);
        await store.close();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'refund-desk-crash-'));
  const url = `sqlite:${join(dir, 'crash.sqlite')}`;
  const store = openStore({ url });
  await migrateToLatest(store.db);
  return {
    store,
    env: { DB_URL: url },
    async dispose() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

function runChild(env: Record<string, string>): Promise<ChildExit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/payouts/crash-worker.ts'], {
      cwd: process.cwd(),
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`payout worker killed at every step [${engine}]`, () => {
    let target: Target;
    let deps: DeskDeps;
    let clock: ManualClock;
    beforeAll(async () => {
      target = await openTarget(engine);
      clock = new ManualClock(T0_MS);
      deps = {
        store: target.store,
        clock,
        mailer: { send: () => Promise.resolve() },
        evidenceDir: '/nonexistent',
        publicUrl: 'http://127.0.0.1:3000',
      };
    });
    afterAll(async () => {
      await target.dispose();
    });

    for (const seed of SEEDS) {
      it(`seed ${seed}: exactly one provider refund per approved refund, none unknown`, async () => {
        const stripe = await startStripeDouble({
          faults: { seed, dropRate: 0.25, timeoutRate: 0.15, errorRate: 0.1, faultReads: true },
          clock: () => clock.nowMs(),
        });
        try {
          const payouts: { id: string; requestId: string; amountMinor: number }[] = [];
          for (let i = 0; i < CASES_PER_SEED; i += 1) {
            const amountMinor = 500 + ((seed * 31 + i * 17) % 4_000);
            const currency = ['USD', 'JPY', 'KWD'][i % 3] ?? 'USD';
            const order = await seedPaidOrder(deps, { amountMinor: amountMinor + 100, currency });
            stripe.seedCharge({ id: order.chargeRef, amountMinor: amountMinor + 100, currency });
            const { requestId, payout } = await seedApprovedCase(deps, order, amountMinor);
            payouts.push({ id: payout.id, requestId, amountMinor });
          }
          let nowMs = clock.nowMs();
          const kills: string[] = [];
          for (const [index, step] of STEPS.entries()) {
            nowMs += 10 * 3_600_000;
            const killAt = 1 + ((seed + index) % 2);
            const exit = await runChild({
              ...target.env,
              STRIPE_PORT: String(stripe.port),
              NOW_MS: String(nowMs),
              KILL_STEP: step,
              KILL_AT: String(killAt),
            });
            expect(exit.stderr).toBe('');
            if (exit.signal === 'SIGKILL') kills.push(step);
            else expect(exit.code).toBe(0);
          }
          // Every kill landed: each child reached its step KILL_AT times before it was done.
          expect(kills).toEqual(STEPS);
          nowMs += 10 * 3_600_000;
          const drained = await runChild({
            ...target.env,
            STRIPE_PORT: String(stripe.port),
            NOW_MS: String(nowMs),
          });
          expect(drained.stderr).toBe('');
          expect(drained.code).toBe(0);
          clock.set(nowMs + 1_000 * 3_600_000);

          const made = stripe.refunds();
          for (const payout of payouts) {
            const row = await deps.store.db
              .selectFrom('payouts')
              .selectAll()
              .where('id', '=', payout.id)
              .executeTakeFirstOrThrow();
            expect(row.status).toBe('succeeded');
            const atProvider = made.filter((r) => r.refundId === payout.id);
            expect(atProvider).toHaveLength(1);
            expect(atProvider[0]?.amountMinor).toBe(payout.amountMinor);
            expect(row.providerRefundId).toBe(atProvider[0]?.id);
            const request = await deps.store.db
              .selectFrom('refundRequests')
              .select('state')
              .where('id', '=', payout.requestId)
              .executeTakeFirstOrThrow();
            expect(request.state).toBe('paid');
            const ledgerRows = await deps.store.db
              .selectFrom('refunds')
              .select('amountMinor')
              .where('id', '=', payout.id)
              .execute();
            expect(ledgerRows).toEqual([{ amountMinor: payout.amountMinor }]);
          }
        } finally {
          await stripe.close();
        }
      }, 120_000);
    }
  });
}
