/**
 * People and permissions over HTTP:
 *
 * - Staff: `POST /v1/staff/sessions` (email + password → `rd_session` cookie; failures are
 *   limited per email and per client: 429 `too_many_attempts` with `Retry-After`),
 *   admin-only `POST|GET /v1/staff-users`, `POST /v1/staff-users/:id/disable`.
 * - Customers: `POST /v1/auth/sign-in-links` (always 202), `POST /v1/auth/sign-in-links/redeem`,
 *   `POST /v1/auth/host-token` (404 when no host secret is configured: the route does not exist;
 *   a token used before: 401 `token_replayed`).
 * - Everyone: `GET /v1/me`, `DELETE /v1/sessions/current` (sign out).
 * - API keys (admin staff or a key with the `admin` scope): `POST|GET /v1/api-keys`,
 *   `POST /v1/api-keys/:id/revoke`.
 *
 * The session cookie is HttpOnly, SameSite=Lax, Path=/, and Secure when the public URL is https.
 * Bodies must be JSON (a cross-site form cannot send that), at most `MAX_AUTH_BODY_BYTES`.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import {
  createApiKey,
  getApiKey,
  listApiKeys,
  revokeApiKey,
  type ApiKeyInfo,
} from '../../app/auth/api-keys.js';
import { signInWithHostToken } from '../../app/auth/host-token.js';
import { dummyPasswordHash } from '../../app/auth/passwords.js';
import {
  hostTokenSchema,
  newApiKeySchema,
  newStaffUserSchema,
  signInLinkRedeemSchema,
  signInLinkRequestSchema,
  staffSignInSchema,
  type NewApiKeyBody,
  type NewStaffUserBody,
  type SignInLinkRequestBody,
  type StaffSignInBody,
  type TokenBody,
} from '../../app/auth/schemas.js';
import { SESSION_COOKIE, revokeSession, type NewSession } from '../../app/auth/sessions.js';
import {
  findCustomerSummary,
  redeemSignInLink,
  requestSignInLink,
} from '../../app/auth/sign-in-links.js';
import {
  createStaffUser,
  disableStaffUser,
  getStaffUser,
  listStaffUsers,
  signInStaff,
  type StaffUser,
} from '../../app/auth/staff.js';
import type { DeskDeps } from '../../app/context.js';
import { toFieldErrors } from '../../engine/json-schema.js';
import type { FieldError } from '../../engine/index.js';
import type { AuthEnv } from '../auth.js';
import { ProblemException, requireActor, requireScope, requireStaff } from '../guards.js';
import { limitBody as limitBodyTo, readJsonBody } from '../media.js';
import { invalidFieldsDetail, methodNotAllowed } from '../problems.js';

export const MAX_AUTH_BODY_BYTES = 16 * 1024;
/** `?limit=` and `?after=` of the staff and API-key lists. */
export const AUTH_PAGE_LIMITS = { defaultLimit: 50, maxLimit: 200, afterMaxChars: 100 } as const;
const {
  defaultLimit: DEFAULT_PAGE,
  maxLimit: MAX_PAGE,
  afterMaxChars: MAX_CURSOR_CHARS,
} = AUTH_PAGE_LIMITS;

type Ctx = Context<AuthEnv>;

const ajv = new Ajv2020({ allErrors: true, strict: true });
const validateStaffSignIn = ajv.compile<StaffSignInBody>(staffSignInSchema);
const validateNewStaffUser = ajv.compile<NewStaffUserBody>(newStaffUserSchema);
const validateSignInLinkRequest = ajv.compile<SignInLinkRequestBody>(signInLinkRequestSchema);
const validateSignInLinkRedeem = ajv.compile<TokenBody>(signInLinkRedeemSchema);
const validateHostToken = ajv.compile<TokenBody>(hostTokenSchema);
const validateNewApiKey = ajv.compile<NewApiKeyBody>(newApiKeySchema);

function invalid(detail: string, errors?: readonly FieldError[]): ProblemException {
  return new ProblemException('invalid_request', detail, errors);
}

/** The JSON body, validated; a problem (415, 400 invalid_json, 400 invalid_request) otherwise. */
async function readBody<T>(c: Ctx, validate: ValidateFunction<T>): Promise<T> {
  const body = await readJsonBody(c);
  if (!validate(body)) {
    const errors = toFieldErrors(validate.errors ?? []);
    throw invalid(invalidFieldsDetail('request', errors.length), errors);
  }
  return body;
}

const limitBody = limitBodyTo(MAX_AUTH_BODY_BYTES);

function readPage(c: Ctx): { limit: number; after?: string } {
  const limitText = c.req.query('limit');
  const after = c.req.query('after');
  const limit = limitText === undefined ? DEFAULT_PAGE : Number(limitText);
  if (
    !Number.isInteger(limit) ||
    limit < 1 ||
    limit > MAX_PAGE ||
    !/^\d+$/.test(limitText ?? '1')
  ) {
    throw invalid(`The query parameter limit must be an integer from 1 to ${MAX_PAGE}.`);
  }
  if (after !== undefined && (after.length === 0 || after.length > MAX_CURSOR_CHARS)) {
    throw invalid(`The query parameter after must be 1 to ${MAX_CURSOR_CHARS} characters.`);
  }
  return after === undefined ? { limit } : { limit, after };
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function staffView(user: StaffUser) {
  return { id: user.id, email: user.email, name: user.name, role: user.role };
}

function staffDetailView(user: StaffUser) {
  return {
    ...staffView(user),
    createdAt: iso(user.createdAtMs),
    disabledAt: iso(user.disabledAtMs),
  };
}

function apiKeyView(key: ApiKeyInfo) {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    scopes: key.scopes,
    createdAt: iso(key.createdAtMs),
    createdBy: key.createdBy,
    revokedAt: iso(key.revokedAtMs),
  };
}

export function registerAuthRoutes(app: Hono<AuthEnv>, deps: DeskDeps): void {
  const secureCookie = new URL(deps.publicUrl).protocol === 'https:';
  void dummyPasswordHash().catch(() => undefined); // warm: the first failed sign-in is not slower

  /** Sets the session cookie, revoking the session the browser held before (no fixation). */
  async function startSession(c: Ctx, session: NewSession): Promise<void> {
    const previous = getCookie(c, SESSION_COOKIE);
    if (previous !== undefined) await revokeSession(deps, previous);
    setCookie(c, SESSION_COOKIE, session.token, {
      httpOnly: true,
      sameSite: 'Lax',
      path: '/',
      secure: secureCookie,
      maxAge: Math.max(0, Math.floor((session.expiresAtMs - deps.clock.nowMs()) / 1000)),
    });
  }

  // ── Staff ────────────────────────────────────────────────────────────────────────────────
  app.post('/v1/staff/sessions', limitBody, async (c) => {
    const body = await readBody(c, validateStaffSignIn);
    const result = await signInStaff(deps, body, { ip: c.get('origin').ip });
    if (!result.ok) {
      if (result.error.code === 'too_many_attempts') {
        // The same answer for every email, known or not; the wait is in Retry-After.
        const seconds = Math.max(1, Math.ceil(result.error.retryAfterMs / 1000));
        const minutes = Math.ceil(seconds / 60);
        throw new ProblemException(
          'too_many_attempts',
          `Too many failed sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
          undefined,
          { 'retry-after': String(seconds) },
        );
      }
      throw new ProblemException('unauthorized', 'The email or password is wrong.');
    }
    await startSession(c, result.value.session);
    return c.json({ staff: staffView(result.value.staff) }, 200);
  });

  app.post('/v1/staff-users', limitBody, async (c) => {
    requireStaff(c, 'admin');
    const body = await readBody(c, validateNewStaffUser);
    const result = await createStaffUser(deps, c.get('origin'), body);
    if (!result.ok) {
      if (result.error.code === 'email_taken') {
        throw new ProblemException(
          'email_taken',
          'A staff account with this email already exists.',
        );
      }
      throw invalid('The staff account is not valid; see errors.', result.error.errors);
    }
    return c.json({ staff: staffDetailView(result.value) }, 201);
  });

  app.get('/v1/staff-users', async (c) => {
    requireStaff(c, 'admin');
    const page = await listStaffUsers(deps, readPage(c));
    return c.json({ items: page.items.map(staffDetailView), next: page.next });
  });

  app.post('/v1/staff-users/:id/disable', async (c) => {
    requireStaff(c, 'admin');
    const result = await disableStaffUser(deps, c.get('origin'), c.req.param('id'));
    if (!result.ok) {
      if (result.error.code === 'self') {
        throw new ProblemException('forbidden', 'You cannot disable your own account.');
      }
      throw new ProblemException('not_found', `No staff account ${c.req.param('id')}.`);
    }
    return c.json({ staff: staffDetailView(result.value) });
  });

  // ── Customers ────────────────────────────────────────────────────────────────────────────
  app.post('/v1/auth/sign-in-links', limitBody, async (c) => {
    const { email } = await readBody(c, validateSignInLinkRequest);
    const outcome = await requestSignInLink(deps, email);
    if (outcome.status === 'mail_failed') {
      const reason = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
      process.stderr.write(`refund-desk: sign-in link mail failed: ${reason}\n`);
    }
    // The same answer whatever happened, so nobody learns which emails have accounts.
    return c.json(
      {
        status: 'accepted',
        detail:
          'If this email belongs to an order, a sign-in link is on its way. It works once, for 15 minutes.',
      },
      202,
    );
  });

  app.post('/v1/auth/sign-in-links/redeem', limitBody, async (c) => {
    const { token } = await readBody(c, validateSignInLinkRedeem);
    const result = await redeemSignInLink(deps, token);
    if (!result.ok) {
      const why = {
        unknown: 'This sign-in link is not valid.',
        used: 'This sign-in link has already been used.',
        expired: 'This sign-in link has expired.',
      }[result.error.code];
      throw new ProblemException('unauthorized', `${why} Ask for a new one.`);
    }
    await startSession(c, result.value.session);
    return c.json({ customer: result.value.customer });
  });

  app.post('/v1/auth/host-token', limitBody, async (c) => {
    const secret = deps.hostTokenSecret;
    if (secret === undefined || secret === '') {
      throw new ProblemException('not_found', 'Host-platform sign-in is not configured.');
    }
    const { token } = await readBody(c, validateHostToken);
    const result = await signInWithHostToken(deps, secret, token);
    if (!result.ok) {
      // A spent token gets a code of its own: the platform signs a new one rather than retry.
      const code = result.error.code === 'replayed' ? 'token_replayed' : 'unauthorized';
      throw new ProblemException(code, result.error.detail);
    }
    await startSession(c, result.value.session);
    return c.json({ customer: result.value.customer });
  });

  // ── Everyone ─────────────────────────────────────────────────────────────────────────────
  app.get('/v1/me', async (c) => {
    const actor = requireActor(c);
    switch (actor.kind) {
      case 'staff': {
        const user = await getStaffUser(deps, actor.id);
        if (user === undefined) throw new ProblemException('unauthorized', 'Sign in again.');
        return c.json({ kind: 'staff', staff: staffView(user) });
      }
      case 'customer': {
        const customer = await findCustomerSummary(deps, actor.id);
        if (customer === undefined) throw new ProblemException('unauthorized', 'Sign in again.');
        return c.json({ kind: 'customer', customer });
      }
      case 'api_key': {
        const key = await getApiKey(deps, actor.id);
        if (key === undefined) throw new ProblemException('unauthorized', 'Unknown API key.');
        return c.json({
          kind: 'api_key',
          apiKey: { id: key.id, name: key.name, scopes: key.scopes },
        });
      }
      case 'system':
        throw new ProblemException('unauthorized', 'Sign in.');
    }
  });

  app.delete('/v1/sessions/current', async (c) => {
    const token = getCookie(c, SESSION_COOKIE);
    const actor = c.get('actor');
    if (token === undefined || actor === undefined || actor.kind === 'api_key') {
      throw new ProblemException('unauthorized', 'There is no session to sign out of.');
    }
    await revokeSession(deps, token);
    deleteCookie(c, SESSION_COOKIE, {
      path: '/',
      secure: secureCookie,
      httpOnly: true,
      sameSite: 'Lax',
    });
    return c.body(null, 204);
  });

  // ── API keys ─────────────────────────────────────────────────────────────────────────────
  app.post('/v1/api-keys', limitBody, async (c) => {
    requireScope(c, 'admin');
    const body = await readBody(c, validateNewApiKey);
    const created = await createApiKey(deps, c.get('origin'), {
      name: body.name.trim(),
      scopes: body.scopes,
    });
    const info = await getApiKey(deps, created.id);
    if (info === undefined) throw new Error(`API key ${created.id} vanished after creation`);
    // The key is shown this once; only its digest is stored.
    return c.json({ ...apiKeyView(info), key: created.key }, 201);
  });

  app.get('/v1/api-keys', async (c) => {
    requireScope(c, 'admin');
    const page = await listApiKeys(deps, readPage(c));
    return c.json({ items: page.items.map(apiKeyView), next: page.next });
  });

  app.post('/v1/api-keys/:id/revoke', async (c) => {
    requireScope(c, 'admin');
    const id = c.req.param('id');
    await revokeApiKey(deps, c.get('origin'), id); // false when already revoked: idempotent
    const info = await getApiKey(deps, id);
    if (info === undefined) throw new ProblemException('not_found', `No API key ${id}.`);
    return c.json({ apiKey: apiKeyView(info) });
  });

  // Other methods on these paths: 405 with the methods they have.
  const allowed: ReadonlyArray<readonly [string, string]> = [
    ['/v1/staff/sessions', 'POST'],
    ['/v1/staff-users', 'GET, HEAD, POST'],
    ['/v1/staff-users/:id/disable', 'POST'],
    ['/v1/auth/sign-in-links', 'POST'],
    ['/v1/auth/sign-in-links/redeem', 'POST'],
    ['/v1/auth/host-token', 'POST'],
    ['/v1/me', 'GET, HEAD'],
    ['/v1/sessions/current', 'DELETE'],
    ['/v1/api-keys', 'GET, HEAD, POST'],
    ['/v1/api-keys/:id/revoke', 'POST'],
  ];
  for (const [path, allow] of allowed) app.all(path, methodNotAllowed(allow));
}
