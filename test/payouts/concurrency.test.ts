/**
 * The ledger under concurrency: 50 refund attempts at once on one order, across 1,000 seeded
 * runs on PostgreSQL (and 100 on SQLite) — the sum of what was created never exceeds what was
 * paid, and every attempt the ledger covered was created (no lost updates, no spurious refusals
 * beyond the amount left).
 *
 * Fast by construction: one schema and one pool for all runs (20 connections, so the attempts
 * really contend on the row lock), small orders, and the attempts call the ledger's use case
 * directly — each in its own transaction, as the outbox does.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, SYSTEM_ORIGIN, type DeskDeps } from '../../src/app/context.js';
import { createPayout } from '../../src/app/payouts/ledger.js';
import type { Engine } from '../../src/store/connect.js';
import { openTestStore, type TestStore } from '../support/stores.js';
import { seedPaidOrder } from './fixtures.js';

const ATTEMPTS = 50;
const RUNS: Record<Engine, number> = {
  postgres: Number(process.env['PAYOUT_CONCURRENCY_RUNS'] ?? 1_000),
  sqlite: 100,
};

for (const engine of ['postgres', 'sqlite'] as const) {
  describe(`ledger under ${ATTEMPTS} concurrent refund attempts [${engine}]`, () => {
    let store: TestStore;
    let deps: DeskDeps;
    beforeAll(async () => {
      store = await openTestStore(engine, { poolSize: 20 });
      deps = {
        store,
        clock: new ManualClock(Date.parse('2026-03-02T10:00:00.000Z')),
        mailer: { send: () => Promise.resolve() },
        evidenceDir: '/nonexistent',
        publicUrl: 'http://127.0.0.1:3000',
      };
    });
    afterAll(async () => {
      await store.dispose();
    });

    it(`never refunds more than was paid (${RUNS[engine]} seeded runs)`, async () => {
      const startedMs = performance.now();
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 5, max: 60 }),
          fc.array(fc.integer({ min: 1, max: 12 }), { minLength: ATTEMPTS, maxLength: ATTEMPTS }),
          fc.constantFrom('USD', 'JPY', 'KWD'),
          fc.integer({ min: 0, max: 20 }),
          async (paidMinor, amounts, currency, refundedBefore) => {
            const order = await seedPaidOrder(deps, { amountMinor: paidMinor, currency });
            const nowMs = deps.clock.nowMs();
            const already = Math.min(refundedBefore, paidMinor);
            if (already > 0) {
              await store.db
                .insertInto('refunds')
                .values({
                  id: `rf_${order.orderId}`,
                  orderId: order.orderId,
                  amountMinor: already,
                  kind: 'requested',
                  refundedAtMs: nowMs,
                  incidentId: null,
                  createdAtMs: nowMs,
                })
                .execute();
            }
            const results = await Promise.all(
              amounts.map((amountMinor, i) =>
                store.db.transaction().execute((trx) =>
                  createPayout(
                    trx,
                    { engine, origin: SYSTEM_ORIGIN, nowMs },
                    {
                      requestId: `rr_${order.orderId}_${i}`,
                      orderId: order.orderId,
                      decisionId: null,
                      source: 'approved',
                      amountMinor,
                      currency,
                    },
                  ),
                ),
              ),
            );
            const created = results.flatMap((r) => (r.ok ? [r.value.amountMinor] : []));
            const stored = await store.db
              .selectFrom('payouts')
              .select('amountMinor')
              .where('orderId', '=', order.orderId)
              .execute();
            const sum = stored.reduce((total, row) => total + row.amountMinor, 0);
            expect(stored).toHaveLength(created.length);
            expect(sum + already).toBeLessThanOrEqual(paidMinor);
            // Every refusal was for an amount the order no longer covered when it was checked:
            // once refusals start, what is left is smaller than the smallest refused amount
            // tried after the last creation... at least, what is left is below the largest.
            const refused = results.flatMap((r, i) => (r.ok ? [] : [amounts[i] ?? 0]));
            const left = paidMinor - already - sum;
            if (refused.length > 0) expect(left).toBeLessThan(Math.max(...refused));
            for (const r of results) {
              if (!r.ok) expect(r.error.code).toBe('exceeds_refundable');
            }
          },
        ),
        { numRuns: RUNS[engine], seed: 4_372 },
      );
      const seconds = (performance.now() - startedMs) / 1000;
      process.stdout.write(
        `ledger concurrency [${engine}]: ${RUNS[engine]} runs × ${ATTEMPTS} attempts in ${seconds.toFixed(1)} s\n`,
      );
    }, 600_000);
  });
}
