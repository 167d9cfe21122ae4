/**
 * Payout desk helpers for the HTTP suites: a trigger for each payout problem code
 * (test/http/problems.test.ts) and one successful exchange with every payout operation, for the
 * OpenAPI walk (test/http/openapi.test.ts).
 */
import type { DeskDeps } from '../../src/app/context.js';
import { openStore } from '../../src/store/connect.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { seedApprovedCase, seedCaseIn, seedPaidOrder } from '../payouts/fixtures.js';
import { PayoutDouble } from './payout-double.js';
import { deliverPayouts } from '../../src/payouts/worker.js';
import { BankTransferProvider } from '../../src/payouts/providers/bank-transfer.js';
import { jsonPost } from './intake.js';
import {
  as,
  customerSessionCookie,
  deskOver,
  staffSessionCookie,
  type TestDesk,
} from './people.js';

/**
 * Bank transfer payouts handed to the (offline) bank transfer provider: `pending`, waiting for
 * finance to pay them and staff to mark them paid. One approved case per amount.
 */
export async function seedAwaitingBankPayouts(
  deps: DeskDeps,
  amountsMinor: readonly number[],
  currency = 'EUR',
): Promise<string[]> {
  const ids: string[] = [];
  for (const amountMinor of amountsMinor) {
    const order = await seedPaidOrder(deps, { paymentMethod: 'bank', amountMinor, currency });
    ids.push((await seedApprovedCase(deps, order, amountMinor)).payout.id);
  }
  const provider = new BankTransferProvider();
  while (
    (await deliverPayouts(deps, {
      workerId: 'seed-bank',
      providers: { bank_transfer: provider },
      batchSize: 100,
    })) > 0
  );
  return ids;
}

/** A case whose payout the provider declined: payout_failed, the declined payout's id. */
export async function seedFailedPayout(
  deps: DeskDeps,
): Promise<{ requestId: string; payoutId: string; orderId: string }> {
  const order = await seedPaidOrder(deps, { amountMinor: 4_000 });
  const { requestId, payout } = await seedApprovedCase(deps, order, 2_500);
  // A provider that declines everything it is sent (other queued payouts included).
  const provider = new PayoutDouble('card', { decline: 1 });
  await deliverPayouts(deps, { workerId: 'seed', providers: { card: provider } });
  return { requestId, payoutId: payout.id, orderId: order.orderId };
}

async function freshDesk(): Promise<TestDesk> {
  const store = openStore({ url: ':memory:' });
  await migrateToLatest(store.db);
  return deskOver(store);
}

export const PAYOUT_PROBLEM_TRIGGERS = {
  ledger_refused: async () => {
    const d = await freshDesk();
    const failed = await seedFailedPayout(d.deps);
    const nowMs = d.clock.nowMs();
    await d.deps.store.db
      .insertInto('chargebacks')
      .values({
        id: 'cb_1',
        orderId: failed.orderId,
        status: 'open',
        openedAtMs: nowMs,
        updatedAtMs: nowMs,
      })
      .execute();
    const staff = await staffSessionCookie(d.deps, 'agent');
    return d.app.request(
      `/v1/payouts/${failed.payoutId}/retry`,
      jsonPost({ reason: 'again' }, staff),
    );
  },
  payout_state_conflict: async () => {
    const d = await freshDesk();
    const order = await seedPaidOrder(d.deps);
    const { payout } = await seedApprovedCase(d.deps, order, 1_000);
    const staff = await staffSessionCookie(d.deps, 'agent');
    // A card payout is settled by its provider, never marked paid by hand.
    return d.app.request(
      `/v1/payouts/${payout.id}/mark-paid`,
      jsonPost({ reference: 'REF-1' }, staff),
    );
  },
  nothing_to_batch: async () => {
    const d = await freshDesk();
    const approver = await staffSessionCookie(d.deps, 'approver');
    return d.app.request('/v1/payout-batches', jsonPost({ method: 'manual' }, approver));
  },
} satisfies Record<string, () => Promise<Response>>;

/** One successful exchange with every payout operation; `admin` is a staff admin's session. */
export async function walkPayoutOperations(
  d: TestDesk,
  admin: { readonly cookie: string },
): Promise<void> {
  const expectOk = async (res: Response | Promise<Response>): Promise<Response> => {
    const answer = await res;
    if (answer.status !== 200)
      throw new Error(`payout walk: ${answer.status} ${await answer.text()}`);
    return answer;
  };
  const prorata = await seedPaidOrder(d.deps, { amountMinor: 9_000 });
  const offered = await seedCaseIn(d.deps, prorata, 'prorata_offered', {
    refundMinor: 2_100,
    extensionDays: 6,
    outcome: 'prorata',
  });
  const customer = await customerSessionCookie(d.deps, prorata.customerId);
  await expectOk(
    d.app.request(
      `/v1/refund-requests/${offered}/prorata-choice`,
      jsonPost({ choice: 'refund' }, customer),
    ),
  );
  const failed = await seedFailedPayout(d.deps);
  await expectOk(d.app.request('/v1/payouts?status=declined&limit=10', as(admin)));
  await expectOk(d.app.request(`/v1/payouts/${failed.payoutId}`, as(admin)));
  await expectOk(
    d.app.request(
      `/v1/payouts/${failed.payoutId}/retry`,
      jsonPost({ reason: 'Card replaced' }, admin.cookie),
    ),
  );
  const bank = await seedPaidOrder(d.deps, { paymentMethod: 'bank' });
  const transfer = await seedApprovedCase(d.deps, bank, 300);
  await expectOk(
    d.app.request(
      `/v1/payouts/${transfer.payout.id}/mark-paid`,
      jsonPost({ reference: 'SEPA-1' }, admin.cookie),
    ),
  );
  await expectOk(d.app.request(`/v1/orders/${bank.orderId}/ledger`, as(admin)));
  await seedAwaitingBankPayouts(d.deps, [1_250, 40]);
  const created = await d.app.request(
    '/v1/payout-batches',
    jsonPost({ method: 'bank_transfer' }, admin.cookie),
  );
  if (created.status !== 201) {
    throw new Error(`payout walk: ${created.status} ${await created.text()}`);
  }
  const batch = (await created.json()) as { id: string };
  await expectOk(d.app.request('/v1/payout-batches?limit=5', as(admin)));
  await expectOk(d.app.request(`/v1/payout-batches/${batch.id}/file`, as(admin)));
}
