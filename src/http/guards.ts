/**
 * Authorization helpers for route handlers. Each either returns the caller (narrowed to what
 * the route needs) or throws a `ProblemException`, which `createApp`'s error handler answers as
 * `application/problem+json`: anonymous → 401 `unauthorized`, known but not allowed → 403
 * `forbidden`. Routes still check the caller's right to the exact object (a customer asking
 * for another customer's object gets 404 from the route, never 403, so existence does not leak).
 */
import type { Context, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Actor, DeskDeps, StaffRole } from '../app/context.js';
import type { ApiKeyScope } from '../app/auth/api-keys.js';
import type { FieldError } from '../engine/index.js';
import type { AuthEnv } from './auth.js';
import { problem, problemResponse, type Problem, type ProblemCode } from './problems.js';

type StaffActor = Extract<Actor, { kind: 'staff' }>;
type CustomerActor = Extract<Actor, { kind: 'customer' }>;
type ApiKeyActor = Extract<Actor, { kind: 'api_key' }>;

/**
 * A problem thrown from a handler (optionally naming fields by JSON pointer); the app's error
 * handler returns `getResponse()`.
 */
export class ProblemException extends HTTPException {
  readonly problem: Problem;
  constructor(
    code: ProblemCode,
    detail: string,
    errors?: readonly FieldError[],
    headers: Readonly<Record<string, string>> = {},
  ) {
    const body = problem(code, detail, errors);
    super(body.status as ConstructorParameters<typeof HTTPException>[0], {
      message: detail,
      res: problemResponse(body, headers),
    });
    this.problem = body;
  }
}

const ROLE_RANK: { readonly [R in StaffRole]: number } = { agent: 1, approver: 2, admin: 3 };

/** True when `role` is at least `minRole` (agent < approver < admin). */
export function roleAtLeast(role: StaffRole, minRole: StaffRole): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[minRole];
}

function unauthorized(): ProblemException {
  return new ProblemException(
    'unauthorized',
    'Sign in (session cookie) or send an API key (Authorization: Bearer rdk_…).',
  );
}

/** The signed-in caller (staff, customer or API key); anonymous → 401 `unauthorized`. */
export function requireActor(c: Context<AuthEnv>): Actor {
  const actor = c.get('actor');
  if (actor === undefined || actor.kind === 'system') throw unauthorized();
  return actor;
}

/**
 * A staff member with at least `minRole` (default: any staff). Anonymous → 401; a customer,
 * an API key or a staff member with a lower role → 403 `forbidden`.
 */
export function requireStaff(c: Context<AuthEnv>, minRole: StaffRole = 'agent'): StaffActor {
  const actor = requireActor(c);
  if (actor.kind !== 'staff') {
    throw new ProblemException('forbidden', 'Only staff may do this.');
  }
  if (!roleAtLeast(actor.role, minRole)) {
    throw new ProblemException('forbidden', `This needs the ${minRole} role or higher.`);
  }
  return actor;
}

/** A signed-in customer. Anonymous → 401; staff or an API key → 403 `forbidden`. */
export function requireCustomer(c: Context<AuthEnv>): CustomerActor {
  const actor = requireActor(c);
  if (actor.kind !== 'customer') {
    throw new ProblemException('forbidden', 'Only a signed-in customer may do this.');
  }
  return actor;
}

/**
 * An API key holding `scope`, or a staff admin (who may act for any scope). Anonymous → 401;
 * a key without the scope, a customer or non-admin staff → 403 `forbidden`. Scopes are exact:
 * the `admin` scope does not imply the others.
 */
export function requireScope(c: Context<AuthEnv>, scope: ApiKeyScope): ApiKeyActor | StaffActor {
  const actor = requireActor(c);
  if (actor.kind === 'api_key' && actor.scopes.includes(scope)) return actor;
  if (actor.kind === 'staff' && actor.role === 'admin') return actor;
  throw new ProblemException(
    'forbidden',
    actor.kind === 'api_key'
      ? `This API key lacks the ${scope} scope.`
      : `This needs an API key with the ${scope} scope or a staff admin.`,
  );
}

/** True when the actor is the customer `customerId` (not staff, not another customer). */
export function isCustomer(actor: Actor | undefined, customerId: string): boolean {
  return actor?.kind === 'customer' && actor.id === customerId;
}

/**
 * Browsers send `Origin` on cross-site POSTs; a POST whose Origin is not the desk's public
 * origin is refused (multipart forms can be sent cross-site: SameSite=Lax session cookies are the
 * first line of defence, this is the second). Clients that are not browsers send no Origin.
 */
export function sameOrigin(deps: DeskDeps): MiddlewareHandler<AuthEnv> {
  const desk = new URL(deps.publicUrl).origin;
  return async (c, next) => {
    const origin = c.req.header('origin');
    if (c.req.method === 'POST' && origin !== undefined && origin !== desk) {
      return problemResponse(problem('forbidden', `Cross-site request from ${origin} refused.`));
    }
    await next();
  };
}
