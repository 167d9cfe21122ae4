/** Configuration from the environment, read once at start (the edge; nothing inside reads env). */
import { join, resolve } from 'node:path';

export interface DeskConfig {
  /** `postgres://…` or `sqlite:PATH`. */
  readonly databaseUrl: string;
  readonly dataDir: string;
  readonly evidenceDir: string;
  readonly hostname: string;
  readonly port: number;
  readonly publicUrl: string;
  readonly hostTokenSecret?: string;
  /** Load demo data into an empty database: default on for the embedded engine only. */
  readonly demo: boolean;
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
      ...(hostTokenSecret === undefined ? {} : { hostTokenSecret }),
    },
  };
}
