/**
 * On PostgreSQL, two worker PROCESSES over 1,000 due timers: every effect happens exactly once.
 * Each timer is a due progress update of an open case; its effect is a `timer_effects` row
 * (primary key: the effect key) and a queued email (unique dedupe key), written in the
 * transaction that marks the timer done. The counts must be exactly 1,000 each, every timer
 * done, and both processes must have taken part (they claimed with FOR UPDATE SKIP LOCKED).
 * PostgreSQL only by nature: SQLite is one writer by design.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scheduleTimer } from '../../src/app/timers.js';
import { progressKey } from '../../src/app/case-timers.js';
import { openTestStore, TEST_DATABASE_URL } from '../support/stores.js';
import { DAY_MS } from '../support/intake.js';

const TIMERS = 1_000;
const NOW_MS = Date.parse('2026-06-15T12:00:00.000Z');
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./worker-process.ts', import.meta.url));

function runWorker(
  schema: string,
  workerId: string,
): Promise<{ workerId: string; claimed: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [SCRIPT], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: TEST_DATABASE_URL,
        SCHEMA: schema,
        WORKER_ID: workerId,
        NOW_MS: String(NOW_MS),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`worker ${workerId} exited ${code}: ${err}`));
      else
        resolve(
          JSON.parse(out.trim().split('\n').pop() ?? '{}') as { workerId: string; claimed: number },
        );
    });
  });
}

describe('two worker processes over 1,000 due timers [postgres]', () => {
  it('fire every effect exactly once', async () => {
    const store = await openTestStore('postgres');
    try {
      const schema = (
        await store.db
          .selectNoFrom((eb) => eb.fn<string>('current_schema', []).as('schema'))
          .executeTakeFirstOrThrow()
      ).schema;
      const submittedAtMs = NOW_MS - 10 * DAY_MS;
      await store.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('customers')
          .values({
            id: 'cus_load',
            email: 'load@example.com',
            name: 'Load Test',
            tosBreach: 0,
            stressTesting: 0,
            kycStatus: 'not_required',
            createdAtMs: submittedAtMs,
            updatedAtMs: submittedAtMs,
          })
          .execute();
        await trx
          .insertInto('plans')
          .values({
            id: 'plan_load',
            product: 'datacenter',
            name: 'dc',
            servicePeriodDays: 30,
            createdAtMs: submittedAtMs,
          })
          .execute();
        for (let start = 0; start < TIMERS; start += 250) {
          const ids = Array.from({ length: 250 }, (_, i) => start + i);
          await trx
            .insertInto('orders')
            .values(
              ids.map((i) => ({
                id: `ord_load_${i}`,
                customerId: 'cus_load',
                planId: 'plan_load',
                product: 'datacenter',
                channel: 'official_site',
                paymentMethod: 'card',
                provider: 'stripe',
                chargeRef: `ch_load_${i}`,
                amountMinor: 1_000,
                currency: 'USD',
                promoCreditsMinor: 0,
                purchasedAtMs: submittedAtMs - DAY_MS,
                servicePeriodDays: 30,
                email: `load-${i}@example.com`,
                createdAtMs: submittedAtMs,
              })),
            )
            .execute();
          await trx
            .insertInto('refundRequests')
            .values(
              ids.map((i) => ({
                id: `rr_load_${i}`,
                orderId: `ord_load_${i}`,
                customerId: 'cus_load',
                state: 'in_review',
                description: 'load',
                paymentMethod: 'card',
                networkContextJson: '{}',
                contactEmail: null,
                contactIm: null,
                legallyRequired: 0 as const,
                submittedAtMs,
                policyId: 'okkproxy',
                policyVersion: 1,
                createdAtMs: submittedAtMs,
                updatedAtMs: submittedAtMs,
                rowVersion: 1,
                slaTargetAtMs: null,
                slaDeadlineAtMs: null,
              })),
            )
            .execute();
        }
        for (let i = 0; i < TIMERS; i += 1) {
          await scheduleTimer(trx, submittedAtMs, {
            kind: 'progress_update',
            effectKey: progressKey(`rr_load_${i}`, 1),
            requestId: `rr_load_${i}`,
            dueAtMs: NOW_MS - 60_000 - i,
            payload: { n: 1 },
          });
        }
      });

      const runs = await Promise.all([runWorker(schema, 'proc-a'), runWorker(schema, 'proc-b')]);

      const effects = await store.db
        .selectFrom('timerEffects')
        .select(['worker', (eb) => eb.fn.countAll<number>().as('n')])
        .where('kind', '=', 'progress_update')
        .groupBy('worker')
        .execute();
      const byWorker = Object.fromEntries(effects.map((e) => [e.worker, Number(e.n)]));
      expect(Object.values(byWorker).reduce((a, b) => a + b, 0)).toBe(TIMERS);
      expect(byWorker['proc-a']).toBeGreaterThan(0);
      expect(byWorker['proc-b']).toBeGreaterThan(0);
      const mails = await store.db
        .selectFrom('notifications')
        .select([
          (eb) => eb.fn.countAll<number>().as('n'),
          (eb) => eb.fn.count<number>('requestId').distinct().as('cases'),
        ])
        .where('kind', '=', 'progress_update')
        .executeTakeFirstOrThrow();
      expect({ n: Number(mails.n), cases: Number(mails.cases) }).toEqual({
        n: TIMERS,
        cases: TIMERS,
      });
      const firstTimers = await store.db
        .selectFrom('timers')
        .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
        .where('effectKey', 'like', 'progress_update:%:1')
        .groupBy('status')
        .execute();
      expect(firstTimers.map((t) => [t.status, Number(t.n)])).toEqual([['done', TIMERS]]);
      expect(runs.map((r) => r.claimed).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(TIMERS);
    } finally {
      await store.dispose();
    }
  }, 120_000);
});
