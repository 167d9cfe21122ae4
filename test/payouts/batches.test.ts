/**
 * Payout batches on both engines: a batch holds exactly the bank transfers handed to the offline
 * provider that wait to be paid and are in no batch yet; the next batch never repeats them; a
 * batched payout is still settled by marking it paid; the file is the same bytes (and SHA-256)
 * every time it is rendered; concurrent requests never put one payout in two batches.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import {
  createPayoutBatch,
  readPayoutBatchFile,
  type BatchMethod,
  type PayoutBatchView,
} from '../../src/app/payouts/batches.js';
import { markPayoutPaid } from '../../src/app/payouts/desk.js';
import { runPayoutBatchCommand } from '../../src/cli/payouts.js';
import { ManualPayoutProvider } from '../../src/payouts/providers/manual.js';
import { renderPayoutBatchCsv } from '../../src/payouts/providers/offline.js';
import { deliverPayouts } from '../../src/payouts/worker.js';
import { seedAwaitingBankPayouts } from '../support/payouts-desk.js';
import { as, deskOver, staffSessionCookie, type TestDesk } from '../support/people.js';
import { jsonPost } from '../support/intake.js';
import { describeEachEngine } from '../support/stores.js';
import { REVIEWER, seedApprovedCase, seedPaidOrder, stateOf } from './fixtures.js';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describeEachEngine('payout batches', (store) => {
  let desk: TestDesk;
  let approver: string;
  beforeAll(async () => {
    desk = deskOver(store());
    approver = await staffSessionCookie(desk.deps, 'approver');
  });
  afterAll(() => desk.dispose());

  /** Batches whatever earlier tests left waiting, so each test sees only its own payouts. */
  beforeEach(async () => {
    await seedAwaitingBankPayouts(desk.deps, []);
    for (const method of ['bank_transfer', 'manual'] as const) {
      while ((await batch(method)).ok);
    }
  });

  const batch = (method: BatchMethod) =>
    createPayoutBatch(desk.deps, REVIEWER, method, renderPayoutBatchCsv);

  async function batchIdsOf(payoutIds: readonly string[]) {
    const rows = await desk.deps.store.db
      .selectFrom('payouts')
      .select(['id', 'batchId'])
      .where('id', 'in', payoutIds)
      .execute();
    return new Map(rows.map((row) => [row.id, row.batchId]));
  }

  async function payoutsInBatch(batchId: string): Promise<string[]> {
    const rows = await desk.deps.store.db
      .selectFrom('payouts')
      .select('id')
      .where('batchId', '=', batchId)
      .orderBy('id')
      .execute();
    return rows.map((row) => row.id);
  }

  it('holds exactly the bank transfers that wait to be paid and are in no batch', async () => {
    const waiting = await seedAwaitingBankPayouts(desk.deps, [4_200, 5, 999], 'EUR');
    const [yen = ''] = await seedAwaitingBankPayouts(desk.deps, [1_500], 'JPY');
    // Not waiting: paid already; not yet handed to the provider; another method.
    const [paid = ''] = await seedAwaitingBankPayouts(desk.deps, [300]);
    expect((await markPayoutPaid(desk.deps, REVIEWER, paid, 'SEPA-1')).ok).toBe(true);
    const queued = await seedApprovedCase(
      desk.deps,
      await seedPaidOrder(desk.deps, { paymentMethod: 'bank' }),
      700,
    );
    const crypto = await seedApprovedCase(
      desk.deps,
      await seedPaidOrder(desk.deps, { paymentMethod: 'crypto', currency: 'USD' }),
      800,
    );
    await deliverPayouts(desk.deps, {
      workerId: 'manual',
      providers: { manual: new ManualPayoutProvider() },
    });

    const made = await batch('bank_transfer');
    if (!made.ok) throw new Error(made.error.detail);
    const { batch: view, lines } = made.value;
    const expected = [...waiting, yen].sort();
    expect(lines.map((line) => line.refundId).sort()).toEqual(expected);
    expect(view).toMatchObject({
      method: 'bank_transfer',
      lineCount: 4,
      totals: { EUR: 5_204, JPY: 1_500 },
      fileName: `payouts-bank_transfer-${view.id}.csv`,
      createdBy: 'staff:stf_reviewer',
    });
    expect(view.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await payoutsInBatch(view.id)).toEqual(expected);
    const others = await batchIdsOf([paid, queued.payout.id, crypto.payout.id]);
    expect([...others.values()]).toEqual([null, null, null]);
    const line = lines.find((l) => l.refundId === yen);
    expect(line).toMatchObject({ amountMinor: 1_500, currency: 'JPY' });
    expect(line?.customerId).toMatch(/^cus_/);

    const audit = await desk.deps.store.db
      .selectFrom('auditLog')
      .select(['action', 'entityId'])
      .where('action', 'in', ['payout_batch.created', 'payout.batched'])
      .where((eb) => eb.or([eb('entityId', '=', view.id), eb('entityId', 'in', expected)]))
      .execute();
    expect(audit).toHaveLength(5);

    // The manual payout goes into a manual batch, alone.
    const manual = await batch('manual');
    expect(manual.ok && manual.value.lines.map((l) => l.refundId)).toEqual([crypto.payout.id]);
  });

  it('never repeats a payout in the next batch', async () => {
    const first = await seedAwaitingBankPayouts(desk.deps, [100, 200]);
    const one = await batch('bank_transfer');
    const second = await seedAwaitingBankPayouts(desk.deps, [300]);
    const two = await batch('bank_transfer');
    if (!one.ok || !two.ok) throw new Error('no batch');
    expect(one.value.lines.map((l) => l.refundId).sort()).toEqual([...first].sort());
    expect(two.value.lines.map((l) => l.refundId)).toEqual(second);
    expect(await batch('bank_transfer')).toMatchObject({
      ok: false,
      error: { code: 'nothing_to_batch' },
    });
  });

  it('settles a batched payout when it is marked paid, and keeps its file', async () => {
    const [id = ''] = await seedAwaitingBankPayouts(desk.deps, [2_500]);
    const made = await batch('bank_transfer');
    if (!made.ok) throw new Error(made.error.detail);
    const res = await desk.app.request(
      `/v1/payouts/${id}/mark-paid`,
      jsonPost({ reference: 'SEPA-2026-0099' }, approver),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: 'succeeded',
      reference: 'SEPA-2026-0099',
      batchId: made.value.batch.id,
    });
    const row = await desk.deps.store.db
      .selectFrom('payouts')
      .select('requestId')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(await stateOf(desk.deps, row.requestId)).toBe('paid');
    const file = await readPayoutBatchFile(
      desk.deps.store.db,
      made.value.batch.id,
      renderPayoutBatchCsv,
    );
    expect(file.ok && sha256(file.value.csv)).toBe(made.value.batch.sha256);
  });

  it('serves the file as the same bytes every time, with the stored SHA-256', async () => {
    await seedAwaitingBankPayouts(desk.deps, [1_234, 5], 'KWD');
    desk.clock.advance(1_000); // ids are time-ordered: this batch is the newest
    const created = await desk.app.request(
      '/v1/payout-batches',
      jsonPost({ method: 'bank_transfer' }, approver),
    );
    expect(created.status).toBe(201);
    const view = (await created.json()) as PayoutBatchView;
    expect(view).toMatchObject({ lineCount: 2, totals: { KWD: 1_239 } });
    const fetch = () =>
      desk.app.request(`/v1/payout-batches/${view.id}/file`, as({ cookie: approver }));
    const [a, b] = [await fetch(), await fetch()];
    expect(a.status).toBe(200);
    expect(a.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(a.headers.get('content-disposition')).toBe(
      `attachment; filename="payouts-bank_transfer-${view.id}.csv"`,
    );
    const bytes = await a.text();
    expect(await b.text()).toBe(bytes);
    expect(sha256(bytes)).toBe(view.sha256);
    expect(a.headers.get('repr-digest')).toBe(
      `sha-256=:${Buffer.from(view.sha256, 'hex').toString('base64')}:`,
    );
    const rows = bytes.split('\r\n');
    expect(rows[0]).toContain('customer_id');
    expect(
      rows
        .slice(1, 3)
        .map((r) => r.split(',')[8])
        .sort(),
    ).toEqual(['0.005', '1.234']);
    expect(rows).toHaveLength(4);

    const list = await desk.app.request('/v1/payout-batches?limit=1', as({ cookie: approver }));
    expect(((await list.json()) as { items: PayoutBatchView[] }).items).toEqual([view]);
    const missing = await desk.app.request(
      '/v1/payout-batches/pb_none/file',
      as({ cookie: approver }),
    );
    expect(missing.status).toBe(404);
    const agent = await staffSessionCookie(desk.deps, 'agent');
    const refused = await desk.app.request(
      '/v1/payout-batches',
      jsonPost({ method: 'bank_transfer' }, agent),
    );
    expect(refused.status).toBe(403);
    const empty = await desk.app.request(
      '/v1/payout-batches',
      jsonPost({ method: 'bank_transfer' }, approver),
    );
    expect(empty.status).toBe(409);
    expect(await empty.json()).toMatchObject({ code: 'nothing_to_batch' });
  });

  it('never puts one payout in two batches when two requests race', async () => {
    const waiting = await seedAwaitingBankPayouts(
      desk.deps,
      Array.from({ length: 12 }, (_, i) => 100 + i),
    );
    const answers = await Promise.all(
      Array.from({ length: 4 }, () =>
        desk.app.request('/v1/payout-batches', jsonPost({ method: 'bank_transfer' }, approver)),
      ),
    );
    const statuses = answers.map((res) => res.status);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    const made = await Promise.all(
      answers
        .filter((res) => res.status === 201)
        .map(async (res) => (await res.json()) as PayoutBatchView),
    );
    expect(made.length).toBeGreaterThanOrEqual(1);
    const seen: string[] = [];
    for (const view of made) {
      const inBatch = await payoutsInBatch(view.id);
      // What the batch recorded is exactly what points at it.
      expect(inBatch).toHaveLength(view.lineCount);
      seen.push(...inBatch);
      const file = await readPayoutBatchFile(desk.deps.store.db, view.id, renderPayoutBatchCsv);
      expect(file.ok).toBe(true);
    }
    expect(seen.sort()).toEqual([...waiting].sort());
  });

  it('writes the file from the command line with writePayoutBatchFile', async () => {
    await seedAwaitingBankPayouts(desk.deps, [4_200, 50], 'EUR');
    const dir = await mkdtemp(join(tmpdir(), 'payout-batch-cli-'));
    try {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runPayoutBatchCommand(
        desk.deps,
        { method: 'bank_transfer', outDir: dir },
        { stdout: (l) => out.push(l), stderr: (l) => err.push(l) },
      );
      expect(code).toBe(0);
      const [path = '', summary = '', total = ''] = out;
      expect(path).toMatch(/payouts-bank_transfer-pb_[0-9a-z]+\.csv$/);
      expect(summary).toMatch(/: 2 lines, sha256 [0-9a-f]{64}$/);
      expect(total).toBe('total EUR 42.50 (4250 minor)');
      expect(err.join('\n')).toContain('no bank details');
      const bytes = await readFile(path, 'utf8');
      expect(`sha256 ${sha256(bytes)}`).toBe(summary.slice(summary.indexOf('sha256')));
      const again = await runPayoutBatchCommand(
        desk.deps,
        { method: 'bank_transfer', outDir: dir },
        { stdout: (l) => out.push(l), stderr: (l) => err.push(l) },
      );
      expect(again).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
