/**
 * Evidence files over HTTP, on SQLite and PostgreSQL: content sniffed (a renamed executable is
 * refused), size and count limits, generated names in the evidence folder only, nothing partial
 * on disk after a refusal or a failed transaction, and downloads as attachments.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRefundRequest } from '../../src/app/requests/input.js';
import { submitRefundRequest } from '../../src/app/requests/intake.js';
import {
  asCookie,
  ELF_BYTES,
  useFreshDesks,
  HAR_TEXT,
  jsonPost,
  listDir,
  multipartPost,
  PNG_BYTES,
  refuseEvidenceRowsNamed,
  requestBody,
  seedCustomerWithOrder,
  seedOrderWithServiceReport,
  type FilePart,
  type SeededOrder,
} from '../support/intake.js';
import { staffSessionCookie, type TestDesk } from '../support/people.js';
import { describeEachEngine, type TestStore } from '../support/stores.js';

const BASE = '/v1/refund-requests';
const MIB = 1024 * 1024;
const STORED_NAME = /^[0-9a-f]{32}$/;

interface EvidenceJson {
  id: string;
  originalName: string;
  mediaType: string;
  sizeBytes: number;
  sha256: string;
}
interface Created {
  request: { id: string };
  evidence: EvidenceJson[];
}

function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describeEachEngine('evidence', (store: () => TestStore) => {
  const { desk, requestsOn } = useFreshDesks(store);

  async function fileWith(d: TestDesk, order: SeededOrder, files: FilePart[]): Promise<Created> {
    const res = await d.app.request(BASE, multipartPost(requestBody(order), files, order.cookie));
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as Created;
  }

  it('files a request with a screenshot, a log and a HAR: typed by content, stored under generated names', async () => {
    const d = desk();
    const order = await seedOrderWithServiceReport(d.deps);
    const log = '2026-03-03T10:15:00Z ERR upstream timeout\n';
    const created = await fileWith(d, order, [
      { name: 'screen.png', bytes: PNG_BYTES, type: 'text/plain' },
      { name: 'gateway.log', bytes: log, type: 'image/png' },
      { name: 'session.har', bytes: HAR_TEXT },
    ]);
    expect(
      created.evidence.map((e) => [e.originalName, e.mediaType, e.sizeBytes, e.sha256]),
    ).toEqual([
      ['screen.png', 'image/png', PNG_BYTES.length, sha256(PNG_BYTES)],
      ['gateway.log', 'text/plain; charset=utf-8', log.length, sha256(log)],
      ['session.har', 'application/json', HAR_TEXT.length, sha256(HAR_TEXT)],
    ]);
    const rows = await store()
      .db.selectFrom('evidence')
      .selectAll()
      .where('requestId', '=', created.request.id)
      .orderBy('id')
      .execute();
    const names = listDir(d.deps.evidenceDir);
    expect(names).toHaveLength(3);
    expect(names.every((n) => STORED_NAME.test(n))).toBe(true);
    expect(rows.map((r) => r.storedName).sort()).toEqual(names);
    for (const row of rows) {
      expect(sha256(readFileSync(join(d.deps.evidenceDir, row.storedName)))).toBe(row.sha256);
      expect(row.uploadedBy).toBe(`customer:${order.customerId}`);
    }
    const audited = await store()
      .db.selectFrom('auditLog')
      .select('entityId')
      .where('action', '=', 'evidence.added')
      .where(
        'entityId',
        'in',
        created.evidence.map((e) => e.id),
      )
      .execute();
    expect(audited).toHaveLength(3);
  });

  it('refuses an ELF executable renamed log.txt, naming the part and the type; nothing stays', async () => {
    const d = desk();
    const order = await seedCustomerWithOrder(d.deps);
    const res = await d.app.request(
      BASE,
      multipartPost(
        requestBody(order),
        [
          { name: 'fine.log', bytes: 'ok\n' },
          { name: 'log.txt', bytes: ELF_BYTES, type: 'text/plain' },
        ],
        order.cookie,
      ),
    );
    expect(res.status).toBe(415);
    const body = (await res.json()) as {
      code: string;
      detail: string;
      errors: Array<{ pointer: string; detail: string }>;
    };
    expect(body.code).toBe('unsupported_evidence');
    expect(body.errors).toEqual([
      { pointer: '/evidence/1', detail: expect.stringContaining('application/x-elf') },
    ]);
    expect(body.errors[0]?.detail).toContain('"log.txt"');
    expect(body.detail).toContain('application/x-elf');
    expect(await requestsOn(order)).toBe(0);
    expect(listDir(d.deps.evidenceDir)).toEqual([]);
  });

  it('refuses a file over 10 MiB, and uploads over 25 MiB in total; nothing stays', async () => {
    const d = desk();
    const order = await seedCustomerWithOrder(d.deps);
    const big = new Uint8Array(10 * MIB + 1).fill(0x61);
    const res = await d.app.request(
      BASE,
      multipartPost(requestBody(order), [{ name: 'big.log', bytes: big }], order.cookie),
    );
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({
      code: 'evidence_too_large',
      errors: [{ pointer: '/evidence/0' }],
    });
    const part = new Uint8Array(8.5 * MIB).fill(0x62);
    const total = await d.app.request(
      BASE,
      multipartPost(
        requestBody(order),
        [
          { name: 'a.log', bytes: part },
          { name: 'b.log', bytes: part },
          { name: 'c.log', bytes: part },
        ],
        order.cookie,
      ),
    );
    expect(total.status).toBe(413);
    expect(await total.json()).toMatchObject({
      code: 'evidence_too_large',
      errors: [{ pointer: '/evidence' }],
    });
    expect(await requestsOn(order)).toBe(0);
    expect(listDir(d.deps.evidenceDir)).toEqual([]);
  });

  it('refuses more than 10 files in one upload', async () => {
    const d = desk();
    const order = await seedCustomerWithOrder(d.deps);
    const files = Array.from({ length: 11 }, (_, i) => ({ name: `${i}.log`, bytes: `${i}\n` }));
    const res = await d.app.request(BASE, multipartPost(requestBody(order), files, order.cookie));
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ code: 'too_many_evidence_files' });
    expect(listDir(d.deps.evidenceDir)).toEqual([]);
  });

  it('a path-traversal name is metadata only: the bytes land in the evidence folder under a generated name', async () => {
    const d = desk();
    const order = await seedOrderWithServiceReport(d.deps);
    const created = await fileWith(d, order, [
      { name: '../../etc/passwd', bytes: 'root:x:0:0\n' },
      { name: '..\\..\\windows\\evil\u202e.log', bytes: 'two\n' },
      { name: '..', bytes: 'three\n' },
    ]);
    expect(created.evidence.map((e) => e.originalName)).toEqual(['passwd', 'evil.log', 'evidence']);
    const names = listDir(d.deps.evidenceDir);
    expect(names).toHaveLength(3);
    expect(names.every((n) => STORED_NAME.test(n))).toBe(true);
    // Nothing beside the evidence folder was written.
    const root = dirname(d.deps.evidenceDir);
    expect(listDir(root).filter((n) => n !== 'outbox')).toEqual(['evidence']);
    expect(existsSync(join(d.deps.evidenceDir, '../../etc/passwd'))).toBe(false);
    expect(existsSync(join(root, 'etc'))).toBe(false);
  });

  it('a refusal inside the transaction (payment method) removes the files already written', async () => {
    const d = desk();
    const order = await seedCustomerWithOrder(d.deps);
    const res = await d.app.request(
      BASE,
      multipartPost(
        requestBody(order, { paymentMethod: 'bank' }),
        [{ name: 'gw.log', bytes: 'timeout\n' }],
        order.cookie,
      ),
    );
    expect(res.status).toBe(422);
    expect(listDir(d.deps.evidenceDir)).toEqual([]);
  });

  it('a failed transaction leaves no file and no row behind', async () => {
    const d = desk();
    const order = await seedCustomerWithOrder(d.deps);
    const { db } = store();
    const undo = await refuseEvidenceRowsNamed(store(), 'fail-transaction.log');
    try {
      const input = parseRefundRequest(requestBody(order));
      if (!input.ok) throw new Error('fixture body is invalid');
      const files = ['first.log', 'fail-transaction.log'].map((name, i) => ({
        pointer: `/evidence/${i}`,
        file: new File([`${name}\n`], name),
      }));
      await expect(
        submitRefundRequest(
          d.deps,
          { actor: { kind: 'customer', id: order.customerId }, ip: null },
          order.customerId,
          input.value,
          files,
        ),
      ).rejects.toThrow(/evidence insert refused/);
    } finally {
      await undo();
    }
    expect(listDir(d.deps.evidenceDir)).toEqual([]);
    expect(await requestsOn(order)).toBe(0);
    const decisions = await db
      .selectFrom('decisions')
      .innerJoin('refundRequests', 'refundRequests.id', 'decisions.requestId')
      .select('decisions.id')
      .where('refundRequests.orderId', '=', order.orderId)
      .execute();
    expect(decisions).toEqual([]);
  });

  it('downloads as an attachment with a safe name, the stored type, nosniff and no-store', async () => {
    const d = desk();
    const order = await seedOrderWithServiceReport(d.deps);
    const text = '<script>alert(1)</script>\n';
    const created = await fileWith(d, order, [
      { name: 'отчёт "final".log', bytes: text, type: 'text/html' },
    ]);
    const evidence = created.evidence[0];
    if (evidence === undefined) throw new Error('no evidence');
    const path = `${BASE}/${created.request.id}/evidence/${evidence.id}`;
    for (const cookie of [order.cookie, await staffSessionCookie(d.deps, 'agent')]) {
      const res = await d.app.request(path, asCookie(cookie));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(res.headers.get('content-disposition')).toBe(
        `attachment; filename="_____ _final_.log"; filename*=UTF-8''${encodeURIComponent('отчёт "final".log')}`,
      );
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cache-control')).toBe('private, no-store');
      expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
      expect(await res.text()).toBe(text);
    }
    const list = await d.app.request(
      `${BASE}/${created.request.id}/evidence`,
      asCookie(order.cookie),
    );
    expect(await list.json()).toEqual({
      items: created.evidence.map((e) => expect.objectContaining(e)),
    });
    const missing = await d.app.request(
      `${BASE}/${created.request.id}/evidence/ev_nope`,
      asCookie(order.cookie),
    );
    expect(missing.status).toBe(404);
  });

  describe('adding evidence to a request', () => {
    it('the owner adds files (audited); at most 20 per request in total', async () => {
      const d = desk();
      const order = await seedOrderWithServiceReport(d.deps);
      const created = await fileWith(
        d,
        order,
        Array.from({ length: 10 }, (_, i) => ({ name: `${i}.log`, bytes: `${i}\n` })),
      );
      const path = `${BASE}/${created.request.id}/evidence`;
      const nine = Array.from({ length: 9 }, (_, i) => ({
        name: `more-${i}.log`,
        bytes: `m${i}\n`,
      }));
      const added = await d.app.request(path, multipartPost(undefined, nine, order.cookie));
      expect(added.status).toBe(201);
      const { evidence } = (await added.json()) as { evidence: EvidenceJson[] };
      expect(evidence).toHaveLength(9);
      const audited = await store()
        .db.selectFrom('auditLog')
        .select('entityId')
        .where('action', '=', 'evidence.added')
        .where(
          'entityId',
          'in',
          evidence.map((e) => e.id),
        )
        .execute();
      expect(audited).toHaveLength(9);
      const before = listDir(d.deps.evidenceDir);
      expect(before).toHaveLength(19);
      const two = [
        { name: 'x.log', bytes: 'x\n' },
        { name: 'y.log', bytes: 'y\n' },
      ];
      const over = await d.app.request(path, multipartPost(undefined, two, order.cookie));
      expect(over.status).toBe(422);
      expect(await over.json()).toMatchObject({ code: 'too_many_evidence_files' });
      expect(listDir(d.deps.evidenceDir)).toEqual(before);
      const last = await d.app.request(
        path,
        multipartPost(undefined, two.slice(0, 1), order.cookie),
      );
      expect(last.status).toBe(201);
      const list = await d.app.request(path, asCookie(order.cookie));
      expect(((await list.json()) as { items: unknown[] }).items).toHaveLength(20);
    });

    it('refuses on a closed request (409 with its state), without files, or as JSON', async () => {
      const d = desk();
      const order = await seedCustomerWithOrder(d.deps);
      const res = await d.app.request(BASE, jsonPost(requestBody(order), order.cookie));
      const { request } = (await res.json()) as Created;
      const path = `${BASE}/${request.id}/evidence`;
      const closed = await d.app.request(
        path,
        multipartPost(undefined, [{ name: 'late.log', bytes: 'late\n' }], order.cookie),
      );
      expect(closed.status).toBe(409);
      expect(await closed.json()).toMatchObject({
        code: 'request_state_conflict',
        state: 'denied',
      });
      expect(listDir(d.deps.evidenceDir)).toEqual([]);
      const none = await d.app.request(path, multipartPost(undefined, [], order.cookie));
      expect(none.status).toBe(400);
      const asJson = await d.app.request(path, jsonPost({}, order.cookie));
      expect(asJson.status).toBe(415);
      const staff = await staffSessionCookie(d.deps, 'admin');
      const asStaff = await d.app.request(
        path,
        multipartPost(undefined, [{ name: 'a.log', bytes: 'a\n' }], staff),
      );
      expect(asStaff.status).toBe(403);
    });
  });

  it('multipart shape errors name the part', async () => {
    const d = desk();
    const order = await seedCustomerWithOrder(d.deps);
    const form = new FormData();
    form.append('request', JSON.stringify(requestBody(order)));
    form.append('evidence', 'not a file');
    form.append('other', 'x');
    const res = await d.app.request(BASE, {
      method: 'POST',
      body: form,
      headers: { cookie: order.cookie },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ errors: [{ pointer: '/other' }] });
    const noRequest = await d.app.request(
      BASE,
      multipartPost(undefined, [{ name: 'a.log', bytes: 'a\n' }], order.cookie),
    );
    expect(await noRequest.json()).toMatchObject({ errors: [{ pointer: '/request' }] });
    const stringFile = new FormData();
    stringFile.append('request', JSON.stringify(requestBody(order)));
    stringFile.append('evidence', 'not a file');
    const res2 = await d.app.request(BASE, {
      method: 'POST',
      body: stringFile,
      headers: { cookie: order.cookie },
    });
    expect(await res2.json()).toMatchObject({ errors: [{ pointer: '/evidence/0' }] });
    expect(await requestsOn(order)).toBe(0);
  });
});
