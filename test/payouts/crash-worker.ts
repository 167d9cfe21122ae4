/**
 * The payout worker as a child process for the crash test (crash.test.ts): opens the store the
 * parent seeded, talks to the parent's local Stripe double through the real card adapter, and
 * kills itself with SIGKILL at the KILL_AT-th occurrence of KILL_STEP (before the call, after
 * the call before recording, after recording). Without a kill step it drains: worker and
 * reconciler passes, the clock moved past every lease and back-off between passes, until no
 * payout is open (or MAX_PASSES). Prints a JSON line with the number of passes.
 *
 * env: DB_URL, DB_SCHEMA (PostgreSQL), STRIPE_PORT, NOW_MS, KILL_STEP, KILL_AT, MAX_PASSES.
 */
import { ManualClock, type DeskDeps } from '../../src/app/context.js';
import { reconcilePayouts } from '../../src/payouts/reconciler.js';
import { deliverPayouts, type PayoutStep } from '../../src/payouts/worker.js';
import { StripeCardProvider } from '../../src/payouts/providers/stripe.js';
import { openStore } from '../../src/store/connect.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`crash-worker: ${name} is not set`);
  return value;
};

const schema = process.env['DB_SCHEMA'];
const store = openStore({
  url: env('DB_URL'),
  ...(schema === undefined ? {} : { schema }),
  poolSize: 2,
});
const clock = new ManualClock(Number(env('NOW_MS')));
const deps: DeskDeps = {
  store,
  clock,
  mailer: { send: () => Promise.resolve() },
  evidenceDir: '/nonexistent',
  publicUrl: 'http://127.0.0.1:3000',
};
const card = new StripeCardProvider({
  apiKey: 'sk_test_double',
  timeoutMs: 400,
  host: '127.0.0.1',
  port: Number(env('STRIPE_PORT')),
  protocol: 'http',
});
const killStep = process.env['KILL_STEP'] as PayoutStep | undefined;
const killAt = Number(process.env['KILL_AT'] ?? '1');
let seen = 0;
const onStep = (step: PayoutStep): void => {
  if (step !== killStep) return;
  seen += 1;
  if (seen === killAt) process.kill(process.pid, 'SIGKILL');
};
const LEASE_MS = 60_000;
const PASS_MS = 3 * 3_600_000;
const maxPasses = Number(process.env['MAX_PASSES'] ?? '60');

let passes = 0;
for (; passes < maxPasses; passes += 1) {
  const options = { providers: { card }, leaseMs: LEASE_MS, batchSize: 100, onStep };
  await deliverPayouts(deps, { ...options, workerId: `w${process.pid}` });
  await reconcilePayouts(deps, { ...options, workerId: `r${process.pid}` });
  const open = await store.db
    .selectFrom('payouts')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', 'in', ['queued', 'unknown', 'pending'])
    .executeTakeFirstOrThrow();
  if (Number(open.n) === 0) break;
  clock.advance(PASS_MS);
}
card.close();
await store.close();
process.stdout.write(`${JSON.stringify({ passes, nowMs: clock.nowMs() })}\n`);
