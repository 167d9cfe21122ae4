/**
 * People fixtures for desk tests: a desk over a test store (outbox mail in a temp folder, a
 * manual clock), customers with an order, staff accounts, and session cookies taken from real
 * `Set-Cookie` answers and sent back. Named by the state they build.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSession } from '../../src/app/auth/sessions.js';
import { createStaffUser, type StaffUser } from '../../src/app/auth/staff.js';
import {
  ManualClock,
  SYSTEM_ORIGIN,
  type DeskDeps,
  type StaffRole,
} from '../../src/app/context.js';
import { newId } from '../../src/app/ids.js';
import { OutboxMailer } from '../../src/app/mail.js';
import { createApp } from '../../src/http/app.js';
import {
  providerWebhookVerifiers,
  type ProviderWebhookVerifiers,
} from '../../src/payouts/provider-webhooks.js';
import type { Store } from '../../src/store/connect.js';
import { checkAgainstOpenApi, type Exchange } from './openapi.js';

/** The Stripe webhook secret of every test desk (test/support/provider-webhooks.ts signs). */
export const TEST_STRIPE_WEBHOOK_SECRET = 'whsec_refund_desk_test_secret';

/** 2026-03-02T10:00:00Z, the shared fixtures' T0. */
export const DESK_T0_MS = Date.parse('2026-03-02T10:00:00.000Z');

export interface TestDesk {
  readonly deps: DeskDeps;
  readonly clock: ManualClock;
  readonly outbox: OutboxMailer;
  readonly app: ReturnType<typeof createApp>;
  /** The `.eml` files written to the outbox since the last call, as text. */
  newMail(): string[];
  /** Removes the temp folders (the store is the caller's). */
  dispose(): void;
}

/** A desk over `store` with a manual clock at `DESK_T0_MS` and mail written to a temp outbox. */
export function deskOver(
  store: Store,
  options: {
    readonly publicUrl?: string;
    readonly hostTokenSecret?: string;
    /** Hears of every exchange with a documented operation (see checkAgainstOpenApi). */
    readonly onExchange?: (exchange: Exchange) => void;
    /** Default: Stripe webhooks verified with TEST_STRIPE_WEBHOOK_SECRET, PayPal unconfigured. */
    readonly providerWebhooks?: ProviderWebhookVerifiers;
  } = {},
): TestDesk {
  const root = mkdtempSync(join(tmpdir(), 'refund-desk-people-'));
  const clock = new ManualClock(DESK_T0_MS);
  const outbox = new OutboxMailer(join(root, 'outbox'), { clock });
  const seen = new Set<string>();
  const deps: DeskDeps = {
    store,
    clock,
    mailer: outbox,
    evidenceDir: join(root, 'evidence'),
    publicUrl: options.publicUrl ?? 'http://127.0.0.1:3000',
    ...(options.hostTokenSecret === undefined ? {} : { hostTokenSecret: options.hostTokenSecret }),
  };
  return {
    deps,
    clock,
    outbox,
    // Every exchange of every desk test is also checked against the app's OpenAPI document.
    app: checkAgainstOpenApi(
      createApp({
        desk: deps,
        providerWebhooks:
          options.providerWebhooks ??
          providerWebhookVerifiers({ stripeSecret: TEST_STRIPE_WEBHOOK_SECRET }, null),
      }),
      options.onExchange,
    ),
    newMail() {
      let names: string[];
      try {
        names = readdirSync(outbox.dir);
      } catch {
        return [];
      }
      const fresh = names.filter((name) => name.endsWith('.eml') && !seen.has(name)).sort();
      for (const name of fresh) seen.add(name);
      return fresh.map((name) => readFileSync(join(outbox.dir, name), 'utf8'));
    },
    dispose() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export interface SeededCustomer {
  readonly customerId: string;
  readonly orderId: string;
  /** The order's email (where sign-in links go). */
  readonly orderEmail: string;
  readonly name: string;
}

/**
 * A customer with one order (plan, product, payment) whose email is `orderEmail`; by default paid
 * now by card through Stripe, 5000 USD minor units, charge `ch_<orderId>`.
 */
export async function seedCustomerWithOrder(
  deps: DeskDeps,
  options: {
    readonly orderEmail?: string;
    readonly customerEmail?: string;
    readonly name?: string;
    readonly paymentMethod?: string;
    readonly provider?: string;
    readonly chargeRef?: string;
    readonly amountMinor?: number;
    readonly currency?: string;
    readonly purchasedAtMs?: number;
  } = {},
): Promise<SeededCustomer> {
  const nowMs = deps.clock.nowMs();
  const customerId = newId('cus', nowMs);
  const planId = newId('plan', nowMs);
  const orderId = newId('ord', nowMs);
  const orderEmail = options.orderEmail ?? `${customerId}@example.com`;
  const name = options.name ?? 'Ada Customer';
  const { db } = deps.store;
  await db
    .insertInto('customers')
    .values({
      id: customerId,
      email: options.customerEmail ?? orderEmail,
      name,
      tosBreach: 0,
      stressTesting: 0,
      kycStatus: 'not_required',
      createdAtMs: nowMs,
      updatedAtMs: nowMs,
    })
    .execute();
  await db
    .insertInto('plans')
    .values({
      id: planId,
      product: 'dynamic_residential',
      name: 'res-5gb',
      servicePeriodDays: 30,
      createdAtMs: nowMs,
    })
    .execute();
  await db
    .insertInto('orders')
    .values({
      id: orderId,
      customerId,
      planId,
      product: 'dynamic_residential',
      channel: 'official_site',
      paymentMethod: options.paymentMethod ?? 'card',
      provider: options.provider ?? 'stripe',
      chargeRef: options.chargeRef ?? `ch_${orderId}`,
      amountMinor: options.amountMinor ?? 5000,
      currency: options.currency ?? 'USD',
      promoCreditsMinor: 0,
      purchasedAtMs: options.purchasedAtMs ?? nowMs,
      servicePeriodDays: 30,
      email: orderEmail,
      createdAtMs: nowMs,
    })
    .execute();
  return { customerId, orderId, orderEmail, name };
}

/** The body of a mail as a mail client shows it (quoted-printable decoded). */
export function mailBody(raw: string): string {
  const [head = '', ...rest] = raw.split('\r\n\r\n');
  const body = rest.join('\r\n\r\n');
  if (!/^Content-Transfer-Encoding: quoted-printable$/im.test(head)) return body;
  return body
    .replace(/=\r\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

const SIGN_IN_LINK = /http:\/\/127\.0\.0\.1:3000\/sign-in\?token=([A-Za-z0-9_-]{43})/g;

/** The tokens of the sign-in links in a mail (sent by a desk at the default public URL). */
export function signInLinkTokens(raw: string): string[] {
  return [...mailBody(raw).matchAll(SIGN_IN_LINK)].map((match) => match[1] ?? '');
}

export const STAFF_PASSWORD = 'correct horse battery staple';

/** A staff account made through `createStaffUser` (real scrypt hash of `STAFF_PASSWORD`). */
export async function seedStaffUser(
  deps: DeskDeps,
  role: StaffRole,
  email = `${role}-${newId('x', deps.clock.nowMs())}@desk.example`,
): Promise<StaffUser> {
  const result = await createStaffUser(deps, SYSTEM_ORIGIN, {
    email,
    name: `Test ${role}`,
    role,
    password: STAFF_PASSWORD,
  });
  if (!result.ok) throw new Error(`test fixture: ${JSON.stringify(result.error)}`);
  return result.value;
}

/**
 * A staff session cookie without the password round trip (fast, for other areas' tests): the
 * account's password hash is not a valid scrypt hash, so it can never sign in with a password.
 */
export async function staffSessionCookie(deps: DeskDeps, role: StaffRole): Promise<string> {
  const nowMs = deps.clock.nowMs();
  const id = newId('stf', nowMs);
  await deps.store.db
    .insertInto('staffUsers')
    .values({
      id,
      email: `${id}@desk.example`,
      name: `Test ${role}`,
      role,
      passwordHash: 'none',
      createdAtMs: nowMs,
      disabledAtMs: null,
    })
    .execute();
  const { token } = await createSession(deps, { kind: 'staff', id });
  return `rd_session=${token}`;
}

/** A customer session cookie for `customerId` (as after a redeemed sign-in link). */
export async function customerSessionCookie(deps: DeskDeps, customerId: string): Promise<string> {
  const { token } = await createSession(deps, { kind: 'customer', id: customerId });
  return `rd_session=${token}`;
}

/** The `name=value` of the `rd_session` cookie a response sets, to send back as `Cookie`. */
export function sessionCookieFrom(res: Response): string {
  const header = res.headers.getSetCookie().find((cookie) => cookie.startsWith('rd_session='));
  if (header === undefined) throw new Error('test: the response sets no rd_session cookie');
  return header.split(';', 1)[0] ?? '';
}

/** JSON POST (with an optional cookie or bearer key). */
export function postJson(
  body: unknown,
  auth: { readonly cookie?: string; readonly bearer?: string } = {},
): RequestInit {
  return {
    method: 'POST',
    body: JSON.stringify(body),
    headers: {
      'content-type': 'application/json',
      ...(auth.cookie === undefined ? {} : { cookie: auth.cookie }),
      ...(auth.bearer === undefined ? {} : { authorization: `Bearer ${auth.bearer}` }),
    },
  };
}

/** Headers for a GET/DELETE as a cookie holder or API key. */
export function as(auth: { readonly cookie?: string; readonly bearer?: string }): {
  headers: Record<string, string>;
} {
  return {
    headers: {
      ...(auth.cookie === undefined ? {} : { cookie: auth.cookie }),
      ...(auth.bearer === undefined ? {} : { authorization: `Bearer ${auth.bearer}` }),
    },
  };
}
