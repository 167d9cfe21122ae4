/**
 * The payout delivery worker: claims queued payouts (a lease; SKIP LOCKED on PostgreSQL),
 * records each attempt before calling the provider, calls it with the payout's own idempotency
 * key, and records the outcome. A payout whose outcome is unknown (time-out, lost response,
 * crash) is never sent again from here: the reconciler owns it and asks the provider first.
 *
 * `onStep` lets tests stop the process at each step of the path (before the call, after the
 * call before recording, after recording).
 */
import type { DeskDeps } from '../app/context.js';
import type { PayoutStatus, PayoutTable } from '../store/schema.js';
import type {
  LookupOutcome,
  PayoutMethod,
  PayoutProvider,
  ProviderOutcome,
} from '../app/payouts/provider.js';
import { beginAttempt, claimPayouts, finishAttempt, instructionOf } from '../app/payouts/settle.js';

export type PayoutStep = 'before_call' | 'after_call' | 'after_record';

export type Providers = Partial<Record<PayoutMethod, PayoutProvider>>;

export interface PayoutWorkerOptions {
  readonly workerId: string;
  readonly providers: Providers;
  /** Payouts per claim (1..100). */
  readonly batchSize?: number;
  /** How long a claim holds a payout; a crashed worker's payouts are free again after it. */
  readonly leaseMs?: number;
  /** First back-off after an attempt without an outcome (doubles, capped at an hour). */
  readonly backoffBaseMs?: number;
  readonly onStep?: (step: PayoutStep, payoutId: string) => void | Promise<void>;
}

export const WORKER_DEFAULTS = { batchSize: 20, leaseMs: 60_000, backoffBaseMs: 1_000 } as const;

type UnknownOutcome = Extract<ProviderOutcome, { kind: 'unknown' }>;

/** A provider call (refund or lookup) that throws is an outcome nobody knows. */
export async function callSafely<T extends LookupOutcome>(
  call: () => Promise<T>,
): Promise<T | UnknownOutcome> {
  try {
    return await call();
  } catch (error) {
    return { kind: 'unknown', reason: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Leases one batch of due payouts in `statuses` whose method this process has a provider for,
 * each with its provider.
 */
export async function claimWithProviders(
  deps: DeskDeps,
  options: PayoutWorkerOptions,
  statuses: readonly PayoutStatus[],
): Promise<Array<{ readonly claim: PayoutTable; readonly provider: PayoutProvider }>> {
  const methods = Object.keys(options.providers);
  if (methods.length === 0) return [];
  const claimed = await claimPayouts(deps, {
    workerId: options.workerId,
    statuses,
    limit: options.batchSize ?? WORKER_DEFAULTS.batchSize,
    leaseMs: options.leaseMs ?? WORKER_DEFAULTS.leaseMs,
    methods,
  });
  return claimed.flatMap((claim) => {
    const provider = options.providers[claim.method as PayoutMethod];
    return provider === undefined ? [] : [{ claim, provider }];
  });
}

/** Delivers one batch of due payouts; returns how many were sent. */
export async function deliverPayouts(
  deps: DeskDeps,
  options: PayoutWorkerOptions,
): Promise<number> {
  let sent = 0;
  const claimed = await claimWithProviders(deps, options, ['queued']);
  for (const { claim, provider } of claimed) {
    const begun = await beginAttempt(deps, {
      payoutId: claim.id,
      workerId: options.workerId,
      kind: 'refund',
      expect: ['queued'],
    });
    if (begun === undefined) continue;
    await options.onStep?.('before_call', claim.id);
    const outcome = await callSafely(() => provider.refund(instructionOf(begun.payout)));
    await options.onStep?.('after_call', claim.id);
    await finishAttempt(deps, {
      payoutId: claim.id,
      seq: begun.seq,
      outcome,
      ...(options.backoffBaseMs === undefined ? {} : { backoffBaseMs: options.backoffBaseMs }),
    });
    await options.onStep?.('after_record', claim.id);
    sent += 1;
  }
  return sent;
}

export interface RunningWorker {
  /** Stops after the current batch; resolves when stopped. */
  stop(): Promise<void>;
}

/**
 * Runs `tick` every `intervalMs` (and again at once while it reports work done), until stopped.
 * Errors are reported to `onError` and the loop continues.
 */
export function runLoop(
  tick: () => Promise<number>,
  options: { readonly intervalMs: number; readonly onError?: (error: unknown) => void },
): RunningWorker {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const done = (async () => {
    while (!stopped) {
      let worked = 0;
      try {
        worked = await tick();
      } catch (error) {
        options.onError?.(error);
      }
      if (worked > 0 || stopped) continue;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, options.intervalMs);
      });
    }
  })();
  return {
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      wake?.();
      await done;
    },
  };
}
