/**
 * Appending several audit entries at once (one intake writes three): the chain is exactly the
 * one appending them one at a time would write, batches longer than one INSERT stay one chain,
 * and concurrent batches from separate transactions interleave without breaking it.
 */
import { expect, it } from 'vitest';
import {
  appendAudit,
  appendAuditMany,
  verifyAudit,
  type AuditChange,
} from '../../src/app/audit.js';
import type { Origin } from '../../src/app/context.js';
import { describeEachEngine, type TestStore } from '../support/stores.js';

const ORIGIN: Origin = { actor: { kind: 'customer', id: 'cus_batch' }, ip: '127.0.0.1' };

function changes(count: number, entityId: string): AuditChange[] {
  return Array.from({ length: count }, (_, i) => ({
    action: 'order.updated',
    entityKind: 'order',
    entityId,
    before: { amountMinor: i },
    after: { amountMinor: i + 1, note: `change ${i}` },
  }));
}

async function entriesFrom(store: TestStore, seq: number) {
  return store.db
    .selectFrom('auditLog')
    .selectAll()
    .where('seq', '>=', seq)
    .orderBy('seq')
    .execute();
}

async function nextSeq(store: TestStore): Promise<number> {
  const row = await store.db
    .selectFrom('auditLog')
    .select('seq')
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  return (row?.seq ?? 0) + 1;
}

class RolledBack extends Error {}

describeEachEngine('audit log, batches', (store) => {
  it('writes the same entries as appending one at a time', async () => {
    const s = store();
    const from = await nextSeq(s);
    const batch = changes(3, 'ord_same');
    // One at a time, read back, then rolled back: the chain is as it was.
    let oneByOne: Awaited<ReturnType<typeof entriesFrom>> = [];
    await expect(
      s.db.transaction().execute(async (trx) => {
        for (const change of batch) await appendAudit(trx, s.engine, ORIGIN, 5_000, change);
        oneByOne = await trx
          .selectFrom('auditLog')
          .selectAll()
          .where('seq', '>=', from)
          .orderBy('seq')
          .execute();
        throw new RolledBack();
      }),
    ).rejects.toBeInstanceOf(RolledBack);
    expect(await entriesFrom(s, from)).toEqual([]);

    await s.db.transaction().execute((trx) => appendAuditMany(trx, s.engine, ORIGIN, 5_000, batch));

    expect(oneByOne).toHaveLength(3);
    expect(await entriesFrom(s, from)).toEqual(oneByOne);
    expect(await verifyAudit(s.db)).toMatchObject({ ok: true });
  });

  it('chains a batch longer than one INSERT, and appends nothing for no changes', async () => {
    const s = store();
    const from = await nextSeq(s);
    await s.db
      .transaction()
      .execute((trx) => appendAuditMany(trx, s.engine, ORIGIN, 6_000, changes(260, 'ord_long')));
    await s.db.transaction().execute((trx) => appendAuditMany(trx, s.engine, ORIGIN, 6_001, []));
    const rows = await entriesFrom(s, from);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 260 }, (_, i) => from + i));
    expect(rows.at(-1)?.afterJson).toBe('{"amountMinor":260,"note":"change 259"}');
    expect(await verifyAudit(s.db)).toEqual({ ok: true, entries: from + 259 });
  });

  it('concurrent batches from separate transactions keep one unbroken chain', async () => {
    const s = store();
    const from = await nextSeq(s);
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        s.db
          .transaction()
          .execute((trx) =>
            appendAuditMany(trx, s.engine, ORIGIN, 7_000 + i, changes(3, `ord_c${i}`)),
          ),
      ),
    );
    const rows = await entriesFrom(s, from);
    expect(rows).toHaveLength(30);
    // Each batch stays together, in its order.
    for (let i = 0; i < 30; i += 3) {
      expect(rows.slice(i, i + 3).map((r) => [r.entityId, r.beforeJson])).toEqual(
        [0, 1, 2].map((k) => [rows[i]?.entityId, `{"amountMinor":${k}}`]),
      );
    }
    expect(await verifyAudit(s.db)).toEqual({ ok: true, entries: from + 29 });
  });
});
