/**
 * Payouts wired into the running product: configuration from the environment, a payout whose
 * method has no provider (it waits, queued, with the reason for staff; it is neither failed nor
 * sent, and is paid exactly once when a provider appears), and `serve` / `refund-desk worker`
 * running the payout loops against local provider doubles, with provider webhooks over real
 * HTTP, all stopped cleanly on close.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/app/context.js';
import { NO_PROVIDER_CODE, NO_SELLER_NOTE } from '../../src/app/payouts/unconfigured.js';
import { startStripeDouble, type StripeDouble } from '../../src/payouts/doubles/stripe-double.js';
import { createPayoutProviders } from '../../src/payouts/providers/index.js';
import { runPayoutPass } from '../../src/payouts/run.js';
import { readConfig } from '../../src/runtime/config.js';
import { openDesk, runDeskWorker, serveDesk } from '../../src/runtime/desk.js';
import { describePayouts, payoutsConfigFromEnv } from '../../src/runtime/payouts.js';
import { seedApprovedCase, seedCaseIn, seedPaidOrder, stateOf } from '../payouts/fixtures.js';
import { PayoutDouble } from '../support/payout-double.js';
import { as, deskOver, staffSessionCookie, type TestDesk } from '../support/people.js';
import { signStripe, stripeDelivery, stripeRefundEvent } from '../support/provider-webhooks.js';
import { describeEachEngine } from '../support/stores.js';

const SELLER_SECRET = 'seller-secret-0123456789';

describe('payout configuration from the environment', () => {
  it('needs nothing: card and PayPal wait, bank transfer and manual pay out', () => {
    const read = payoutsConfigFromEnv({}, systemClock);
    expect(read).toEqual({ ok: true, config: { providers: {}, webhooks: {} } });
    if (!read.ok) return;
    expect(describePayouts(read.config)).toBe(
      'payouts: bank_transfer, manual; no provider for card, paypal (they wait, queued); ' +
        'extensions: no SELLER_EXTENSION_URL (they wait, queued)',
    );
  });

  it('reads providers, webhook secrets and the seller system', () => {
    const read = payoutsConfigFromEnv(
      {
        STRIPE_API_KEY: 'sk_test_1',
        STRIPE_API_BASE: 'http://127.0.0.1:12111',
        STRIPE_WEBHOOK_SECRET: 'whsec_1',
        PAYPAL_CLIENT_ID: 'id',
        PAYPAL_CLIENT_SECRET: 'secret',
        PAYPAL_WEBHOOK_ID: 'WH-1',
        PROVIDER_TIMEOUT_MS: '5000',
        SELLER_EXTENSION_URL: 'https://seller.example/extensions',
        SELLER_EXTENSION_SECRET: SELLER_SECRET,
      },
      systemClock,
    );
    expect(read).toMatchObject({
      ok: true,
      config: {
        providers: {
          stripe: { apiKey: 'sk_test_1', host: '127.0.0.1', port: 12111, timeoutMs: 5_000 },
          paypal: { clientId: 'id', baseUrl: 'https://api-m.paypal.com' },
        },
        webhooks: { stripeSecret: 'whsec_1', paypalWebhookId: 'WH-1' },
        seller: { url: 'https://seller.example/extensions', secret: SELLER_SECRET },
      },
    });
  });

  it('refuses a bad time-out, a seller URL without a secret, and a non-http seller URL', () => {
    const bad = [
      [{ PROVIDER_TIMEOUT_MS: '0' }, 'PROVIDER_TIMEOUT_MS'],
      [{ SELLER_EXTENSION_URL: 'https://seller.example/x' }, 'SELLER_EXTENSION_SECRET'],
      [
        { SELLER_EXTENSION_URL: 'ftp://seller.example/x', SELLER_EXTENSION_SECRET: SELLER_SECRET },
        'http(s)',
      ],
      [{ SELLER_EXTENSION_URL: 'not a url', SELLER_EXTENSION_SECRET: SELLER_SECRET }, 'not a URL'],
    ] as const;
    for (const [env, words] of bad) {
      const read = readConfig(env);
      expect(read.ok, JSON.stringify(env)).toBe(false);
      if (!read.ok) expect(read.error).toContain(words);
    }
  });
});

describeEachEngine('a payout whose method has no provider', (store) => {
  let desk: TestDesk;
  beforeAll(() => {
    desk = deskOver(store());
  });
  afterAll(() => desk.dispose());

  const row = (id: string) =>
    desk.deps.store.db
      .selectFrom('payouts')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  const auditOf = (id: string) =>
    desk.deps.store.db
      .selectFrom('auditLog')
      .select('action')
      .where('entityId', '=', id)
      .orderBy('seq')
      .execute()
      .then((rows) => rows.map((r) => r.action));

  it('waits queued with the reason for staff, and is paid exactly once when a provider appears', async () => {
    const card = await seedApprovedCase(desk.deps, await seedPaidOrder(desk.deps), 1_200);
    const bank = await seedApprovedCase(
      desk.deps,
      await seedPaidOrder(desk.deps, { paymentMethod: 'bank' }),
      700,
    );
    // The embedded default: no STRIPE_API_KEY, no PayPal; bank transfer and manual need none.
    const unconfigured = createPayoutProviders({ clock: desk.clock });
    for (let pass = 0; pass < 3; pass += 1) {
      await runPayoutPass(desk.deps, { workerId: 'w-none', providers: unconfigured });
      desk.clock.advance(60_000);
    }
    expect(await row(card.payout.id)).toMatchObject({
      status: 'queued',
      attempts: 0,
      failureCode: NO_PROVIDER_CODE,
      failureReason: 'no provider configured for card',
    });
    expect(await stateOf(desk.deps, card.requestId)).toBe('payout_pending');
    // Noted once, however many passes ran.
    expect((await auditOf(card.payout.id)).filter((a) => a === 'payout.held')).toHaveLength(1);
    // The bank transfer was sent to its (offline) provider meanwhile: pending, for staff to pay.
    expect(await row(bank.payout.id)).toMatchObject({ status: 'pending', failureCode: null });

    // Staff see why it waits.
    const staff = await staffSessionCookie(desk.deps, 'agent');
    const listed = await desk.app.request(
      '/v1/payouts?status=queued&limit=100',
      as({ cookie: staff }),
    );
    const page = (await listed.json()) as { items: Array<Record<string, unknown>> };
    expect(page.items.find((p) => p['id'] === card.payout.id)).toMatchObject({
      status: 'queued',
      failureCode: NO_PROVIDER_CODE,
      failureReason: 'no provider configured for card',
    });

    // A worker with a card provider lifts the note and pays it, once.
    const provider = new PayoutDouble('card');
    const withCard = { get: (method: string) => (method === 'card' ? provider : null) };
    for (let pass = 0; pass < 3; pass += 1) {
      await runPayoutPass(desk.deps, { workerId: 'w-card', providers: withCard });
      desk.clock.advance(60_000);
    }
    expect(await row(card.payout.id)).toMatchObject({
      status: 'succeeded',
      failureCode: null,
      failureReason: null,
    });
    expect(provider.refundsByRefundId().get(card.payout.id)).toHaveLength(1);
    expect(await stateOf(desk.deps, card.requestId)).toBe('paid');
    expect(await auditOf(card.payout.id)).toEqual([
      'payout.created',
      'payout.held',
      'payout.released',
      'payout.sending',
      'payout.succeeded',
    ]);
  });

  it('keeps an extension command queued with a note while no seller system is configured', async () => {
    const order = await seedPaidOrder(desk.deps, { amountMinor: 9_000 });
    const requestId = await seedCaseIn(desk.deps, order, 'prorata_offered', {
      refundMinor: 2_000,
      extensionDays: 5,
      outcome: 'prorata',
    });
    const { chooseOnProrataOffer } = await import('../../src/app/payouts/desk.js');
    const chosen = await chooseOnProrataOffer(
      desk.deps,
      { actor: { kind: 'customer', id: order.customerId }, ip: null },
      order.customerId,
      requestId,
      'extension',
    );
    expect(chosen.ok).toBe(true);
    await runPayoutPass(desk.deps, {
      workerId: 'w-none',
      providers: createPayoutProviders({ clock: desk.clock }),
    });
    const command = await desk.deps.store.db
      .selectFrom('extensionCommands')
      .selectAll()
      .where('requestId', '=', requestId)
      .executeTakeFirstOrThrow();
    expect(command).toMatchObject({ status: 'queued', attempts: 0, lastError: NO_SELLER_NOTE });
  });
});

describe('serve and refund-desk worker run the payout loops', () => {
  let dir: string;
  let stripe: StripeDouble;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'refund-desk-payouts-runtime-'));
    stripe = await startStripeDouble({ webhookSecret: 'whsec_runtime_1' });
  });
  afterAll(async () => {
    await stripe.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serve pays a card payout through Stripe, settles a webhook over HTTP, and closes', async () => {
    const env = {
      DATA_DIR: join(dir, 'serve'),
      STRIPE_API_KEY: stripe.apiKey,
      STRIPE_API_BASE: `http://127.0.0.1:${stripe.port}`,
      STRIPE_WEBHOOK_SECRET: 'whsec_runtime_1',
    };
    const read = readConfig(env, { demo: false, port: 0 });
    if (!read.ok) throw new Error(read.error);
    // Seed through a second connection to the same database.
    const seeding = await openDesk(read.config, env);
    const order = await seedPaidOrder(seeding.deps, { amountMinor: 5_000 });
    stripe.seedCharge({ id: order.chargeRef, amountMinor: 5_000, currency: 'USD' });
    const { requestId, payout } = await seedApprovedCase(seeding.deps, order, 1_800);

    const lines: string[] = [];
    const server = await serveDesk(read.config, env, { write: (line) => lines.push(line) });
    try {
      expect(lines).toContain(
        'payouts: card, bank_transfer, manual; no provider for paypal (they wait, queued); ' +
          'extensions: no SELLER_EXTENSION_URL (they wait, queued)',
      );
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline && (await stateOf(seeding.deps, requestId)) !== 'paid') {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(await stateOf(seeding.deps, requestId)).toBe('paid');
      expect(stripe.refunds().filter((r) => r.refundId === payout.id)).toHaveLength(1);

      // Stripe's webhook about the same refund, over real HTTP: verified, nothing new.
      const refundId = stripe.refunds()[0]?.id ?? '';
      const payload = stripeRefundEvent({
        eventId: 'evt_runtime_1',
        payoutId: payout.id,
        providerRefundId: refundId,
        amountMinor: 1_800,
        currency: 'USD',
        status: 'succeeded',
        createdMs: Date.now(),
      });
      const post = () =>
        fetch(
          `${server.url}/v1/provider-webhooks/stripe`,
          stripeDelivery(payload, signStripe(payload, Date.now(), 'whsec_runtime_1')),
        );
      expect(await (await post()).json()).toEqual({ eventId: 'evt_runtime_1', result: 'ignored' });
      expect(await (await post()).json()).toEqual({
        eventId: 'evt_runtime_1',
        result: 'duplicate',
      });
      const forged = await fetch(
        `${server.url}/v1/provider-webhooks/stripe`,
        stripeDelivery(payload, signStripe(payload, Date.now(), 'whsec_other')),
      );
      expect(forged.status).toBe(400);
    } finally {
      await server.close();
      await seeding.close();
    }
  });

  it('refund-desk worker notes a card payout it has no provider for, and closes', async () => {
    const env = { DATA_DIR: join(dir, 'worker') };
    const read = readConfig(env, { demo: false });
    if (!read.ok) throw new Error(read.error);
    const seeding = await openDesk(read.config, env);
    const { payout } = await seedApprovedCase(seeding.deps, await seedPaidOrder(seeding.deps), 900);
    const lines: string[] = [];
    const worker = await runDeskWorker(read.config, env, { write: (line) => lines.push(line) });
    try {
      const read = () =>
        seeding.deps.store.db
          .selectFrom('payouts')
          .selectAll()
          .where('id', '=', payout.id)
          .executeTakeFirstOrThrow();
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && (await read()).failureCode === null) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(await read()).toMatchObject({
        status: 'queued',
        failureCode: NO_PROVIDER_CODE,
        failureReason: 'no provider configured for card',
      });
      expect(lines.some((line) => line.startsWith('payouts: bank_transfer, manual'))).toBe(true);
    } finally {
      await worker.close();
      await seeding.close();
    }
  });
});
