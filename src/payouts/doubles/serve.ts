/**
 * Runs a provider double as a process:
 *
 *   node dist/payouts/doubles/serve.js stripe|paypal [--port N] [--host H] [--seed N]
 *     [--drop-rate R] [--timeout-rate R] [--error-rate R] [--fault-reads]
 *     [--webhook-url URL] [--webhook-duplicate-rate R]
 *     [--api-key K] [--webhook-secret S]                       (stripe)
 *     [--client-id ID] [--client-secret S] [--webhook-id ID]   (paypal)
 *     [--token-ttl-sec N]                                      (paypal)
 *     [--auto-charge-minor N --auto-charge-currency CUR]
 *
 * When listening it prints one JSON line to stdout: {"provider","url","port","pid"}; a parent
 * started with `--port 0` reads the port from it. SIGTERM or SIGINT closes it.
 */
import { parseArgs } from 'node:util';
import type { FaultRates } from './common.js';
import { startPayPalDouble } from './paypal-double.js';
import { startStripeDouble } from './stripe-double.js';

const USAGE =
  'usage: serve.js stripe|paypal [--port N] [--seed N] [--drop-rate R] [--timeout-rate R] ' +
  '[--error-rate R] [--fault-reads] [--webhook-url URL] [--webhook-duplicate-rate R] ' +
  '[--api-key K] [--webhook-secret S] [--client-id ID] [--client-secret S] [--webhook-id ID] ' +
  '[--token-ttl-sec N] [--auto-charge-minor N] [--auto-charge-currency CUR]\n';

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}`);
  process.exit(2);
}

function rate(value: string | undefined, name: string): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) fail(`--${name} must be a number within [0, 1]`);
  return n;
}

function integer(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) fail(`--${name} must be a non-negative integer`);
  return n;
}

const { values, positionals } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        seed: { type: 'string' },
        'drop-rate': { type: 'string' },
        'timeout-rate': { type: 'string' },
        'error-rate': { type: 'string' },
        'fault-reads': { type: 'boolean' },
        'webhook-url': { type: 'string' },
        'webhook-duplicate-rate': { type: 'string' },
        'api-key': { type: 'string' },
        'webhook-secret': { type: 'string' },
        'client-id': { type: 'string' },
        'client-secret': { type: 'string' },
        'webhook-id': { type: 'string' },
        'token-ttl-sec': { type: 'string' },
        'auto-charge-minor': { type: 'string' },
        'auto-charge-currency': { type: 'string' },
        help: { type: 'boolean' },
      },
    });
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
})();

if (values.help === true) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const provider = positionals[0];
if (provider !== 'stripe' && provider !== 'paypal') fail('name the double: stripe or paypal');

const faults: FaultRates = {
  seed: integer(values.seed, 'seed', 1),
  dropRate: rate(values['drop-rate'], 'drop-rate'),
  timeoutRate: rate(values['timeout-rate'], 'timeout-rate'),
  errorRate: rate(values['error-rate'], 'error-rate'),
  faultReads: values['fault-reads'] === true,
};
if (faults.dropRate + faults.timeoutRate + faults.errorRate > 1) {
  fail('--drop-rate + --timeout-rate + --error-rate must not exceed 1');
}
const port = integer(values.port, 'port', 0);
const host = values.host ?? '127.0.0.1';
const autoMinor = values['auto-charge-minor'];
const auto =
  autoMinor === undefined
    ? undefined
    : {
        amountMinor: integer(autoMinor, 'auto-charge-minor', 0),
        currency: (values['auto-charge-currency'] ?? 'USD').toUpperCase(),
      };
const common = {
  port,
  host,
  faults,
  webhookDuplicateRate: rate(values['webhook-duplicate-rate'], 'webhook-duplicate-rate'),
  ...(values['webhook-url'] !== undefined ? { webhookUrl: values['webhook-url'] } : {}),
};

const double =
  provider === 'stripe'
    ? await startStripeDouble({
        ...common,
        ...(values['api-key'] !== undefined ? { apiKey: values['api-key'] } : {}),
        ...(values['webhook-secret'] !== undefined
          ? { webhookSecret: values['webhook-secret'] }
          : {}),
        ...(auto !== undefined ? { autoCharge: auto } : {}),
      })
    : await startPayPalDouble({
        ...common,
        ...(values['client-id'] !== undefined ? { clientId: values['client-id'] } : {}),
        ...(values['client-secret'] !== undefined ? { clientSecret: values['client-secret'] } : {}),
        ...(values['webhook-id'] !== undefined ? { webhookId: values['webhook-id'] } : {}),
        ...(values['token-ttl-sec'] !== undefined
          ? { tokenTtlSec: integer(values['token-ttl-sec'], 'token-ttl-sec', 32_400) }
          : {}),
        ...(auto !== undefined ? { autoCapture: auto } : {}),
      });

process.stdout.write(
  `${JSON.stringify({ provider, url: double.url, port: double.port, pid: process.pid })}\n`,
);

let closing = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    void double.close().then(() => process.exit(0));
  });
}
