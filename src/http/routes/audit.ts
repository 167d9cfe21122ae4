/**
 * The audit log, for admins: GET /v1/audit-log (a page, optionally for one entity) and
 * GET /v1/audit-log/verification (walks the hash chain, reports the first broken link).
 */
import type { Context, Hono } from 'hono';
import { listAudit, MAX_AUDIT_PAGE, verifyAudit } from '../../app/audit.js';
import type { DeskDeps } from '../../app/context.js';
import type { AuthEnv } from '../auth.js';
import { ProblemException, requireActor, requireStaff } from '../guards.js';
import { methodNotAllowed } from '../problems.js';

/** `entityKind` and `entityId` query parameters, at most. */
export const MAX_ID_CHARS = 128;

/** Admin staff, or an API key with the `admin` scope. */
function requireAuditReader(c: Context<AuthEnv>): void {
  const actor = requireActor(c);
  if (actor.kind === 'api_key') {
    if (!actor.scopes.includes('admin')) {
      throw new ProblemException('forbidden', 'Reading the audit log needs the admin scope.');
    }
    return;
  }
  requireStaff(c, 'admin');
}

function queryText(c: Context<AuthEnv>, name: string): string | undefined {
  const value = c.req.query(name);
  if (value !== undefined && (value.length === 0 || value.length > MAX_ID_CHARS)) {
    throw new ProblemException(
      'invalid_request',
      `Query parameter ${name} must be 1..${MAX_ID_CHARS} characters.`,
    );
  }
  return value;
}

function queryInteger(
  c: Context<AuthEnv>,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const value = c.req.query(name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new ProblemException(
      'invalid_request',
      `Query parameter ${name} must be an integer ${min}..${max}.`,
    );
  }
  return n;
}

export function registerAuditRoutes(app: Hono<AuthEnv>, deps: DeskDeps): void {
  app.get('/v1/audit-log', async (c) => {
    requireAuditReader(c);
    const entityKind = queryText(c, 'entityKind');
    const entityId = queryText(c, 'entityId');
    const afterSeq = queryInteger(c, 'after', 0, Number.MAX_SAFE_INTEGER);
    const page = await listAudit(deps.store.db, {
      limit: queryInteger(c, 'limit', 1, MAX_AUDIT_PAGE) ?? 50,
      ...(entityKind === undefined ? {} : { entityKind }),
      ...(entityId === undefined ? {} : { entityId }),
      ...(afterSeq === undefined ? {} : { afterSeq }),
    });
    return c.json(page);
  });
  app.all('/v1/audit-log', methodNotAllowed('GET, HEAD'));

  app.get('/v1/audit-log/verification', async (c) => {
    requireAuditReader(c);
    return c.json(await verifyAudit(deps.store.db));
  });
  app.all('/v1/audit-log/verification', methodNotAllowed('GET, HEAD'));
}
