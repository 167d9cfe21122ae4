/**
 * Evidence files over HTTP, on SQLite and PostgreSQL: content sniffed (a renamed executable is
 * refused), size and count limits, the bytes stored in the database with the row (never a
 * file), nothing partial after a refusal or a failed transaction, downloads as attachments that
 * give back the exact bytes, rows of earlier versions served from their files, and lists that
 * never load the bytes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sql, type KyselyPlugin } from 'kysely';
import { describe, expect, it } from 'vitest';
import { listEvidence } from '../../src/app/requests/evidence.js';
import { parseRefundRequest } from '../../src/app/requests/input.js';
import { submitRefundRequest } from '../../src/app/requests/intake.js';
import { EVIDENCE_METADATA_COLUMNS } from '../../src/store/schema.js';
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
  seedLegacyEvidence,
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

/** A valid PNG followed by `extraBytes` random bytes (every byte value, NULs included). */
function pngWithTrailer(extraBytes: number): Uint8Array {
  return Uint8Array.from(Buffer.concat([PNG_BYTES, randomBytes(extraBytes)]));
}

/** A plugin that records the column names of every row a query returns. */
function recordingRowKeys(): { plugin: KyselyPlugin; keys: string[][] } {
  const keys: string[][] = [];
  const plugin: KyselyPlugin = {
    transformQuery: (args) => args.node,
    transformResult: (args) => {
      for (const row of args.result.rows) keys.push(Object.keys(row));
      return Promise.resolve(args.result);
    },
  };
  return { plugin, keys };
}

/** A 200 download served as an attachment: type, name, length, never sniffed or cached. */
function expectAttachment(
  res: Response,
  expected: {
    readonly mediaType: string;
    readonly disposition: string;
    readonly sizeBytes: number;
  },
): void {
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe(expected.mediaType);
  expect(res.headers.get('content-disposition')).toBe(expected.disposition);
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('cache-control')).toBe('private, no-store');
  expect(res.headers.get('content-length')).toBe(String(expected.sizeBytes));
}

describeEachEngine('evidence', (store: () => TestStore) => {
  const { desk, requestsOn, evidenceOn } = useFreshDesks(store);

  async function fileWith(d: TestDesk, order: SeededOrder, files: FilePart[]): Promise<Created> {
    const res = await d.app.request(BASE, multipartPost(requestBody(order), files, order.cookie));
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as Created;
  }

  /** Evidence rows anywhere in the store whose bytes hash to `digest`. */
  async function rowsWithSha256(digest: string): Promise<number> {
    const rows = await store()
      .db.selectFrom('evidence')
      .select('id')
      .where('sha256', '=', digest)
      .execute();
    return rows.length;
  }

  async function download(d: TestDesk, requestId: string, evidenceId: string, cookie: string) {
    return d.app.request(`${BASE}/${requestId}/evidence/${evidenceId}`, asCookie(cookie));
  }

  it('adds content as the last column of evidence: BLOB on SQLite, bytea on PostgreSQL', async () => {
    const { db, engine } = store();
    const schema =
      engine === 'postgres'
        ? (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s
        : undefined;
    const table = (await db.introspection.getTables()).find(
      (t) => t.name === 'evidence' && t.schema === schema,
    );
    const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    expect(table?.columns.map((c) => c.name)).toEqual([
      ...EVIDENCE_METADATA_COLUMNS.map(snake),
      'content',
    ]);
    const content = table?.columns.at(-1);
    expect(content?.dataType.toLowerCase()).toBe(engine === 'postgres' ? 'bytea' : 'blob');
    expect(content?.isNullable).toBe(true);
  });

  it('files a request with a screenshot, a log and a HAR: typed by content, bytes in the rows under generated keys, no file', async () => {
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
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => STORED_NAME.test(r.storedName))).toBe(true);
    expect(new Set(rows.map((r) => r.storedName)).size).toBe(3);
    for (const row of rows) {
      expect(Buffer.isBuffer(row.content)).toBe(true);
      expect(row.content?.byteLength).toBe(row.sizeBytes);
      expect(sha256(row.content ?? '')).toBe(row.sha256);
      expect(row.uploadedBy).toBe(`customer:${order.customerId}`);
    }
    expect(listDir(d.deps.evidenceDir)).toEqual([]);
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
    expect(await rowsWithSha256(sha256(ELF_BYTES))).toBe(0);
    expect(await rowsWithSha256(sha256('ok\n'))).toBe(0);
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
    expect(await rowsWithSha256(sha256(big))).toBe(0);
    expect(await rowsWithSha256(sha256(part))).toBe(0);
    expect(listDir(d.deps.evidenceDir)).toEqual([]);
  });

  it('refuses more than 10 files in one upload', async () => {
    const d = desk();
    const order = await seedCustomerWithOrder(d.deps);
    const files = Array.from({ length: 11 }, (_, i) => ({ name: `${i}.log`, bytes: `${i}\n` }));
    const res = await d.app.request(BASE, multipartPost(requestBody(order), files, order.cookie));
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ code: 'too_many_evidence_files' });
    expect(await requestsOn(order)).toBe(0);
    expect(listDir(d.deps.evidenceDir)).toEqual([]);
  });

  it('a path-traversal name is metadata only: the bytes go to the database under a generated key, no file is written', async () => {
    const d = desk();
    const order = await seedOrderWithServiceReport(d.deps);
    const created = await fileWith(d, order, [
      { name: '../../etc/passwd', bytes: 'root:x:0:0\n' },
      { name: '..\\..\\windows\\evil\u202e.log', bytes: 'two\n' },
      { name: '..', bytes: 'three\n' },
    ]);
    expect(created.evidence.map((e) => e.originalName)).toEqual(['passwd', 'evil.log', 'evidence']);
    const rows = await store()
      .db.selectFrom('evidence')
      .select(['storedName', 'content'])
      .where('requestId', '=', created.request.id)
      .execute();
    expect(rows.every((r) => STORED_NAME.test(r.storedName))).toBe(true);
    expect(rows.map((r) => r.content?.toString('utf8')).sort()).toEqual([
      'root:x:0:0\n',
      'three\n',
      'two\n',
    ]);
    // Nothing was written beside the outbox: no evidence folder, no escaped path.
    const root = dirname(d.deps.evidenceDir);
    expect(listDir(root).filter((n) => n !== 'outbox')).toEqual([]);
    expect(existsSync(join(d.deps.evidenceDir, '../../etc/passwd'))).toBe(false);
    expect(existsSync(join(root, 'etc'))).toBe(false);
  });

  it('a refusal inside the transaction, after vetting (payment method), leaves no evidence row', async () => {
    const d = desk();
    const order = await seedCustomerWithOrder(d.deps);
    const log = `timeout ${order.orderId}\n`;
    const res = await d.app.request(
      BASE,
      multipartPost(
        requestBody(order, { paymentMethod: 'bank' }),
        [{ name: 'gw.log', bytes: log }],
        order.cookie,
      ),
    );
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ code: 'payment_method_mismatch' });
    expect(await requestsOn(order)).toBe(0);
    expect(await rowsWithSha256(sha256(log))).toBe(0);
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
        file: new File([`${name} ${order.orderId}\n`], name),
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
    expect(await rowsWithSha256(sha256(`first.log ${order.orderId}\n`))).toBe(0);
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
      expectAttachment(res, {
        mediaType: 'text/plain; charset=utf-8',
        disposition: `attachment; filename="_____ _final_.log"; filename*=UTF-8''${encodeURIComponent('отчёт "final".log')}`,
        sizeBytes: Buffer.byteLength(text),
      });
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

  it('gives back the exact bytes: a PNG and a 1.5 MiB binary file', async () => {
    const d = desk();
    const order = await seedOrderWithServiceReport(d.deps);
    const big = pngWithTrailer(1.5 * MIB);
    const created = await fileWith(d, order, [
      { name: 'pixel.png', bytes: PNG_BYTES },
      { name: 'big.png', bytes: big },
    ]);
    expect(created.evidence.map((e) => [e.mediaType, e.sizeBytes])).toEqual([
      ['image/png', PNG_BYTES.length],
      ['image/png', big.length],
    ]);
    for (const [index, bytes] of [PNG_BYTES, big].entries()) {
      const evidence = created.evidence[index];
      if (evidence === undefined) throw new Error('no evidence');
      const res = await download(d, created.request.id, evidence.id, order.cookie);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(res.headers.get('content-length')).toBe(String(bytes.length));
      const got = new Uint8Array(await res.arrayBuffer());
      expect(got.length).toBe(bytes.length);
      expect(Buffer.compare(got, bytes)).toBe(0);
      const head = await d.app.request(`${BASE}/${created.request.id}/evidence/${evidence.id}`, {
        method: 'HEAD',
        ...asCookie(order.cookie),
      });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(bytes.length));
    }
  });

  it('serves a row of an earlier version (no content) from its file; 410 evidence_missing when the file is gone', async () => {
    const d = desk();
    const order = await seedOrderWithServiceReport(d.deps);
    const created = await fileWith(d, order, [{ name: 'new.log', bytes: 'new\n' }]);
    const requestId = created.request.id;
    const legacyBytes = pngWithTrailer(4096);
    const legacyId = await seedLegacyEvidence(d.deps, requestId, {
      name: 'old "shot".png',
      mediaType: 'image/png',
      bytes: legacyBytes,
    });
    const goneId = await seedLegacyEvidence(d.deps, requestId, {
      name: 'gone.log',
      mediaType: 'text/plain; charset=utf-8',
    });
    const res = await download(d, requestId, legacyId, order.cookie);
    expectAttachment(res, {
      mediaType: 'image/png',
      disposition: `attachment; filename="old _shot_.png"; filename*=UTF-8''${encodeURIComponent('old "shot".png')}`,
      sizeBytes: legacyBytes.length,
    });
    expect(Buffer.compare(new Uint8Array(await res.arrayBuffer()), legacyBytes)).toBe(0);
    const gone = await download(d, requestId, goneId, order.cookie);
    expect(gone.status).toBe(410);
    expect(gone.headers.get('content-type')).toBe('application/problem+json');
    expect(await gone.json()).toMatchObject({ code: 'evidence_missing' });
    // Both are listed with the new one.
    const list = await d.app.request(`${BASE}/${requestId}/evidence`, asCookie(order.cookie));
    const { items } = (await list.json()) as { items: EvidenceJson[] };
    expect(items.map((e) => e.id).sort()).toEqual(
      [created.evidence[0]?.id, legacyId, goneId].sort(),
    );
  });

  it('lists evidence without loading the bytes', async () => {
    const d = desk();
    const order = await seedOrderWithServiceReport(d.deps);
    const created = await fileWith(d, order, [
      { name: 'a.png', bytes: PNG_BYTES },
      { name: 'b.log', bytes: 'b\n' },
    ]);
    const { plugin, keys } = recordingRowKeys();
    const listed = await listEvidence(
      store().db.withPlugin(plugin),
      { kind: 'customer', customerId: order.customerId },
      created.request.id,
    );
    if (!listed.ok) throw new Error(listed.error.detail);
    expect(listed.value.map((e) => e.id).sort()).toEqual(created.evidence.map((e) => e.id).sort());
    // The evidence rows came back with their metadata, and no row of any query had the bytes.
    const evidenceRows = keys.filter((k) => k.includes('storedName') || k.includes('stored_name'));
    expect(evidenceRows).toHaveLength(2);
    expect(keys.flat()).not.toContain('content');
    for (const view of listed.value) expect(Object.keys(view)).not.toContain('content');
    const list = await d.app.request(
      `${BASE}/${created.request.id}/evidence`,
      asCookie(order.cookie),
    );
    expect(await list.text()).not.toContain('content');
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
      const added0 = evidence[0];
      if (added0 === undefined) throw new Error('no evidence');
      const got = await download(d, created.request.id, added0.id, order.cookie);
      expect(await got.text()).toBe('m0\n');
      const before = await evidenceOn(order);
      expect(before.rows).toBe(19);
      const two = [
        { name: 'x.log', bytes: 'x\n' },
        { name: 'y.log', bytes: 'y\n' },
      ];
      const over = await d.app.request(path, multipartPost(undefined, two, order.cookie));
      expect(over.status).toBe(422);
      expect(await over.json()).toMatchObject({ code: 'too_many_evidence_files' });
      expect(await evidenceOn(order)).toEqual(before);
      expect(listDir(d.deps.evidenceDir)).toEqual([]);
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
      expect(await evidenceOn(order)).toEqual({ rows: 0, contentBytes: 0 });
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
