/**
 * People and permissions over HTTP:
 *
 * - Staff: `POST /v1/staff/sessions` (email + password → `rd_session` cookie),
 *   admin-only `POST|GET /v1/staff-users`, `POST /v1/staff-users/:id/disable`.
 * - Customers: `POST /v1/auth/sign-in-links` (always 202), `POST /v1/auth/sign-in-links/redeem`,
 *   `POST /v1/auth/host-token` (404 when no host secret is configured: the route does not exist).
 * - Everyone: `GET /v1/me`, `DELETE /v1/sessions/current` (sign out).
 * - API keys (admin staff or a key with the `admin` scope): `POST|GET /v1/api-keys`,
 *   `POST /v1/api-keys/:id/revoke`.
 *
 * The session cookie is HttpOnly, SameSite=Lax, Path=/, and Secure when the public URL is https.
 * Bodies must be JSON (a cross-site form cannot send that), at most `MAX_AUTH_BODY_BYTES`.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import {
  API_KEY_SCOPES,
  MAX_API_KEY_NAME_CHARS,
  createApiKey,
  getApiKey,
  listApiKeys,
  revokeApiKey,
  type ApiKeyInfo,
  type ApiKeyScope,
} from '../../app/auth/api-keys.js';
import { signInWithHostToken, MAX_HOST_TOKEN_CHARS } from '../../app/auth/host-token.js';
import {
  MAX_PASSWORD_CHARS,
  MIN_PASSWORD_CHARS,
  dummyPasswordHash,
} from '../../app/auth/passwords.js';
import { SESSION_COOKIE, revokeSession, type NewSession } from '../../app/auth/sessions.js';
import { redeemSignInLink, requestSignInLink } from '../../app/auth/sign-in-links.js';
import {
  MAX_EMAIL_CHARS,
  MAX_NAME_CHARS,
  STAFF_ROLES,
  createStaffUser,
  disableStaffUser,
  getStaffUser,
  listStaffUsers,
  signInStaff,
  type StaffUser,
} from '../../app/auth/staff.js';
import type { DeskDeps, StaffRole } from '../../app/context.js';
import { toFieldErrors } from '../../engine/json-schema.js';
import type { FieldError } from '../../engine/index.js';
import type { AuthEnv } from '../auth.js';
import { ProblemException, requireActor, requireScope, requireStaff } from '../guards.js';
import { problem, problemResponse } from '../problems.js';

export const MAX_AUTH_BODY_BYTES = 16 * 1024;
const DEFAULT_PAGE = 50;
const MAX_PAGE = 200;
const MAX_CURSOR_CHARS = 100;
/** Longer than any token we issue (43 chars); bounds the work on junk. */
const MAX_LINK_TOKEN_CHARS = 200;

type Ctx = Context<AuthEnv>;

/** `application/json` or `application/*+json`, UTF-8 (as app.ts; imported from there would cycle). */
function isJsonMediaType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const [essence = '', ...params] = header.split(';').map((part) => part.trim().toLowerCase());
  if (essence !== 'application/json' && !/^application\/[a-z0-9!#$&^_.+-]+\+json$/.test(essence)) {
    return false;
  }
  return params.every((param) => {
    const [name, value = ''] = param.split('=', 2).map((part) => part.trim());
    return name !== 'charset' || ['utf-8', '"utf-8"', 'utf8'].includes(value);
  });
}

const ajv = new Ajv2020({ allErrors: true, strict: true });

function bodySchema<T>(properties: Record<string, object>, required: readonly string[]) {
  return ajv.compile<T>({
    type: 'object',
    properties,
    required: [...required],
    additionalProperties: false,
  });
}

const emailField = { type: 'string', minLength: 1, maxLength: MAX_EMAIL_CHARS };

const staffSignInSchema = bodySchema<{ email: string; password: string }>(
  {
    email: emailField,
    password: { type: 'string', minLength: 1, maxLength: 4 * MAX_PASSWORD_CHARS },
  },
  ['email', 'password'],
);
const newStaffSchema = bodySchema<{
  email: string;
  name: string;
  role: StaffRole;
  password: string;
}>(
  {
    email: emailField,
    name: { type: 'string', minLength: 1, maxLength: MAX_NAME_CHARS },
    role: { enum: [...STAFF_ROLES] },
    password: { type: 'string', minLength: MIN_PASSWORD_CHARS, maxLength: MAX_PASSWORD_CHARS },
  },
  ['email', 'name', 'role', 'password'],
);
const signInLinkSchema = bodySchema<{ email: string }>({ email: emailField }, ['email']);
const redeemSchema = bodySchema<{ token: string }>(
  { token: { type: 'string', minLength: 1, maxLength: MAX_LINK_TOKEN_CHARS } },
  ['token'],
);
const hostTokenSchema = bodySchema<{ token: string }>(
  { token: { type: 'string', minLength: 1, maxLength: MAX_HOST_TOKEN_CHARS } },
  ['token'],
);
const newApiKeySchema = bodySchema<{ name: string; scopes: ApiKeyScope[] }>(
  {
    name: { type: 'string', minLength: 1, maxLength: MAX_API_KEY_NAME_CHARS, pattern: '\\S' },
    scopes: {
      type: 'array',
      items: { enum: [...API_KEY_SCOPES] },
      minItems: 1,
      maxItems: API_KEY_SCOPES.length,
      uniqueItems: true,
    },
  },
  ['name', 'scopes'],
);

function invalid(detail: string, errors?: readonly FieldError[]): ProblemException {
  return new ProblemException('invalid_request', detail, errors);
}

/** The JSON body, validated; a problem (415, 400 invalid_json, 400 invalid_request) otherwise. */
async function readBody<T>(c: Ctx, validate: ValidateFunction<T>): Promise<T> {
  if (!isJsonMediaType(c.req.header('content-type'))) {
    throw new ProblemException(
      'unsupported_media_type',
      `The request body must be application/json; got ${c.req.header('content-type') ?? 'no content type'}.`,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch (error) {
    const reason = error instanceof SyntaxError ? ` (${error.message})` : '';
    throw new ProblemException('invalid_json', `The request body is not valid JSON${reason}.`);
  }
  if (!validate(body)) {
    const errors = toFieldErrors(validate.errors ?? []);
    throw invalid(
      `The request has ${errors.length} invalid field${errors.length === 1 ? '' : 's'}; see errors.`,
      errors,
    );
  }
  return body;
}

const limitBody: MiddlewareHandler = bodyLimit({
  maxSize: MAX_AUTH_BODY_BYTES,
  onError: () =>
    problemResponse(
      problem(
        'payload_too_large',
        `The request body must be at most ${MAX_AUTH_BODY_BYTES} bytes.`,
      ),
    ),
});

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
    const body = await readBody(c, staffSignInSchema);
    const result = await signInStaff(deps, body);
    if (!result.ok) {
      throw new ProblemException('unauthorized', 'The email or password is wrong.');
    }
    await startSession(c, result.value.session);
    return c.json({ staff: staffView(result.value.staff) }, 200);
  });

  app.post('/v1/staff-users', limitBody, async (c) => {
    requireStaff(c, 'admin');
    const body = await readBody(c, newStaffSchema);
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
    const { email } = await readBody(c, signInLinkSchema);
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
    const { token } = await readBody(c, redeemSchema);
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
    const { token } = await readBody(c, hostTokenSchema);
    const result = await signInWithHostToken(deps, secret, token);
    if (!result.ok) throw new ProblemException('unauthorized', result.error.detail);
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
        const customer = await deps.store.db
          .selectFrom('customers')
          .select(['id', 'email', 'name'])
          .where('id', '=', actor.id)
          .executeTakeFirst();
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
    const body = await readBody(c, newApiKeySchema);
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
}
