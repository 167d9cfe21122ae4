/** Configuration from the environment, read once at start (the edge; nothing inside reads env). */
import { join, resolve } from 'node:path';
import { systemClock, type NotifySettings } from '../app/context.js';
import { caseConfigFromEnv, type CaseDeskConfig } from '../app/cases/config.js';
import { payoutsConfigFromEnv, type PayoutsConfig } from './payouts.js';

export interface DeskConfig {
  /** `postgres://…` or `sqlite:PATH`. */
  readonly databaseUrl: string;
  readonly dataDir: string;
  /** Evidence files of earlier versions, read only (new evidence lives in the database). */
  readonly evidenceDir: string;
  readonly hostname: string;
  readonly port: number;
  readonly publicUrl: string;
  readonly hostTokenSecret?: string;
  /** Load demo data into an empty database: default on for the embedded engine only. */
  readonly demo: boolean;
  /**
   * Run the worker (timers, case mail, webhooks) inside the server: default on; `WORKER=0` when
   * separate `refund-desk worker` processes do it.
   */
  readonly worker: boolean;
  /** `MAIL_REPLY_TO` (with `{caseId}`), `PROGRESS_UPDATE_BUSINESS_DAYS`. */
  readonly notify: NotifySettings;
  /** Business calendar and second-approval amounts (app/cases/config.ts); absent: defaults. */
  readonly cases?: CaseDeskConfig;
  /**
   * Payout providers, provider webhook secrets, the seller's system (runtime/payouts.ts);
   * absent: no provider, no webhook secret, no seller system.
   */
  readonly payouts?: PayoutsConfig;
}

export type ConfigResult = { ok: true; config: DeskConfig } | { ok: false; error: string };

export function readConfig(
  env: NodeJS.ProcessEnv,
  overrides: { demo?: boolean; port?: number; hostname?: string } = {},
): ConfigResult {
  const dataDir = resolve(env['DATA_DIR'] ?? 'data');
  const databaseUrl = env['DATABASE_URL'] ?? `sqlite:${join(dataDir, 'refund-desk.sqlite')}`;
  const port = overrides.port ?? Number(env['PORT'] ?? '3000');
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    return { ok: false, error: `PORT must be 0..65535, got ${env['PORT']}` };
  const hostname = overrides.hostname ?? env['HOST'] ?? '127.0.0.1';
  const embedded = !/^postgres(ql)?:\/\//.test(databaseUrl);
  const demoEnv = env['DEMO'];
  const demo =
    overrides.demo ?? (demoEnv === undefined ? embedded : demoEnv === '1' || demoEnv === 'true');
  const progressText = env['PROGRESS_UPDATE_BUSINESS_DAYS'];
  const progressDays = progressText === undefined ? undefined : Number(progressText);
  if (
    progressDays !== undefined &&
    !(/^\d+$/.test(progressText ?? '') && progressDays >= 1 && progressDays <= 365)
  ) {
    return {
      ok: false,
      error: `PROGRESS_UPDATE_BUSINESS_DAYS must be 1..365, got ${progressText}`,
    };
  }
  const replyTo = env['MAIL_REPLY_TO'];
  if (replyTo !== undefined && (/[\r\n]/.test(replyTo) || !replyTo.includes('@'))) {
    return {
      ok: false,
      error: 'MAIL_REPLY_TO must be an email address (with {caseId} for the case)',
    };
  }
  const workerEnv = env['WORKER'];
  const cases = caseConfigFromEnv(env);
  if (!cases.ok) return { ok: false, error: cases.error };
  const payouts = payoutsConfigFromEnv(env, systemClock);
  if (!payouts.ok) return { ok: false, error: payouts.error };
  const hostTokenSecret = env['HOST_TOKEN_SECRET'];
  if (hostTokenSecret !== undefined && hostTokenSecret.length < 32) {
    return { ok: false, error: 'HOST_TOKEN_SECRET must be at least 32 characters' };
  }
  return {
    ok: true,
    config: {
      databaseUrl,
      dataDir,
      evidenceDir: resolve(env['EVIDENCE_DIR'] ?? join(dataDir, 'evidence')),
      hostname,
      port,
      publicUrl: env['PUBLIC_URL'] ?? `http://${hostname}:${port}`,
      demo,
      worker: workerEnv === undefined || !(workerEnv === '0' || workerEnv === 'false'),
      payouts: payouts.config,
      notify: {
        ...(replyTo === undefined || replyTo === '' ? {} : { replyTo }),
        ...(progressDays === undefined ? {} : { progressUpdateBusinessDays: progressDays }),
      },
      ...(hostTokenSecret === undefined ? {} : { hostTokenSecret }),
      ...(cases.config === undefined ? {} : { cases: cases.config }),
    },
  };
}
