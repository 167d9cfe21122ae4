/**
 * The worker: delivers what case moves left in the outbox. Each pass claims (under a lease) at
 * most `batchSize` due timers, queued emails and queued webhook deliveries, and runs them:
 *
 * - timers through their handlers (app/timers.ts `runTimer`: the effect, its record and the
 *   timer's completion commit together, so each effect happens once);
 * - emails through the Mailer (app/notify/outbox.ts), retried with back-off;
 * - webhook deliveries through `postWebhook` (webhook-sender.ts), logged and retried.
 *
 * Several workers may run against one PostgreSQL database (in the server and in separate
 * `refund-desk worker` processes): claims use `FOR UPDATE SKIP LOCKED`, so they take disjoint
 * rows; a worker that dies leaves leases that run out after `leaseMs`, and another takes over.
 * On SQLite there is one writer at a time. Due instants come from the desk's clock; the loop's
 * own pauses between passes are real time.
 *
 * The running loop (`startWorker`, not single passes) also keeps house: when it starts and then
 * every `housekeepingIntervalMs` of the desk's clock, after a pass, it deletes a batch of expired
 * sessions, sign-in links, idempotency keys, host-token uses and sign-in failures
 * (app/housekeeping.ts). A full batch makes it due again at the next pass, until a backlog is
 * gone. Concurrent workers delete disjoint rows (SKIP LOCKED on PostgreSQL).
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { DeskDeps } from '../app/context.js';
import { purgedFullBatch, purgeExpired } from '../app/housekeeping.js';
import { claimNotifications, sendNotification, type SendResult } from '../app/notify/outbox.js';
import { CASE_TIMER_HANDLERS } from '../app/timer-handlers.js';
import { claimTimers, runTimer, type RunResult, type TimerHandlers } from '../app/timers.js';
import {
  claimDeliveries,
  recordDeliveryAttempt,
  stillLeased,
  type DeliveryOutcome,
} from '../app/webhooks/deliveries.js';
import { httpWebhookSender, type PostWebhook } from './webhook-sender.js';

export const WORKER_LIMITS = { maxBatch: 100, maxPassesUntilIdle: 1_000 } as const;

/** How often, by the desk's clock, a running worker purges expired technical rows. */
export const HOUSEKEEPING_INTERVAL_MS = 60_000;

export interface WorkerOptions {
  /** Names this worker in leases and logs; default `<host>:<pid>:<random>`. */
  readonly workerId?: string;
  /** Rows of each kind claimed per pass (1–100); default 20. */
  readonly batchSize?: number;
  /** How long a claim holds before another worker may take it over; default 60 s. */
  readonly leaseMs?: number;
  /** Pause between passes that found nothing to do; default 1 s. */
  readonly pollIntervalMs?: number;
  /**
   * How often (desk clock) the running loop purges expired technical rows (app/housekeeping.ts);
   * default `HOUSEKEEPING_INTERVAL_MS`.
   */
  readonly housekeepingIntervalMs?: number;
  readonly timerHandlers?: TimerHandlers;
  /** Default: POST over HTTP with a 10 s timeout. */
  readonly postWebhook?: PostWebhook;
  /** Which queues this worker serves; default all three. */
  readonly queues?: {
    readonly timers?: boolean;
    readonly notifications?: boolean;
    readonly webhooks?: boolean;
  };
  /** Told of unexpected errors (a pass that threw); default stderr. */
  readonly onError?: (error: unknown) => void;
}

export interface PassCounts {
  readonly timers: Partial<Record<RunResult, number>>;
  readonly notifications: Partial<Record<SendResult, number>>;
  readonly webhooks: Partial<Record<DeliveryOutcome | 'skipped', number>>;
  /** Rows claimed in this pass, all kinds. */
  readonly claimed: number;
}

export function defaultWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

function count<K extends string>(into: Partial<Record<K, number>>, key: K): void {
  into[key] = (into[key] ?? 0) + 1;
}

interface Resolved {
  readonly workerId: string;
  readonly batchSize: number;
  readonly leaseMs: number;
  readonly handlers: TimerHandlers;
  readonly postWebhook: PostWebhook;
  readonly queues: { timers: boolean; notifications: boolean; webhooks: boolean };
}

function resolve(deps: DeskDeps, options: WorkerOptions): Resolved {
  const batchSize = options.batchSize ?? 20;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > WORKER_LIMITS.maxBatch) {
    throw new RangeError(`batchSize must be 1..${WORKER_LIMITS.maxBatch}`);
  }
  return {
    workerId: options.workerId ?? defaultWorkerId(),
    batchSize,
    leaseMs: options.leaseMs ?? 60_000,
    handlers: options.timerHandlers ?? CASE_TIMER_HANDLERS,
    postWebhook: options.postWebhook ?? httpWebhookSender(deps.clock),
    queues: {
      timers: options.queues?.timers ?? true,
      notifications: options.queues?.notifications ?? true,
      webhooks: options.queues?.webhooks ?? true,
    },
  };
}

async function pass(deps: DeskDeps, r: Resolved): Promise<PassCounts> {
  const claim = { workerId: r.workerId, limit: r.batchSize, leaseMs: r.leaseMs };
  const counts: PassCounts = { timers: {}, notifications: {}, webhooks: {}, claimed: 0 };
  let claimed = 0;
  if (r.queues.timers) {
    const timers = await claimTimers(deps, claim);
    claimed += timers.length;
    for (const timer of timers) {
      count(counts.timers, await runTimer(deps, timer, r.workerId, r.handlers));
    }
  }
  if (r.queues.notifications) {
    const notices = await claimNotifications(deps, claim);
    claimed += notices.length;
    for (const notice of notices) {
      count(counts.notifications, await sendNotification(deps, notice, r.workerId));
    }
  }
  if (r.queues.webhooks) {
    const deliveries = await claimDeliveries(deps, claim);
    claimed += deliveries.length;
    // Endpoints are independent: a batch is posted concurrently (it is bounded by batchSize).
    const outcomes = await Promise.all(
      deliveries.map(async (leased) => {
        if (!(await stillLeased(deps, leased.delivery.id, r.workerId))) return 'skipped' as const;
        const result = await r.postWebhook(leased);
        return recordDeliveryAttempt(deps, leased.delivery, r.workerId, result);
      }),
    );
    for (const outcome of outcomes) count(counts.webhooks, outcome);
  }
  return { ...counts, claimed };
}

/** One pass over every queue (see the module comment). */
export async function runWorkerPass(
  deps: DeskDeps,
  options: WorkerOptions = {},
): Promise<PassCounts> {
  return pass(deps, resolve(deps, options));
}

/** Passes until one claims nothing (bounded): what is due now is done. For tests and the CLI. */
export async function runUntilIdle(deps: DeskDeps, options: WorkerOptions = {}): Promise<number> {
  const r = resolve(deps, options);
  let total = 0;
  for (let i = 0; i < WORKER_LIMITS.maxPassesUntilIdle; i += 1) {
    const { claimed } = await pass(deps, r);
    if (claimed === 0) return total;
    total += claimed;
  }
  return total;
}

export interface RunningWorker {
  readonly workerId: string;
  /** Stops after the current pass; resolves when it has ended. */
  stop(): Promise<void>;
}

function reportToStderr(error: unknown): void {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`refund-desk worker: ${text}\n`);
}

/**
 * Housekeeping when due by the desk's clock: at the first call, then `intervalMs` after each run,
 * or at the next call after a run that deleted a full batch of some table.
 */
function housekeeper(deps: DeskDeps, intervalMs: number): () => Promise<void> {
  let dueAtMs = Number.NEGATIVE_INFINITY;
  return async () => {
    const nowMs = deps.clock.nowMs();
    if (nowMs < dueAtMs) return;
    dueAtMs = nowMs + intervalMs; // set first: a run that throws waits for the interval too
    if (purgedFullBatch(await purgeExpired(deps, nowMs))) dueAtMs = nowMs;
  };
}

/**
 * Runs passes until stopped, pausing `pollIntervalMs` after a pass with nothing to do, and keeps
 * house every `housekeepingIntervalMs` (see the module comment).
 */
export function startWorker(deps: DeskDeps, options: WorkerOptions = {}): RunningWorker {
  const r = resolve(deps, options);
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const housekeepingIntervalMs = options.housekeepingIntervalMs ?? HOUSEKEEPING_INTERVAL_MS;
  if (!Number.isSafeInteger(housekeepingIntervalMs) || housekeepingIntervalMs < 1) {
    throw new RangeError('housekeepingIntervalMs must be a positive integer');
  }
  const keepHouse = housekeeper(deps, housekeepingIntervalMs);
  const onError = options.onError ?? reportToStderr;
  let stopped = false;
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const loop = (async () => {
    while (!stopped) {
      let busy = false;
      try {
        busy = (await pass(deps, r)).claimed > 0;
      } catch (error) {
        onError(error);
      }
      if (stopped) break;
      try {
        await keepHouse();
      } catch (error) {
        onError(error);
      }
      if (busy || stopped) continue;
      await new Promise<void>((resolveSleep) => {
        wake = resolveSleep;
        timer = setTimeout(resolveSleep, pollIntervalMs);
      });
      wake = undefined;
    }
  })();
  return {
    workerId: r.workerId,
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      wake?.();
      await loop;
    },
  };
}
