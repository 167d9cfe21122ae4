/**
 * Sessions for people (staff and customers): an opaque random token in an HttpOnly cookie,
 * stored as its SHA-256 digest with an expiry, revocable. Shared by every instance through
 * the database.
 */
import { prepareQuery } from '../../store/prepared.js';
import type { Actor, AppContext, StaffRole } from '../context.js';
import { newSecret } from '../ids.js';
import { sha256Hex } from './tokens.js';

export const SESSION_COOKIE = 'rd_session';
export const STAFF_SESSION_TTL_MS = 12 * 60 * 60 * 1000;
export const CUSTOMER_SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export interface SessionSubject {
  readonly kind: 'staff' | 'customer';
  readonly id: string;
}

export interface NewSession {
  /** The cookie value; never stored. */
  readonly token: string;
  readonly expiresAtMs: number;
}

export async function createSession(
  ctx: AppContext,
  subject: SessionSubject,
  ttlMs?: number,
): Promise<NewSession> {
  const nowMs = ctx.clock.nowMs();
  const token = newSecret();
  const expiresAtMs =
    nowMs + (ttlMs ?? (subject.kind === 'staff' ? STAFF_SESSION_TTL_MS : CUSTOMER_SESSION_TTL_MS));
  await ctx.store.db
    .insertInto('sessions')
    .values({
      tokenHash: sha256Hex(token),
      subjectKind: subject.kind,
      subjectId: subject.id,
      createdAtMs: nowMs,
      expiresAtMs,
      revokedAtMs: null,
    })
    .execute();
  return { token, expiresAtMs };
}

// Every signed-in request looks its session up: compiled once (store/prepared.ts).
const selectSession = prepareQuery((db, p: { tokenHash: string }) =>
  db
    .selectFrom('sessions')
    .select(['subjectKind', 'subjectId', 'expiresAtMs', 'revokedAtMs'])
    .where('tokenHash', '=', p.tokenHash),
);

/** The actor behind a session token, or undefined when unknown, expired, revoked or disabled. */
export async function resolveSession(ctx: AppContext, token: string): Promise<Actor | undefined> {
  const nowMs = ctx.clock.nowMs();
  const session = await selectSession.first(ctx.store.db, { tokenHash: sha256Hex(token) });
  if (session === undefined || session.revokedAtMs !== null || session.expiresAtMs <= nowMs)
    return undefined;
  if (session.subjectKind === 'customer') return { kind: 'customer', id: session.subjectId };
  const staff = await ctx.store.db
    .selectFrom('staffUsers')
    .select(['id', 'role', 'disabledAtMs'])
    .where('id', '=', session.subjectId)
    .executeTakeFirst();
  if (staff === undefined || staff.disabledAtMs !== null) return undefined;
  return { kind: 'staff', id: staff.id, role: staff.role as StaffRole };
}

export async function revokeSession(ctx: AppContext, token: string): Promise<void> {
  await ctx.store.db
    .updateTable('sessions')
    .set({ revokedAtMs: ctx.clock.nowMs() })
    .where('tokenHash', '=', sha256Hex(token))
    .where('revokedAtMs', 'is', null)
    .execute();
}
