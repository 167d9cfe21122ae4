/**
 * The composition root: configuration → store, mailer, clock → the case desk → HTTP.
 * The only place that wires concrete adapters together.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock, type Clock, type DeskDeps } from '../app/context.js';
import { mailerFromEnv } from '../app/mail.js';
import { listen, type RunningServer } from '../http/server.js';
import type { Store } from '../store/connect.js';
import type { DeskConfig } from './config.js';
import { DEMO_STAFF, isEmpty, loadDemo } from './demo.js';
import { openMigratedStore, redactUrl } from './store.js';

export interface OpenDesk {
  readonly deps: DeskDeps;
  readonly store: Store;
  close(): Promise<void>;
}

export async function openDesk(
  config: DeskConfig,
  env: NodeJS.ProcessEnv,
  clock: Clock = systemClock,
): Promise<OpenDesk> {
  const { store } = await openMigratedStore(config);
  mkdirSync(config.evidenceDir, { recursive: true });
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
    ...(config.hostTokenSecret === undefined ? {} : { hostTokenSecret: config.hostTokenSecret }),
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
      app: { desk: desk.deps },
    });
  } catch (error) {
    await desk.close();
    throw error;
  }
  log.write(`database: ${redactUrl(config.databaseUrl)}`);
  log.write(`Refund Desk listening on ${server.url}`);
  return {
    url: server.url,
    async close() {
      await server.close();
      await desk.close();
    },
  };
}
