/**
 * Pro-rata offers and extensions on both engines: accepting pays the latest decision's pro-rata
 * amount; choosing the extension sends a signed command to the seller's provisioning system (a
 * real local HTTP server here) until it is acknowledged, or fails back to staff. And partial
 * and pro-rata refunds in zero- and three-decimal currencies sum exactly (fast-check).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SYSTEM_ORIGIN } from '../../src/app/context.js';
import { chooseOnProrataOffer } from '../../src/app/payouts/desk.js';
import { createPayout, readLedger } from '../../src/app/payouts/ledger.js';
import { applyOutcome, findPayoutForUpdate } from '../../src/app/payouts/settle.js';
import { currencyExponent, formatMoney, mulDivFloor } from '../../src/domain/money.js';
import { verifySignature } from '../../src/app/webhooks/signing.js';
import { deliverExtensions } from '../../src/payouts/extension-delivery.js';
import { deliverPayouts } from '../../src/payouts/worker.js';
import { PayoutDouble } from '../support/payout-double.js';
import { deskOver, type TestDesk } from '../support/people.js';
import { describeEachEngine } from '../support/stores.js';
import { seedCaseIn, seedPaidOrder, stateOf } from './fixtures.js';

const SECRET = 'seller-provisioning-secret';

interface Seller {
  readonly url: string;
  /** Answers for the next commands, in order; 200 once they run out. */
  readonly answers: number[];
  readonly received: { body: string; signed: boolean; key: string | undefined }[];
  close(): Promise<void>;
}

async function startSeller(nowMs: () => number): Promise<Seller> {
  const answers: number[] = [];
  const received: Seller['received'] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const header = req.headers['refund-desk-signature'];
      const signed = verifySignature({
        secret: SECRET,
        body,
        header: typeof header === 'string' ? header : undefined,
        nowMs: nowMs(),
      }).ok;
      const key = req.headers['idempotency-key'];
      received.push({ body, signed, key: typeof key === 'string' ? key : undefined });
      const status = signed ? (answers.shift() ?? 200) : 401;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(status === 200 ? { granted: true } : { error: status }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/extensions`,
    answers,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describeEachEngine('pro-rata offers and extensions', (store) => {
  let desk: TestDesk;
  let seller: Seller;
  beforeAll(async () => {
    desk = deskOver(store());
    seller = await startSeller(() => desk.clock.nowMs());
  });
  afterAll(async () => {
    await seller.close();
    desk.dispose();
  });

  const deliver = () =>
    deliverExtensions(desk.deps, {
      workerId: 'x1',
      target: { url: seller.url, secret: SECRET, timeoutMs: 2_000 },
      maxAttempts: 3,
    });

  it('accepting the offer pays the pro-rata amount of the latest decision', async () => {
    const order = await seedPaidOrder(desk.deps, { amountMinor: 9_000, currency: 'KWD' });
    const requestId = await seedCaseIn(desk.deps, order, 'prorata_offered', {
      refundMinor: 2_137,
      extensionDays: 6,
      outcome: 'prorata',
    });
    const chosen = await chooseOnProrataOffer(
      desk.deps,
      { actor: { kind: 'customer', id: order.customerId }, ip: null },
      order.customerId,
      requestId,
      'refund',
    );
    expect(chosen).toMatchObject({
      ok: true,
      value: { state: 'payout_pending', payout: { amountMinor: 2_137, source: 'prorata' } },
    });
    await deliverPayouts(desk.deps, { workerId: 'w', providers: { card: new PayoutDouble() } });
    expect(await stateOf(desk.deps, requestId)).toBe('paid');
    const refund = await desk.deps.store.db
      .selectFrom('refunds')
      .selectAll()
      .where('orderId', '=', order.orderId)
      .executeTakeFirstOrThrow();
    expect(refund).toMatchObject({ amountMinor: 2_137, kind: 'compensation' });
  });

  it("another customer's offer is not found; a second choice is illegal", async () => {
    const order = await seedPaidOrder(desk.deps);
    const requestId = await seedCaseIn(desk.deps, order, 'prorata_offered', {
      refundMinor: 100,
      extensionDays: 3,
      outcome: 'prorata',
    });
    const stranger = { actor: { kind: 'customer', id: 'cus_other' } as const, ip: null };
    expect(
      await chooseOnProrataOffer(desk.deps, stranger, 'cus_other', requestId, 'refund'),
    ).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const owner = { actor: { kind: 'customer', id: order.customerId } as const, ip: null };
    await chooseOnProrataOffer(desk.deps, owner, order.customerId, requestId, 'extension');
    expect(
      await chooseOnProrataOffer(desk.deps, owner, order.customerId, requestId, 'refund'),
    ).toMatchObject({
      ok: false,
      error: { code: 'illegal_transition', state: 'extension_pending' },
    });
    await deliver(); // the chosen extension goes out, so later tests start with none queued
    expect(await stateOf(desk.deps, requestId)).toBe('extension_granted');
  });

  it('a chosen extension is sent signed, retried, and tracked to acknowledgement', async () => {
    const order = await seedPaidOrder(desk.deps);
    const requestId = await seedCaseIn(desk.deps, order, 'prorata_offered', {
      refundMinor: 900,
      extensionDays: 6,
      outcome: 'prorata',
    });
    const owner = { actor: { kind: 'customer', id: order.customerId } as const, ip: null };
    const chosen = await chooseOnProrataOffer(
      desk.deps,
      owner,
      order.customerId,
      requestId,
      'extension',
    );
    expect(chosen).toMatchObject({
      ok: true,
      value: { state: 'extension_pending', payout: null, extension: { extensionDays: 6 } },
    });
    seller.answers.push(503);
    const before = seller.received.length;
    await deliver();
    expect(await stateOf(desk.deps, requestId)).toBe('extension_pending');
    desk.clock.advance(3_600_000);
    await deliver();
    expect(await stateOf(desk.deps, requestId)).toBe('extension_granted');
    const sent = seller.received.slice(before);
    expect(sent).toHaveLength(2);
    expect(sent.every((r) => r.signed)).toBe(true);
    expect(new Set(sent.map((r) => r.key)).size).toBe(1);
    expect(JSON.parse(sent[0]?.body ?? '{}')).toMatchObject({ requestId, extensionDays: 6 });
  });

  it('a refused extension goes back to staff as extension_failed', async () => {
    const order = await seedPaidOrder(desk.deps);
    const requestId = await seedCaseIn(desk.deps, order, 'prorata_offered', {
      refundMinor: 900,
      extensionDays: 4,
      outcome: 'prorata',
    });
    const owner = { actor: { kind: 'customer', id: order.customerId } as const, ip: null };
    await chooseOnProrataOffer(desk.deps, owner, order.customerId, requestId, 'extension');
    seller.answers.push(422);
    await deliver();
    expect(await stateOf(desk.deps, requestId)).toBe('extension_failed');
    const command = await desk.deps.store.db
      .selectFrom('extensionCommands')
      .selectAll()
      .where('requestId', '=', requestId)
      .executeTakeFirstOrThrow();
    expect(command).toMatchObject({ status: 'rejected', attempts: 1 });
    expect(command.lastError).toContain('422');
  });

  it('partial and pro-rata refunds in JPY and KWD sum exactly, never past what was paid', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('JPY', 'KWD'),
        fc.integer({ min: 1, max: 5_000_000 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 30 })), {
          minLength: 1,
          maxLength: 6,
        }),
        async (currency, paidMinor, shares) => {
          const order = await seedPaidOrder(desk.deps, { amountMinor: paidMinor, currency });
          const row = await desk.deps.store.db
            .selectFrom('orders')
            .selectAll()
            .where('id', '=', order.orderId)
            .executeTakeFirstOrThrow();
          let expected = 0;
          for (const [used, period] of shares) {
            // A pro-rata share of what is left: floor(left × unused / period), in minor units.
            const left = paidMinor - expected;
            const amountMinor = mulDivFloor(left, Math.max(period - used, 0), period);
            if (amountMinor <= 0) continue;
            await desk.deps.store.db.transaction().execute(async (trx) => {
              const created = await createPayout(
                trx,
                { engine: store().engine, origin: SYSTEM_ORIGIN, nowMs: desk.clock.nowMs() },
                {
                  requestId: `rr_${order.orderId}`,
                  orderId: order.orderId,
                  decisionId: null,
                  source: 'prorata',
                  amountMinor,
                  currency,
                },
              );
              if (!created.ok) throw new Error(created.error.detail);
              const locked = await findPayoutForUpdate(trx, desk.deps, created.value.id);
              if (locked === undefined) throw new Error('payout vanished');
              await applyOutcome(
                trx,
                desk.deps,
                locked,
                { kind: 'succeeded', providerRefundId: `re_${created.value.id}` },
                SYSTEM_ORIGIN,
              );
            });
            expected += amountMinor;
          }
          const ledger = await readLedger(desk.deps.store.db, row);
          expect(ledger.refundedMinor).toBe(expected);
          expect(ledger.inFlightMinor).toBe(0);
          expect(ledger.availableMinor).toBe(paidMinor - expected);
          expect(ledger.availableMinor).toBeGreaterThanOrEqual(0);
          // The remainder is refundable to the last minor unit, and not one more.
          const rest = ledger.availableMinor;
          if (rest > 0) {
            const refused = await desk.deps.store.db.transaction().execute((trx) =>
              createPayout(
                trx,
                { engine: store().engine, origin: SYSTEM_ORIGIN, nowMs: desk.clock.nowMs() },
                {
                  requestId: `rr_${order.orderId}_rest`,
                  orderId: order.orderId,
                  decisionId: null,
                  source: 'approved',
                  amountMinor: rest + 1,
                  currency,
                },
              ),
            );
            expect(refused).toMatchObject({ ok: false, error: { code: 'exceeds_refundable' } });
          }
          // Written with the currency's own exponent: 0 for JPY, 3 for KWD.
          const written = formatMoney(expected, currency);
          const decimals = written.split(' ')[0]?.split('.')[1]?.length ?? 0;
          expect(decimals).toBe(currencyExponent(currency));
        },
      ),
      { numRuns: 40, seed: 6_681 },
    );
  }, 120_000);
});
