/**
 * The composition root: configuration → store, mailer, clock → the case desk → HTTP.
 * The only place that wires concrete adapters together.
 */
import { join } from 'node:path';
import { systemClock, type Clock, type DeskDeps } from '../app/context.js';
import { mailerFromEnv } from '../app/mail.js';
import { listen, type RunningServer } from '../http/server.js';
import { startWorker } from '../jobs/worker.js';
import type { Store } from '../store/connect.js';
import type { DeskConfig } from './config.js';
import { DEMO_STAFF, isEmpty, loadDemo } from './demo.js';
import { describePayouts, NO_PAYOUTS_CONFIG, openPayouts, type OpenPayouts } from './payouts.js';
import { openMigratedStore, redactUrl } from './store.js';

/** The store, the mailer and the use cases' dependencies: what a one-off command needs. */
export interface OpenDeskDeps {
  readonly deps: DeskDeps;
  readonly store: Store;
  close(): Promise<void>;
}

export interface OpenDesk extends OpenDeskDeps {
  /** Provider adapters and webhook verifiers (runtime/payouts.ts). */
  readonly payouts: OpenPayouts;
}

/**
 * Opens the store and the mailer without the payout providers (and so without loading the
 * Stripe SDK): for CLI commands that only call use cases.
 */
export async function openDeskDeps(
  config: DeskConfig,
  env: NodeJS.ProcessEnv,
  clock: Clock = systemClock,
): Promise<OpenDeskDeps> {
  const { store } = await openMigratedStore(config);
  const mailer = mailerFromEnv(
    { MAIL_OUTBOX_DIR: join(config.dataDir, 'outbox'), ...env },
    { clock },
  );
  const deps: DeskDeps = {
    store,
    clock,
    mailer,
    evidenceDir: config.evidenceDir,
    publicUrl: config.publicUrl,
    notify: config.notify,
    ...(config.hostTokenSecret === undefined ? {} : { hostTokenSecret: config.hostTokenSecret }),
    ...(config.cases === undefined ? {} : { cases: config.cases }),
  };
  return {
    deps,
    store,
    async close() {
      if ('close' in mailer) mailer.close();
      await store.close();
    },
  };
}

/** The whole desk: its dependencies plus the payout providers the server and worker run. */
export async function openDesk(
  config: DeskConfig,
  env: NodeJS.ProcessEnv,
  clock: Clock = systemClock,
): Promise<OpenDesk> {
  const base = await openDeskDeps(config, env, clock);
  const payouts = await openPayouts(config.payouts ?? NO_PAYOUTS_CONFIG, base.deps);
  return {
    ...base,
    payouts,
    async close() {
      payouts.close();
      await base.close();
    },
  };
}

/** The worker and the payout loops (delivery, reconciliation, extensions), stopped together. */
interface RunningWorkers {
  readonly workerId: string;
  stop(): Promise<void>;
}

function startWorkers(desk: OpenDesk, onError?: (error: unknown) => void): RunningWorkers {
  const worker = startWorker(desk.deps, onError === undefined ? {} : { onError });
  const payoutLoops = desk.payouts.start(worker.workerId, onError);
  return {
    workerId: worker.workerId,
    async stop() {
      await Promise.all([worker.stop(), payoutLoops.stop()]);
    },
  };
}

export interface ServeLog {
  write(line: string): void;
}

/** Opens the desk, loads the demo into an empty embedded database, and serves HTTP. */
export async function serveDesk(
  config: DeskConfig,
  env: NodeJS.ProcessEnv,
  log: ServeLog,
): Promise<RunningServer> {
  const desk = await openDesk(config, env);
  if (config.demo && (await isEmpty(desk.deps))) {
    await loadDemo(desk.deps);
    log.write(`loaded demo data (staff sign-in: ${DEMO_STAFF.email} / ${DEMO_STAFF.password})`);
    log.write(`customer sign-in links are written to ${join(config.dataDir, 'outbox')}`);
  }
  let server: RunningServer;
  try {
    server = await listen({
      hostname: config.hostname,
      port: config.port,
      app: { desk: desk.deps, providerWebhooks: desk.payouts.verifiers },
    });
  } catch (error) {
    await desk.close();
    throw error;
  }
  // Timers, case mail, webhooks and payouts: in this process unless separate workers do it
  // (WORKER=0).
  const worker: RunningWorkers | undefined = config.worker ? startWorkers(desk) : undefined;
  log.write(`database: ${redactUrl(config.databaseUrl)}`);
  log.write(`Refund Desk listening on ${server.url}`);
  if (worker === undefined) log.write('worker: off (WORKER=0); run `refund-desk worker`');
  else log.write(describePayouts(config.payouts ?? NO_PAYOUTS_CONFIG));
  return {
    url: server.url,
    async close() {
      await server.close();
      await worker?.stop();
      await desk.close();
    },
  };
}

/**
 * `refund-desk worker`: the worker alone (timers, case mail, webhooks, payouts, extensions),
 * until closed.
 */
export async function runDeskWorker(
  config: DeskConfig,
  env: NodeJS.ProcessEnv,
  log: ServeLog,
): Promise<{ readonly workerId: string; close(): Promise<void> }> {
  const desk = await openDesk(config, env);
  const worker = startWorkers(desk, (error) =>
    log.write(`worker error: ${error instanceof Error ? error.message : String(error)}`),
  );
  log.write(`database: ${redactUrl(config.databaseUrl)}`);
  log.write(`Refund Desk worker ${worker.workerId} running`);
  log.write(describePayouts(config.payouts ?? NO_PAYOUTS_CONFIG));
  return {
    workerId: worker.workerId,
    async close() {
      await worker.stop();
      await desk.close();
    },
  };
}
