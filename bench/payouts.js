/**
 * The payouts part of `npm run bench`: payout throughput through the delivery worker against a
 * local Stripe over real HTTP (the adapter work's double, src/payouts/doubles/stripe-double.ts,
 * through the real card adapter, no faults), on SQLite and on PostgreSQL.
 *
 * Per engine: a fresh store; N orders, each with one payout queued through the ledger
 * (`createPayout`: order lock, ledger check, payout row, audit; time not measured). Then one
 * worker delivers them in batches of 100 — per payout: the attempt recorded before the call, the
 * call, the outcome recorded (refunds ledger row, audit). The payouts belong to no stored case,
 * so no case move is measured. Afterwards every payout must have succeeded with exactly one
 * refund at the provider. Options: --payouts=N (default 2000), --engines=sqlite,postgres.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import pg from 'pg';
import { SYSTEM_ORIGIN } from '../dist/app/context.js';
import { newId } from '../dist/app/ids.js';
import { createPayout } from '../dist/app/payouts/ledger.js';
import { startStripeDouble } from '../dist/payouts/doubles/stripe-double.js';
import { StripeCardProvider } from '../dist/payouts/providers/stripe.js';
import { deliverPayouts } from '../dist/payouts/worker.js';
import { openStore } from '../dist/store/connect.js';
import { migrateToLatest } from '../dist/store/migrate.js';
import { loadLine, machineLine } from './machine.js';

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

function option(args, name, fallback) {
  return args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
}

async function openBenchStore(engine) {
  if (engine === 'postgres') {
    const url = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
    const schema = `bench_payouts_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    const store = openStore({ url, schema });
    await migrateToLatest(store.db, store.engine);
    return {
      store,
      async dispose() {
        await store.close();
        await admin.query(`DROP SCHEMA ${schema} CASCADE`);
        await admin.end();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'refund-desk-bench-payouts-'));
  const store = openStore({ url: `sqlite:${join(dir, 'bench.sqlite')}` });
  await migrateToLatest(store.db);
  return {
    store,
    async dispose() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** N orders with a payout each, queued as the outbox queues them. */
async function seed(store, stripe, count, nowMs) {
  const { db } = store;
  await db
    .insertInto('customers')
    .values({
      id: 'cus_bench',
      email: 'bench@example.com',
      name: 'Bench',
      tosBreach: 0,
      stressTesting: 0,
      kycStatus: 'not_required',
      createdAtMs: nowMs,
      updatedAtMs: nowMs,
    })
    .execute();
  await db
    .insertInto('plans')
    .values({
      id: 'plan_bench',
      product: 'static_isp',
      name: 'ISP',
      servicePeriodDays: 30,
      createdAtMs: nowMs,
    })
    .execute();
  for (let i = 0; i < count; i += 1) {
    const orderId = `ord_bench_${i}`;
    const chargeRef = `ch_bench_${i}`;
    stripe.seedCharge({ id: chargeRef, amountMinor: 8_800, currency: 'USD' });
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('orders')
        .values({
          id: orderId,
          customerId: 'cus_bench',
          planId: 'plan_bench',
          product: 'static_isp',
          channel: 'official_site',
          paymentMethod: 'card',
          provider: 'stripe',
          chargeRef,
          amountMinor: 8_800,
          currency: 'USD',
          promoCreditsMinor: 0,
          purchasedAtMs: nowMs,
          servicePeriodDays: 30,
          email: 'bench@example.com',
          createdAtMs: nowMs,
        })
        .execute();
      const created = await createPayout(
        trx,
        { engine: store.engine, origin: SYSTEM_ORIGIN, nowMs },
        {
          requestId: newId('rr', nowMs),
          orderId,
          decisionId: null,
          source: 'approved',
          amountMinor: 3_000,
          currency: 'USD',
        },
      );
      if (!created.ok) throw new Error(created.error.detail);
    });
  }
}

export async function runPayoutBench(args) {
  const count = Number(option(args, 'payouts', '2000'));
  const engines = option(args, 'engines', 'sqlite,postgres').split(',');
  process.stdout.write(`${machineLine()}\nload before: ${loadLine()}\n\n`);
  process.stdout.write(
    '| engine | payouts | seconds | payouts/s | provider refunds | load after |\n',
  );
  process.stdout.write('|---|---:|---:|---:|---:|---|\n');
  for (const engine of engines) {
    const stripe = await startStripeDouble();
    const card = new StripeCardProvider({
      apiKey: stripe.apiKey,
      timeoutMs: 5_000,
      host: '127.0.0.1',
      port: stripe.port,
      protocol: 'http',
    });
    const { store, dispose } = await openBenchStore(engine);
    try {
      const nowMs = Date.now();
      await seed(store, stripe, count, nowMs);
      const deps = {
        store,
        clock: { nowMs: () => Date.now() },
        mailer: { send: () => Promise.resolve() },
        evidenceDir: tmpdir(),
        publicUrl: 'http://127.0.0.1:3000',
      };
      const started = performance.now();
      let sent = 0;
      for (;;) {
        const batch = await deliverPayouts(deps, {
          workerId: 'bench',
          providers: { card },
          batchSize: 100,
        });
        if (batch === 0) break;
        sent += batch;
      }
      const seconds = (performance.now() - started) / 1000;
      const succeeded = await store.db
        .selectFrom('payouts')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('status', '=', 'succeeded')
        .executeTakeFirstOrThrow();
      const refunds = stripe.refunds();
      if (Number(succeeded.n) !== count || refunds.length !== count || sent !== count) {
        throw new Error(
          `bench payouts: ${sent} sent, ${succeeded.n} succeeded, ${refunds.length} provider refunds; expected ${count}`,
        );
      }
      process.stdout.write(
        `| ${engine} | ${count} | ${seconds.toFixed(2)} | ${(count / seconds).toFixed(0)} | ${refunds.length} | ${loadLine()} |\n`,
      );
    } finally {
      card.close();
      await dispose();
      await stripe.close();
    }
  }
}
