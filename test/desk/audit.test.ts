import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { appendAudit, verifyAudit } from '../../src/app/audit.js';
import type { Origin } from '../../src/app/context.js';
import { openStore } from '../../src/store/connect.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import {
  as,
  customerSessionCookie,
  deskOver,
  seedCustomerWithOrder,
  staffSessionCookie,
} from '../support/people.js';
import { describeEachEngine, type TestStore } from '../support/stores.js';

const ORIGIN: Origin = {
  actor: { kind: 'staff', id: 'stf_auditor', role: 'admin' },
  ip: '127.0.0.1',
};

async function seedAuditEntries(
  store: TestStore,
  count: number,
  entityId = 'ord_1',
): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    await store.db.transaction().execute((trx) =>
      appendAudit(trx, store.engine, ORIGIN, 1_000 + i, {
        action: 'order.updated',
        entityKind: 'order',
        entityId,
        before: { amountMinor: i },
        after: { amountMinor: i + 1 },
      }),
    );
  }
}

async function lastSeq(store: TestStore): Promise<number> {
  const row = await store.db
    .selectFrom('auditLog')
    .select('seq')
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.seq ?? 0;
}

describeEachEngine('audit log', (store) => {
  it('chains entries and verifies them; editing one breaks the chain exactly there', async () => {
    const first = (await lastSeq(store())) + 1;
    await seedAuditEntries(store(), 4);
    const intact = await verifyAudit(store().db);
    expect(intact).toEqual({ ok: true, entries: first + 3 });

    await store()
      .db.updateTable('auditLog')
      .set({ afterJson: '{"amountMinor":999}' })
      .where('seq', '=', first + 1)
      .execute();
    expect(await verifyAudit(store().db)).toEqual({
      ok: false,
      entries: first,
      brokenAtSeq: first + 1,
      reason: 'hash does not match the entry',
    });
    // Put it back and remove an entry instead.
    await store()
      .db.updateTable('auditLog')
      .set({ afterJson: '{"amountMinor":2}' })
      .where('seq', '=', first + 1)
      .execute();
    expect((await verifyAudit(store().db)).ok).toBe(true);
    await store()
      .db.deleteFrom('auditLog')
      .where('seq', '=', first + 2)
      .execute();
    expect(await verifyAudit(store().db)).toMatchObject({
      ok: false,
      brokenAtSeq: first + 2,
      reason: `entry ${first + 2} is missing`,
    });
    // Later tests append after a clean chain.
    await store().db.deleteFrom('auditLog').execute();
  });

  it('concurrent appends from separate transactions keep one unbroken chain', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => seedAuditEntries(store(), 1, `ord_c${i}`)),
    );
    const result = await verifyAudit(store().db);
    expect(result).toEqual({ ok: true, entries: 20 });
    const count = await store()
      .db.selectFrom('auditLog')
      .select(sql<number>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(20);
  });

  it('GET /v1/audit-log: admins page through one entity; others are refused', async () => {
    const desk = deskOver(store());
    try {
      await seedAuditEntries(store(), 3, 'ord_paged');
      const admin = await staffSessionCookie(desk.deps, 'admin');
      const first = await desk.app.request(
        '/v1/audit-log?entityKind=order&entityId=ord_paged&limit=2',
        as({ cookie: admin }),
      );
      expect(first.status).toBe(200);
      const page = (await first.json()) as {
        items: Array<{ seq: number; entity: { id: string }; after: unknown }>;
        next: number | null;
      };
      expect(page.items.map((e) => e.entity.id)).toEqual(['ord_paged', 'ord_paged']);
      expect(page.items[0]?.after).toEqual({ amountMinor: 1 });
      expect(page.next).toBe(page.items[1]?.seq);
      const second = (await (
        await desk.app.request(
          `/v1/audit-log?entityKind=order&entityId=ord_paged&after=${page.next}`,
          as({ cookie: admin }),
        )
      ).json()) as { items: unknown[]; next: number | null };
      expect(second.items).toHaveLength(1);
      expect(second.next).toBeNull();

      const verification = await desk.app.request(
        '/v1/audit-log/verification',
        as({ cookie: admin }),
      );
      expect(await verification.json()).toMatchObject({ ok: true });

      const agent = await staffSessionCookie(desk.deps, 'agent');
      expect((await desk.app.request('/v1/audit-log', as({ cookie: agent }))).status).toBe(403);
      const { customerId } = await seedCustomerWithOrder(desk.deps);
      const customer = await customerSessionCookie(desk.deps, customerId);
      expect((await desk.app.request('/v1/audit-log', as({ cookie: customer }))).status).toBe(403);
      expect((await desk.app.request('/v1/audit-log')).status).toBe(401);
      expect((await desk.app.request('/v1/audit-log?limit=0', as({ cookie: admin }))).status).toBe(
        400,
      );
    } finally {
      desk.dispose();
    }
  });
});

it('`refund-desk audit verify` exits 0 on an intact log and 1 naming the first broken entry', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'refund-desk-audit-cli-'));
  const url = `sqlite:${join(dir, 'desk.sqlite')}`;
  try {
    const store = openStore({ url });
    await migrateToLatest(store.db, store.engine);
    await seedAuditEntries({ ...store, dispose: () => store.close() }, 3);
    await store.close();
    const run = () =>
      spawnSync('node', ['bin/refund-desk.js', 'audit', 'verify'], {
        encoding: 'utf8',
        env: { ...process.env, DATABASE_URL: url, DATA_DIR: dir },
      });
    const intact = run();
    expect(intact.stdout).toBe('audit log intact: 3 entries\n');
    expect(intact.status).toBe(0);

    const tamper = openStore({ url });
    await tamper.db
      .updateTable('auditLog')
      .set({ actorId: 'someone-else' })
      .where('seq', '=', 2)
      .execute();
    await tamper.close();
    const broken = run();
    expect(broken.stdout).toBe(
      'audit log broken at entry 2: hash does not match the entry (1 entries before it verify)\n',
    );
    expect(broken.status).toBe(1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
