/**
 * Customers sign in without a password of ours: a one-time link mailed to the email of their
 * orders. The link carries a random token; only its SHA-256 digest is stored, with a 15-minute
 * expiry, and redeeming it marks it used in one conditional update (single use even across
 * instances). Requests are rate-limited per email from the rows in the database, not memory.
 */
import { sql } from 'kysely';
import type { Result } from '../../engine/index.js';
import type { AppContext, DeskDeps } from '../context.js';
import { newSecret } from '../ids.js';
import { createSession, type NewSession } from './sessions.js';
import { MAX_EMAIL_CHARS, normalizeEmail } from './staff.js';
import { sha256Hex } from './tokens.js';

export const SIGN_IN_LINK_TTL_MS = 15 * 60 * 1000;
export const SIGN_IN_LINK_WINDOW_MS = 60 * 60 * 1000;
/**
 * Links issued per email address per window (one per request, or one per customer when several
 * share the email); beyond it requests are accepted but nothing is stored or mailed.
 */
export const MAX_SIGN_IN_LINKS_PER_WINDOW = 5;
/** Customers sharing one order email each get a link; at most this many in one mail. */
export const MAX_CUSTOMERS_PER_LINK_MAIL = 5;
/**
 * Stored links older than this are deleted when the same email asks again, and by the worker's
 * housekeeping (app/housekeeping.ts). Until then an old link is refused as expired or used
 * rather than unknown. At least `SIGN_IN_LINK_WINDOW_MS`: the rate limit counts the rows.
 */
export const KEEP_LINKS_MS = 24 * 60 * 60 * 1000;

export type SignInLinkOutcome =
  /** The mail went out. */
  | { readonly status: 'mailed'; readonly customerIds: readonly string[] }
  /** No order carries this email: nothing stored, nothing mailed. */
  | { readonly status: 'no_account' }
  /** Too many links for this email in the window: nothing stored, nothing mailed. */
  | { readonly status: 'rate_limited' }
  /** Links were stored but the mailer failed (the caller logs it; the person may retry). */
  | { readonly status: 'mail_failed'; readonly error: unknown };

type LinkDeps = AppContext & Pick<DeskDeps, 'mailer' | 'publicUrl'>;

export function signInUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/sign-in?token=${encodeURIComponent(token)}`;
}

/**
 * Mails a sign-in link to `email` when it is the email of an order. The caller answers the
 * same way whatever the outcome, so that nobody learns which emails have accounts.
 */
export async function requestSignInLink(
  deps: LinkDeps,
  rawEmail: string,
): Promise<SignInLinkOutcome> {
  const email = normalizeEmail(rawEmail);
  if (email.length === 0 || email.length > MAX_EMAIL_CHARS) return { status: 'no_account' };
  const nowMs = deps.clock.nowMs();
  const customers = await deps.store.db
    .selectFrom('orders')
    .innerJoin('customers', 'customers.id', 'orders.customerId')
    .select(['customers.id', 'customers.name'])
    .distinct()
    .where(sql`lower(${sql.ref('orders.email')})`, '=', email)
    .orderBy('customers.id')
    .limit(MAX_CUSTOMERS_PER_LINK_MAIL)
    .execute();
  if (customers.length === 0) return { status: 'no_account' };

  const links = customers.map((customer) => ({ customer, token: newSecret() }));
  const stored = await deps.store.db.transaction().execute(async (trx) => {
    if (deps.store.engine === 'postgres') {
      // Serialise requests for one email across instances, so the count below is exact.
      await sql`select pg_advisory_xact_lock(hashtext(${`sign-in:${email}`}))`.execute(trx);
    }
    await trx
      .deleteFrom('signInLinks')
      .where('email', '=', email)
      .where('createdAtMs', '<', nowMs - KEEP_LINKS_MS)
      .execute();
    const recent = await trx
      .selectFrom('signInLinks')
      .select(sql<number>`count(*)`.as('n'))
      .where('email', '=', email)
      .where('createdAtMs', '>', nowMs - SIGN_IN_LINK_WINDOW_MS)
      .executeTakeFirstOrThrow();
    if (Number(recent.n) + links.length > MAX_SIGN_IN_LINKS_PER_WINDOW) return false;
    await trx
      .insertInto('signInLinks')
      .values(
        links.map(({ customer, token }) => ({
          tokenHash: sha256Hex(token),
          customerId: customer.id,
          email,
          createdAtMs: nowMs,
          expiresAtMs: nowMs + SIGN_IN_LINK_TTL_MS,
          usedAtMs: null,
        })),
      )
      .execute();
    return true;
  });
  if (!stored) return { status: 'rate_limited' };

  const minutes = SIGN_IN_LINK_TTL_MS / 60_000;
  const lines =
    links.length === 1
      ? [
          `Open this link to sign in to Refund Desk:`,
          '',
          signInUrl(deps.publicUrl, links[0]!.token),
        ]
      : [
          'Several accounts use this email address. Open the link of the one to sign in to:',
          ...links.flatMap(({ customer, token }) => [
            '',
            `${customer.name}:`,
            signInUrl(deps.publicUrl, token),
          ]),
        ];
  try {
    await deps.mailer.send({
      to: email,
      subject: 'Your Refund Desk sign-in link',
      text: [
        ...lines,
        '',
        `The link works once and expires in ${minutes} minutes.`,
        'If you did not ask to sign in, ignore this message.',
        '',
      ].join('\n'),
    });
  } catch (error) {
    return { status: 'mail_failed', error };
  }
  return { status: 'mailed', customerIds: customers.map((c) => c.id) };
}

/** A customer as the people routes show them. */
export interface CustomerSummary {
  readonly id: string;
  readonly email: string;
  readonly name: string;
}

/** The customer with this id, or undefined when none is stored. */
export async function findCustomerSummary(
  ctx: AppContext,
  id: string,
): Promise<CustomerSummary | undefined> {
  return ctx.store.db
    .selectFrom('customers')
    .select(['id', 'email', 'name'])
    .where('id', '=', id)
    .executeTakeFirst();
}

export interface CustomerSignIn {
  readonly customer: CustomerSummary;
  readonly session: NewSession;
}

export type RedeemError = { readonly code: 'unknown' | 'used' | 'expired' };

/** Redeems a link token once: marks it used and opens a customer session. */
export async function redeemSignInLink(
  ctx: AppContext,
  token: string,
): Promise<Result<CustomerSignIn, RedeemError>> {
  const nowMs = ctx.clock.nowMs();
  const tokenHash = sha256Hex(token);
  const claimed = await ctx.store.db
    .updateTable('signInLinks')
    .set({ usedAtMs: nowMs })
    .where('tokenHash', '=', tokenHash)
    .where('usedAtMs', 'is', null)
    .where('expiresAtMs', '>', nowMs)
    .returning(['customerId'])
    .executeTakeFirst();
  if (claimed === undefined) {
    const link = await ctx.store.db
      .selectFrom('signInLinks')
      .select(['usedAtMs', 'expiresAtMs'])
      .where('tokenHash', '=', tokenHash)
      .executeTakeFirst();
    const code = link === undefined ? 'unknown' : link.usedAtMs !== null ? 'used' : 'expired';
    return { ok: false, error: { code } };
  }
  const customer = await findCustomerSummary(ctx, claimed.customerId);
  if (customer === undefined)
    throw new Error(`sign-in link of unknown customer ${claimed.customerId}`);
  const session = await createSession(ctx, { kind: 'customer', id: customer.id });
  return { ok: true, value: { customer, session } };
}
