/**
 * Staff accounts: email + password (scrypt, passwords.ts), a role (agent < approver < admin),
 * disable instead of delete. Creating and disabling are audited; disabling also revokes the
 * person's sessions in the same transaction (and `resolveSession` re-checks the account).
 */
import type { Kysely, Transaction } from 'kysely';
import type { FieldError, Result } from '../../engine/index.js';
import type { Database } from '../../store/schema.js';
import { appendAudit } from '../audit.js';
import { SYSTEM_ORIGIN, type AppContext, type Origin, type StaffRole } from '../context.js';
import { newId } from '../ids.js';
import { createSession, type NewSession } from './sessions.js';
import { dummyPasswordHash, hashPassword, passwordProblem, verifyPassword } from './passwords.js';
import {
  clearSignInFailures,
  clientKey,
  recordSignInAttempt,
  type SignInRefusal,
} from './sign-in-throttle.js';

export const STAFF_ROLES: readonly StaffRole[] = ['agent', 'approver', 'admin'];
export const MAX_EMAIL_CHARS = 254;
export const MAX_NAME_CHARS = 100;
export const MAX_STAFF_PAGE = 200;

const EMAIL_PATTERN = /^[^\s@]{1,64}@[^\s@.]+(\.[^\s@.]+)+$/;

/** Emails are compared case-insensitively: stored and looked up trimmed and lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Why an email address is not acceptable, or undefined when it is. */
export function emailProblem(email: string): string | undefined {
  const normalized = normalizeEmail(email);
  if (normalized.length > MAX_EMAIL_CHARS) return `must be at most ${MAX_EMAIL_CHARS} characters`;
  if (!EMAIL_PATTERN.test(normalized)) return 'must be an email address (name@example.com)';
  return undefined;
}

export interface StaffUser {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly role: StaffRole;
  readonly createdAtMs: number;
  readonly disabledAtMs: number | null;
}

export interface NewStaffUser {
  readonly email: string;
  readonly name: string;
  readonly role: StaffRole;
  readonly password: string;
}

export type CreateStaffError =
  | { readonly code: 'invalid'; readonly errors: readonly FieldError[] }
  | { readonly code: 'email_taken' };

const STAFF_COLUMNS = ['id', 'email', 'name', 'role', 'createdAtMs', 'disabledAtMs'] as const;

/**
 * A unique-constraint or primary-key violation on either engine (a concurrent insert won the
 * race). SQLite reports a duplicate primary key under a code of its own.
 */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

function validateNewStaff(input: NewStaffUser): FieldError[] {
  const errors: FieldError[] = [];
  const emailIssue = emailProblem(input.email);
  if (emailIssue !== undefined) errors.push({ pointer: '/email', message: emailIssue });
  const name = input.name.trim();
  if (name.length === 0 || name.length > MAX_NAME_CHARS) {
    errors.push({ pointer: '/name', message: `must be 1 to ${MAX_NAME_CHARS} characters` });
  }
  if (!STAFF_ROLES.includes(input.role)) {
    errors.push({ pointer: '/role', message: `must be one of ${STAFF_ROLES.join(', ')}` });
  }
  const passwordIssue = passwordProblem(input.password);
  if (passwordIssue !== undefined) errors.push({ pointer: '/password', message: passwordIssue });
  return errors;
}

export async function createStaffUser(
  ctx: AppContext,
  origin: Origin,
  input: NewStaffUser,
): Promise<Result<StaffUser, CreateStaffError>> {
  const errors = validateNewStaff(input);
  if (errors.length > 0) return { ok: false, error: { code: 'invalid', errors } };
  const passwordHash = await hashPassword(input.password); // slow: outside the transaction
  const nowMs = ctx.clock.nowMs();
  const user: StaffUser = {
    id: newId('stf', nowMs),
    email: normalizeEmail(input.email),
    name: input.name.trim(),
    role: input.role,
    createdAtMs: nowMs,
    disabledAtMs: null,
  };
  try {
    return await ctx.store.db.transaction().execute(async (trx) => {
      const taken = await trx
        .selectFrom('staffUsers')
        .select('id')
        .where('email', '=', user.email)
        .executeTakeFirst();
      if (taken !== undefined) return { ok: false, error: { code: 'email_taken' } } as const;
      await trx
        .insertInto('staffUsers')
        .values({ ...user, passwordHash })
        .execute();
      await appendAudit(trx, ctx.store.engine, origin, nowMs, {
        action: 'staff_user.created',
        entityKind: 'staff_user',
        entityId: user.id,
        after: { email: user.email, name: user.name, role: user.role },
      });
      return { ok: true, value: user } as const;
    });
  } catch (error) {
    if (isUniqueViolation(error)) return { ok: false, error: { code: 'email_taken' } };
    throw error;
  }
}

export type DisableStaffError = { readonly code: 'not_found' } | { readonly code: 'self' };

/**
 * Disables an account (idempotent: an already disabled account is returned as it is) and
 * revokes its sessions. Nobody disables themselves, so at least one admin always remains.
 */
export async function disableStaffUser(
  ctx: AppContext,
  origin: Origin,
  id: string,
): Promise<Result<StaffUser, DisableStaffError>> {
  if (origin.actor.kind === 'staff' && origin.actor.id === id) {
    return { ok: false, error: { code: 'self' } };
  }
  const nowMs = ctx.clock.nowMs();
  return ctx.store.db.transaction().execute(async (trx) => {
    // The conditional update is the guard: of two concurrent disables, one changes the row.
    const changed = await trx
      .updateTable('staffUsers')
      .set({ disabledAtMs: nowMs })
      .where('id', '=', id)
      .where('disabledAtMs', 'is', null)
      .executeTakeFirst();
    const user = await findStaffUser(trx, id);
    if (user === undefined) return { ok: false, error: { code: 'not_found' } } as const;
    if (changed.numUpdatedRows === 0n) return { ok: true, value: user } as const;
    await trx
      .updateTable('sessions')
      .set({ revokedAtMs: nowMs })
      .where('subjectKind', '=', 'staff')
      .where('subjectId', '=', id)
      .where('revokedAtMs', 'is', null)
      .execute();
    await appendAudit(trx, ctx.store.engine, origin, nowMs, {
      action: 'staff_user.disabled',
      entityKind: 'staff_user',
      entityId: id,
      before: { disabledAtMs: null },
      after: { disabledAtMs: nowMs },
    });
    return { ok: true, value: user } as const;
  });
}

async function findStaffUser(
  db: Kysely<Database> | Transaction<Database>,
  id: string,
): Promise<StaffUser | undefined> {
  return db.selectFrom('staffUsers').select(STAFF_COLUMNS).where('id', '=', id).executeTakeFirst();
}

export async function getStaffUser(ctx: AppContext, id: string): Promise<StaffUser | undefined> {
  return findStaffUser(ctx.store.db, id);
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Pass as `after` for the next page; null on the last page. */
  readonly next: string | null;
}

/** Staff accounts in id (creation) order, `limit` (1…200) at a time after the id `after`. */
export async function listStaffUsers(
  ctx: AppContext,
  page: { readonly limit: number; readonly after?: string },
): Promise<Page<StaffUser>> {
  const limit = Math.min(Math.max(1, Math.trunc(page.limit)), MAX_STAFF_PAGE);
  let query = ctx.store.db
    .selectFrom('staffUsers')
    .select(STAFF_COLUMNS)
    .orderBy('id')
    .limit(limit + 1);
  if (page.after !== undefined) query = query.where('id', '>', page.after);
  const rows = await query.execute();
  const items = rows.slice(0, limit);
  return { items, next: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
}

export interface StaffSignIn {
  readonly staff: StaffUser;
  readonly session: NewSession;
}

export type StaffSignInError = { readonly code: 'unauthorized' } | SignInRefusal;

/**
 * Checks an email and password and opens a session. Unknown email, disabled account and wrong
 * password are the same `unauthorized` outcome, and take about as long: without an account the
 * password is verified against a dummy hash. Each of them counts as a failure against the email
 * and the client's address (`ip`, from the connection); when either has reached its limit
 * (sign-in-throttle.ts), the attempt is `too_many_attempts` without a password check. A
 * successful sign-in clears the email's failures.
 */
export async function signInStaff(
  ctx: AppContext,
  credentials: { readonly email: string; readonly password: string },
  client: { readonly ip: string | null } = { ip: null },
): Promise<Result<StaffSignIn, StaffSignInError>> {
  const email = normalizeEmail(credentials.email);
  const emailKey = email.slice(0, MAX_EMAIL_CHARS); // longer ones are no account's: still counted
  const attempt = await recordSignInAttempt(ctx, emailKey, clientKey(client.ip));
  if (!attempt.ok) return attempt;
  const row =
    email.length > MAX_EMAIL_CHARS
      ? undefined
      : await ctx.store.db
          .selectFrom('staffUsers')
          .select([...STAFF_COLUMNS, 'passwordHash'])
          .where('email', '=', email)
          .executeTakeFirst();
  const usable = row !== undefined && row.disabledAtMs === null;
  const hash = usable ? row.passwordHash : await dummyPasswordHash();
  const matches = await verifyPassword(credentials.password, hash);
  // The attempt's row stays: it is the failure.
  if (!usable || !matches) return { ok: false, error: { code: 'unauthorized' } };
  await clearSignInFailures(ctx, emailKey);
  const staff: StaffUser = {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    createdAtMs: row.createdAtMs,
    disabledAtMs: row.disabledAtMs,
  };
  const session = await createSession(ctx, { kind: 'staff', id: staff.id });
  return { ok: true, value: { staff, session } };
}

export type BootstrapError = CreateStaffError | { readonly code: 'admin_exists' };

/**
 * The first admin, for `refund-desk` on a fresh database: refused when an active admin exists
 * (then admins create accounts over the API). Audited as the system.
 */
export async function bootstrapAdmin(
  ctx: AppContext,
  input: { readonly email: string; readonly name: string; readonly password: string },
  origin: Origin = SYSTEM_ORIGIN,
): Promise<Result<StaffUser, BootstrapError>> {
  const admin = await ctx.store.db
    .selectFrom('staffUsers')
    .select('id')
    .where('role', '=', 'admin')
    .where('disabledAtMs', 'is', null)
    .executeTakeFirst();
  if (admin !== undefined) return { ok: false, error: { code: 'admin_exists' } };
  return createStaffUser(ctx, origin, { ...input, role: 'admin' });
}
