/**
 * `refund-desk import` core on both engines: good lines load, each bad line is reported by
 * number, records are atomic, a database error in a batch costs only its line, re-imports are
 * idempotent, and a 20,000-line file loads in full.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, expect, it } from 'vitest';
import { verifyAudit } from '../../src/app/audit.js';
import { ManualClock, type AppContext, type Origin } from '../../src/app/context.js';
import { getCustomer, getOrderFacts } from '../../src/app/facts/read.js';
import { formatRejectedLine, importNdjson, type ImportSummary } from '../../src/app/import.js';
import { describeEachEngine } from '../support/stores.js';
import {
  customerInput,
  incidentInput,
  orderInput,
  planInput,
  refundInput,
  reportInput,
  uniqueId,
  usageInput,
} from '../support/facts.js';

const ORIGIN: Origin = { actor: { kind: 'system', id: 'import' }, ip: null };
const dir = mkdtempSync(join(tmpdir(), 'refund-desk-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeFile(lines: readonly string[], name = `${uniqueId('f')}.ndjson`): string {
  const path = join(dir, name);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

const line = (type: string, data: unknown) => JSON.stringify({ type, data });

async function auditCount(ctx: AppContext): Promise<number> {
  const row = await ctx.store.db
    .selectFrom('auditLog')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

function summary(result: Awaited<ReturnType<typeof importNdjson>>): ImportSummary {
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

/** A file with good lines and every kind of bad one; returns the ids to look for. */
function mixedFile() {
  const customer = customerInput();
  const customerId = customer['id'] as string;
  const plan = planInput();
  const order = orderInput(customerId, plan['id'] as string);
  const orderId = order['id'] as string;
  const incident = incidentInput();
  const badOrder = orderInput(customerId, plan['id'] as string, { email: 'not-an-email' });
  const cardOrder = orderInput(customerId, plan['id'] as string, {
    chargeRef: '4111 1111 1111 1111',
  });
  const lines = [
    /* 1 */ line('customer', customer),
    /* 2 */ line('plan', plan),
    /* 3 */ '{"type": "order", "data": {',
    /* 4 */ line('invoice', { id: 'inv_1' }),
    /* 5 */ '',
    /* 6 */ line('order', order),
    /* 7 */ line('order', badOrder),
    /* 8 */ line('usage', usageInput('ord_missing')),
    /* 9 */ line('refund', refundInput(orderId, { amountMinor: 500 })),
    /* 10 */ line('order', cardOrder),
    /* 11 */ line('incident', incident),
    /* 12 */ line('report', reportInput(orderId)),
    /* 13 */ line('refund', refundInput(orderId, { amountMinor: 9_000 })),
    /* 14 */ line('flags', { customerId, tosBreach: true }),
    /* 15 */ JSON.stringify({ type: 'usage', data: usageInput(orderId), extra: 1 }),
  ];
  return {
    lines,
    customerId,
    orderId,
    badOrderId: badOrder['id'] as string,
    cardOrderId: cardOrder['id'] as string,
  };
}

describeEachEngine('import', (store) => {
  const ctx = (): AppContext => ({
    store: store(),
    clock: new ManualClock(Date.parse('2026-03-06T10:00:00Z')),
  });

  it('loads the good lines and reports each bad line by number', async () => {
    const c = ctx();
    const file = mixedFile();
    const before = await auditCount(c);
    const result = summary(await importNdjson(c, ORIGIN, writeFile(file.lines)));
    expect(result).toMatchObject({ loaded: 7, created: 6, replaced: 1, unchanged: 0, lines: 15 });
    expect(result.rejected.map((r) => r.line)).toEqual([3, 4, 7, 8, 10, 13, 15]);
    const text = result.rejected.flatMap(formatRejectedLine);
    expect(text[0]).toMatch(/^line 3: \(the line\): is not valid JSON/);
    expect(text.slice(1)).toEqual([
      expect.stringMatching(
        /^line 4: \/type: must be one of "customer", "plan", "order"/,
      ) as string,
      'line 7: /data/email: must be an email address (name@example.com)',
      'line 8: /data/orderId: no order ord_missing is stored',
      expect.stringMatching(
        /^line 10: \/data\/chargeRef: looks like a payment card number/,
      ) as string,
      `line 13: /data/amountMinor: would bring refunds on order ${file.orderId} to 9500, more than its amount 8800`,
      'line 15: /extra: is not a known field',
    ]);

    const facts = await getOrderFacts(c.store.db, file.orderId);
    expect(facts).toMatchObject({ refundedMinor: 500, reports: [{ cause: 'service' }] });
    expect(facts?.refunds).toHaveLength(1);
    expect(await getOrderFacts(c.store.db, file.badOrderId)).toBeUndefined();
    expect(await getOrderFacts(c.store.db, file.cardOrderId)).toBeUndefined();
    expect(await getCustomer(c.store.db, file.customerId)).toMatchObject({ tosBreach: true });
    // One audit entry per record loaded, chained like any other.
    expect((await auditCount(c)) - before).toBe(7);
    expect(await verifyAudit(c.store.db)).toMatchObject({ ok: true });
  });

  it('is idempotent: importing the same file again changes and audits nothing', async () => {
    const c = ctx();
    const path = writeFile(mixedFile().lines);
    const first = summary(await importNdjson(c, ORIGIN, path));
    const audited = await auditCount(c);
    const second = summary(await importNdjson(c, ORIGIN, path));
    expect(second).toMatchObject({
      loaded: first.loaded,
      created: 0,
      replaced: 0,
      unchanged: first.loaded,
    });
    expect(second.rejected.map((r) => r.line)).toEqual([3, 4, 7, 8, 10, 13, 15]);
    expect(await auditCount(c)).toBe(audited);
  });

  it('a line that changes a record replaces it, in file order', async () => {
    const c = ctx();
    const customer = customerInput();
    const path = writeFile([
      line('customer', customer),
      line('customer', { ...customer, name: 'Second' }),
      line('customer', { ...customer, name: 'Third' }),
    ]);
    const result = summary(await importNdjson(c, ORIGIN, path));
    expect(result).toMatchObject({ loaded: 3, created: 1, replaced: 2 });
    expect(await getCustomer(c.store.db, customer['id'] as string)).toMatchObject({
      name: 'Third',
    });
  });

  it.each([1, 500])(
    'the rules between facts hold inside one batch as across batches (batchLines %i)',
    async (batchLines) => {
      const c = ctx();
      const customer = customerInput();
      const customerId = customer['id'] as string;
      const plan = planInput();
      const planId = plan['id'] as string;
      const order = orderInput(customerId, planId);
      const orderId = order['id'] as string;
      const second = orderInput(customerId, planId);
      const secondId = second['id'] as string;
      const incident = incidentInput();
      const r1 = refundInput(orderId, { amountMinor: 5_000 });
      const r3 = refundInput(secondId, { kind: 'compensation', incidentId: incident['id'] });
      const lines = [
        /* 1 */ line('customer', customer),
        /* 2 */ line('plan', plan),
        /* 3 */ line('order', order),
        /* 4 */ line('refund', r1),
        /* 5 */ line('order', { ...order, amountMinor: 4_000 }),
        /* 6 */ line('refund', { ...r1, amountMinor: 8_800 }),
        /* 7 */ line('refund', refundInput(orderId, { amountMinor: 1 })),
        /* 8 */ line('plan', { ...plan, product: 'datacenter' }),
        /* 9 */ line('incident', incident),
        /* 10 */ line('order', second),
        /* 11 */ line('refund', r3),
        /* 12 */ line('usage', usageInput(orderId)),
        /* 13 */ line('usage', usageInput(orderId, { requests: 999 })),
        /* 14 */ line('order', { ...order, customerId: 'cus_other' }),
        /* 15 */ line('flags', { customerId, stressTesting: true }),
        /* 16 */ line('customer', { ...customer, name: 'Renamed' }),
      ];
      const result = summary(await importNdjson(c, ORIGIN, writeFile(lines), { batchLines }));
      expect(result.rejected.map((r) => [r.line, r.errors[0]?.pointer])).toEqual([
        [5, '/data/amountMinor'],
        [7, '/data/amountMinor'],
        [8, '/data/product'],
        [14, '/data/customerId'],
      ]);
      expect(result).toMatchObject({ loaded: 12, created: 8, replaced: 4 });
      const first = await getOrderFacts(c.store.db, orderId);
      expect(first).toMatchObject({
        order: { amountMinor: 8_800 },
        plan: { product: 'static_isp' },
        refundedMinor: 8_800,
        usage: [{ requests: 999 }],
      });
      expect((await getOrderFacts(c.store.db, secondId))?.compensations).toEqual([
        { incidentId: incident['id'], kind: 'refund', at: '2026-03-05T09:00:00.000Z' },
      ]);
      expect(await getCustomer(c.store.db, customerId)).toMatchObject({
        name: 'Renamed',
        stressTesting: true,
      });
      expect(await verifyAudit(c.store.db)).toMatchObject({ ok: true });
    },
  );

  it('when the database refuses one line of a batch, only that line is reported', async () => {
    const c = ctx();
    const poisoned = 'cus_poisoned_by_trigger';
    if (c.store.engine === 'sqlite') {
      await sql
        .raw(
          `CREATE TRIGGER poison BEFORE INSERT ON customers WHEN NEW.id = '${poisoned}'
           BEGIN SELECT RAISE(ABORT, 'poisoned row'); END`,
        )
        .execute(c.store.db);
    } else {
      await sql
        .raw(
          `CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN
             IF NEW.id = '${poisoned}' THEN
               RAISE EXCEPTION 'poisoned row' USING ERRCODE = 'check_violation';
             END IF;
             RETURN NEW;
           END $$`,
        )
        .execute(c.store.db);
      await sql
        .raw(
          'CREATE TRIGGER poison BEFORE INSERT ON customers FOR EACH ROW EXECUTE FUNCTION poison()',
        )
        .execute(c.store.db);
    }
    try {
      const customers = Array.from({ length: 25 }, (_, i) =>
        i === 12 ? customerInput({ id: poisoned }) : customerInput(),
      );
      const before = await auditCount(c);
      const result = summary(
        await importNdjson(c, ORIGIN, writeFile(customers.map((x) => line('customer', x))), {
          batchLines: 10,
        }),
      );
      expect(result).toMatchObject({ loaded: 24, rejectedCount: 1 });
      expect(result.rejected).toEqual([
        {
          line: 13,
          errors: [
            {
              pointer: '/data',
              message: expect.stringContaining('poisoned row') as string,
            },
          ],
        },
      ]);
      for (const [i, customer] of customers.entries()) {
        const stored = await getCustomer(c.store.db, customer['id'] as string);
        expect(stored === undefined, `line ${i + 1}`).toBe(i === 12);
      }
      expect((await auditCount(c)) - before).toBe(24);
      expect(await verifyAudit(c.store.db)).toMatchObject({ ok: true });
    } finally {
      await sql
        .raw('DROP TRIGGER poison' + (c.store.engine === 'postgres' ? ' ON customers' : ''))
        .execute(c.store.db);
      if (c.store.engine === 'postgres')
        await sql.raw('DROP FUNCTION poison()').execute(c.store.db);
    }
  });

  it('refuses over-long lines and bytes that are not UTF-8; reads CRLF and a last line without newline', async () => {
    const c = ctx();
    const a = customerInput();
    const b = customerInput();
    const path = join(dir, `${uniqueId('raw')}.ndjson`);
    writeFileSync(
      path,
      Buffer.concat([
        Buffer.from(`${line('customer', a)}\r\n`),
        Buffer.from(`${line('customer', customerInput({ name: 'x'.repeat(300) }))}\n`),
        Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a]),
        Buffer.from(line('customer', b)),
      ]),
    );
    const result = summary(await importNdjson(c, ORIGIN, path, { maxLineBytes: 256 }));
    expect(result).toMatchObject({ loaded: 2, lines: 4 });
    expect(result.rejected).toEqual([
      { line: 2, errors: [{ pointer: '', message: 'is longer than 256 bytes' }] },
      { line: 3, errors: [{ pointer: '', message: 'is not valid UTF-8' }] },
    ]);
    expect(await getCustomer(c.store.db, b['id'] as string)).toBeDefined();
  });

  it('reports progress up to the whole file, and a file it cannot read as a value', async () => {
    const c = ctx();
    const path = writeFile(Array.from({ length: 30 }, () => line('customer', customerInput())));
    const calls: Array<[number, number, number]> = [];
    summary(
      await importNdjson(c, ORIGIN, path, {
        batchLines: 7,
        onProgress: (lines, bytes, total) => calls.push([lines, bytes, total]),
      }),
    );
    expect(calls.map(([lines]) => lines)).toEqual([7, 14, 21, 28, 30]);
    const [lastLines, lastBytes, total] = calls.at(-1) ?? [0, 0, 0];
    expect(lastLines).toBe(30);
    expect(lastBytes).toBe(total);
    expect(await importNdjson(c, ORIGIN, join(dir, 'missing.ndjson'))).toEqual({
      ok: false,
      error: { code: 'unreadable', message: expect.stringContaining('ENOENT') as string },
    });
  });

  it('loads a 20,000-line file in full', { timeout: 120_000 }, async () => {
    const c = ctx();
    const plan = planInput();
    const lines = [line('plan', plan)];
    const orderIds: string[] = [];
    for (let i = 0; lines.length < 20_000; i += 1) {
      const customer = customerInput();
      const order = orderInput(customer['id'] as string, plan['id'] as string);
      orderIds.push(order['id'] as string);
      lines.push(line('customer', customer), line('order', order));
      if (lines.length < 20_000) lines.push(line('usage', usageInput(order['id'] as string)));
      if (lines.length < 20_000) lines.push(line('report', reportInput(order['id'] as string)));
    }
    expect(lines).toHaveLength(20_000);
    const path = writeFile(lines);
    const auditBefore = await auditCount(c);
    const startedMs = performance.now();
    const result = summary(await importNdjson(c, ORIGIN, path));
    const elapsedMs = performance.now() - startedMs;
    expect(result).toMatchObject({
      loaded: 20_000,
      created: 20_000,
      rejectedCount: 0,
      lines: 20_000,
    });
    const counted = await c.store.db
      .selectFrom('orders')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('planId', '=', plan['id'] as string)
      .executeTakeFirstOrThrow();
    expect(Number(counted.n)).toBe(orderIds.length);
    expect((await auditCount(c)) - auditBefore).toBe(20_000);
    expect(await verifyAudit(c.store.db)).toMatchObject({ ok: true });
    process.stderr.write(
      `import of 20,000 lines on ${c.store.engine}: ${Math.round(elapsedMs)} ms\n`,
    );
  });
});
