/**
 * `npm run bench`: every benchmark part, one after the other, each printing its own table with
 * the machine noted.
 *
 * - engine: decide() throughput and allocation, cold CLI (bench/engine.js);
 * - intake: POST /v1/refund-requests with a 1 KB log over real HTTP, against 1,000,000 stored
 *   orders, on SQLite and PostgreSQL (bench/intake.js);
 * - payouts: payout throughput through the delivery worker against the local Stripe double over
 *   real HTTP, on SQLite and PostgreSQL (bench/payouts.js; `--payouts=N`).
 *
 * Run with `node --expose-gc bench/run.js [--only=engine|intake] [intake options]` after
 * `npm run build` (npm run bench does both; pass options after `--`: `npm run bench --
 * --only=intake --engines=sqlite`). Intake options are listed by `--help`.
 */
const PARTS = ['engine', 'intake', 'payouts'];

const args = process.argv.slice(2);
if (args.includes('--help')) {
  const { usage } = await import('./intake.js');
  process.stdout.write(
    `usage: node --expose-gc bench/run.js [--only=${PARTS.join('|')}] [intake options]\n${usage}`,
  );
  process.exit(0);
}
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length);
if (only !== undefined && !PARTS.includes(only)) {
  process.stderr.write(`bench: --only must be one of ${PARTS.join(', ')}; got ${only}\n`);
  process.exit(2);
}
const rest = args.filter((a) => !a.startsWith('--only='));

if (only === undefined || only === 'engine') {
  process.stdout.write('## engine: decide()\n\n');
  await import('./engine.js');
}
if (only === undefined || only === 'intake') {
  if (only === undefined) process.stdout.write('\n');
  process.stdout.write('## intake: POST /v1/refund-requests\n\n');
  const { runIntakeBench } = await import('./intake.js');
  await runIntakeBench(rest);
}
if (only === undefined || only === 'payouts') {
  if (only === undefined) process.stdout.write('\n');
  process.stdout.write('## payouts: delivery worker against the local Stripe\n\n');
  const { runPayoutBench } = await import('./payouts.js');
  await runPayoutBench(rest);
}
