/**
 * The payout side of a worker process, as the composition root starts it next to the timers,
 * mail and webhooks worker (src/jobs/worker.ts): three loops over the database —
 *
 * - delivery (worker.ts): queued payouts to their provider; before each batch, queued payouts
 *   of a method without a provider here are noted as waiting (app/payouts/unconfigured.ts);
 * - reconciliation (reconciler.ts): unknown and pending payouts settled by asking the provider;
 * - extensions (extension-delivery.ts): commands to the seller's provisioning system, when one
 *   is configured; otherwise they wait, queued, with a note.
 *
 * `stop()` ends all three after their current batch. Leases make several processes safe.
 */
import type { DeskDeps } from '../app/context.js';
import { PAYOUT_METHODS, type PayoutMethod, type PayoutProvider } from '../app/payouts/provider.js';
import {
  noteExtensionsWithoutSeller,
  notePayoutsWithoutProvider,
} from '../app/payouts/unconfigured.js';
import { deliverExtensions, type ExtensionTarget } from './extension-delivery.js';
import { reconcilePayouts } from './reconciler.js';
import { deliverPayouts, runLoop, type Providers, type RunningWorker } from './worker.js';

export interface PayoutLoopsOptions {
  readonly workerId: string;
  /** The adapter of each method, or null where none is configured. */
  readonly providers: { get(method: PayoutMethod): PayoutProvider | null };
  /** The seller's provisioning endpoint; none: extension commands wait, queued. */
  readonly seller?: ExtensionTarget;
  /** Pause after a pass with nothing to do; default 1 s. */
  readonly pollIntervalMs?: number;
  /** Told of a pass that threw (the loop goes on); default stderr. */
  readonly onError?: (error: unknown) => void;
}

export interface RunningPayoutLoops extends RunningWorker {
  /** The methods this process can pay out through. */
  readonly methods: readonly PayoutMethod[];
}

export const PAYOUT_LOOP_DEFAULTS = { pollIntervalMs: 1_000 } as const;

/** The configured providers as the worker and reconciler take them. */
export function providersByMethod(providers: PayoutLoopsOptions['providers']): Providers {
  const byMethod: Providers = {};
  for (const method of PAYOUT_METHODS) {
    const provider = providers.get(method);
    if (provider !== null) byMethod[method] = provider;
  }
  return byMethod;
}

/** One pass of each loop (what a tick does), for tests and `runUntilIdle`-style callers. */
export async function runPayoutPass(
  deps: DeskDeps,
  options: Omit<PayoutLoopsOptions, 'pollIntervalMs' | 'onError'>,
): Promise<{ sent: number; reconciled: number; extensions: number }> {
  const providers = providersByMethod(options.providers);
  const methods = Object.keys(providers) as PayoutMethod[];
  await notePayoutsWithoutProvider(deps, methods);
  const sent = await deliverPayouts(deps, { workerId: options.workerId, providers });
  const reconciled = await reconcilePayouts(deps, { workerId: options.workerId, providers });
  const extensions = await extensionTick(deps, options);
  return { sent, reconciled, extensions };
}

async function extensionTick(
  deps: DeskDeps,
  options: Pick<PayoutLoopsOptions, 'workerId' | 'seller'>,
): Promise<number> {
  await noteExtensionsWithoutSeller(deps, options.seller !== undefined);
  if (options.seller === undefined) return 0;
  return deliverExtensions(deps, { workerId: options.workerId, target: options.seller });
}

function reportToStderr(error: unknown): void {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`refund-desk payouts: ${text}\n`);
}

/** Starts the three loops (see the module comment); errors go to `onError` (default stderr). */
export function startPayoutLoops(deps: DeskDeps, options: PayoutLoopsOptions): RunningPayoutLoops {
  const providers = providersByMethod(options.providers);
  const methods = Object.keys(providers) as PayoutMethod[];
  const loop = {
    intervalMs: options.pollIntervalMs ?? PAYOUT_LOOP_DEFAULTS.pollIntervalMs,
    onError: options.onError ?? reportToStderr,
  };
  // Each loop leases under its own name, so one never takes over another's claim.
  const { workerId } = options;
  const loops = [
    runLoop(async () => {
      await notePayoutsWithoutProvider(deps, methods);
      return deliverPayouts(deps, { workerId: `${workerId}:payouts`, providers });
    }, loop),
    runLoop(() => reconcilePayouts(deps, { workerId: `${workerId}:reconciler`, providers }), loop),
    runLoop(() => extensionTick(deps, { ...options, workerId: `${workerId}:extensions` }), loop),
  ];
  return {
    methods,
    async stop() {
      await Promise.all(loops.map((running) => running.stop()));
    },
  };
}
