/**
 * The provider doubles themselves: started as standalone processes from dist/ (as the bench
 * and the crash tests run them), seeded faults that repeat, and the inspection endpoints.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/app/context.js';
import { FaultPlan, NO_FAULTS } from '../../src/payouts/doubles/common.js';
import { PayPalClient, PayPalProvider } from '../../src/payouts/providers/paypal.js';
import { StripeCardProvider } from '../../src/payouts/providers/stripe.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVE = 'dist/payouts/doubles/serve.js';

const children: ChildProcess[] = [];

async function serve(args: string[]): Promise<{ url: string; port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [SERVE, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`serve.js exited ${String(code)}`)));
  });
  const started = JSON.parse(first) as { url: string; port: number; provider: string };
  return { url: started.url, port: started.port, child };
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  child.kill('SIGTERM');
  return exited;
}

afterEach(async () => {
  for (const child of children.splice(0)) await stop(child);
});

describe('serve.js runs a double as a process', () => {
  it('stripe, with seeded drops: every refund retried with its key exists exactly once', async () => {
    const { url, port, child } = await serve([
      'stripe',
      '--port',
      '0',
      '--seed',
      '3',
      '--drop-rate',
      '0.3',
      '--auto-charge-minor',
      '1000000',
      '--auto-charge-currency',
      'usd',
    ]);
    const provider = new StripeCardProvider({
      apiKey: 'sk_test_double',
      timeoutMs: 1_000,
      host: '127.0.0.1',
      port,
      protocol: 'http',
    });
    try {
      for (let n = 0; n < 20; n += 1) {
        const ins = {
          refundId: `po_${String(n)}`,
          idempotencyKey: `payout:po_${String(n)}`,
          orderId: 'ord_1',
          chargeRef: 'ch_auto_1',
          amountMinor: 100,
          currency: 'USD',
        };
        let outcome = await provider.refund(ins);
        for (let attempt = 0; attempt < 10 && outcome.kind === 'unknown'; attempt += 1) {
          outcome = await provider.refund(ins);
        }
        expect(outcome.kind).toBe('succeeded');
      }
      const made = (await (await fetch(`${url}/__double/refunds`)).json()) as {
        refunds: { refundId: string }[];
      };
      expect(made.refunds.map((r) => r.refundId).sort()).toEqual(
        Array.from({ length: 20 }, (_, n) => `po_${String(n)}`).sort(),
      );
      const stats = (await (await fetch(`${url}/__double/stats`)).json()) as {
        faults: { lost_response: number };
      };
      expect(stats.faults.lost_response).toBeGreaterThan(0);
    } finally {
      provider.close();
    }
    expect(await stop(child)).toBe(0);
  });

  it('paypal, with captures seeded over HTTP and a fault queued over HTTP', async () => {
    const { url, child } = await serve([
      'paypal',
      '--port',
      '0',
      '--client-id',
      'cid',
      '--client-secret',
      'cs',
    ]);
    const seeded = await fetch(`${url}/__double/captures`, {
      method: 'POST',
      body: JSON.stringify({ id: 'CAP_1', amountMinor: 5_000, currency: 'EUR' }),
    });
    expect(seeded.status).toBe(201);
    const queued = await fetch(`${url}/__double/faults`, {
      method: 'POST',
      body: JSON.stringify({ queue: ['lost_response'] }),
    });
    expect(queued.status).toBe(200);
    const provider = new PayPalProvider(
      new PayPalClient({
        baseUrl: url,
        clientId: 'cid',
        clientSecret: 'cs',
        timeoutMs: 1_000,
        clock: new ManualClock(Date.UTC(2026, 2, 1)),
      }),
    );
    const ins = {
      refundId: 'po_1',
      idempotencyKey: 'payout:po_1',
      orderId: 'ord_1',
      chargeRef: 'CAP_1',
      amountMinor: 1_999,
      currency: 'EUR',
    };
    expect((await provider.refund(ins)).kind).toBe('unknown');
    expect((await provider.lookup(ins)).kind).toBe('succeeded');
    const made = (await (await fetch(`${url}/__double/refunds`)).json()) as {
      refunds: { amountMinor: number; refundId: string }[];
    };
    expect(made.refunds).toMatchObject([{ amountMinor: 1_999, refundId: 'po_1' }]);
    const bad = await fetch(`${url}/__double/faults`, {
      method: 'POST',
      body: JSON.stringify({ queue: ['meteor'] }),
    });
    expect(bad.status).toBe(400);
    expect(await stop(child)).toBe(0);
  });

  it('refuses bad arguments with exit 2', async () => {
    const child = spawn(process.execPath, [SERVE, 'stripe', '--drop-rate', '2'], { cwd: ROOT });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    const noName = spawn(process.execPath, [SERVE], { cwd: ROOT });
    expect(await new Promise<number | null>((resolve) => noName.once('exit', resolve))).toBe(2);
  });
});

describe('the fault plan', () => {
  const rates = { ...NO_FAULTS, seed: 11, dropRate: 0.2, timeoutRate: 0.2, errorRate: 0.2 };

  it('draws the same faults from the same seed, and others from another', () => {
    const draw = (seed: number) => {
      const plan = new FaultPlan({ ...rates, seed });
      return Array.from({ length: 200 }, () => plan.next('write'));
    };
    expect(draw(11)).toEqual(draw(11));
    expect(draw(11)).not.toEqual(draw(12));
    const kinds = new Set(draw(11));
    for (const kind of ['lost_response', 'timeout_before', 'timeout_after', 'error_5xx', null]) {
      expect(kinds.has(kind as never)).toBe(true);
    }
  });

  it('serves queued faults first, and leaves reads alone unless asked', () => {
    const plan = new FaultPlan({ ...NO_FAULTS });
    plan.enqueue(['reset_before', 'timeout_after']);
    expect(plan.next('read')).toBeNull();
    expect([plan.next('write'), plan.next('write'), plan.next('write')]).toEqual([
      'reset_before',
      'timeout_after',
      null,
    ]);
    expect(() => new FaultPlan({ ...NO_FAULTS, dropRate: 0.6, errorRate: 0.6 })).toThrow(/exceed/);
  });
});
