/**
 * The multipart/form-data parser (http/multipart.ts) against bodies as `fetch` encodes a FormData
 * and as hand-written clients send them, malformed bodies refused; and reading a body straight
 * from Node's request behind a real server (http/media.ts `readBodyBytes`, `limitBody`).
 */
import { Buffer } from 'node:buffer';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProblemException } from '../../src/http/guards.js';
import { limitBody, readBodyBytes } from '../../src/http/media.js';
import {
  MAX_PARTS,
  multipartBoundary,
  parseMultipart,
  UploadedFile,
} from '../../src/http/multipart.js';

/** A FormData encoded as fetch sends it: its bytes and boundary. */
async function encoded(form: FormData): Promise<{ body: Buffer; boundary: string }> {
  const response = new Response(form);
  const boundary = multipartBoundary(response.headers.get('content-type') ?? '');
  if (boundary === undefined) throw new Error('no boundary');
  return { body: Buffer.from(await response.arrayBuffer()), boundary };
}

function raw(text: string): Buffer {
  return Buffer.from(text.replace(/\n/g, '\r\n'), 'utf8');
}

describe('parseMultipart', () => {
  it('reads what fetch encodes: fields, files with their names and bytes, repeated names', async () => {
    const form = new FormData();
    form.append('request', '{"orderId":"ord_1","note":"été"}');
    form.append('evidence', new File([Buffer.from([0, 1, 2, 255])], 'a.bin', { type: 'x/y' }));
    form.append('evidence', new File(['line\r\n--not a boundary\r\n'], 'C:\\logs\\gw "1".log'));
    form.append('evidence', new File([], ''));
    const { body, boundary } = await encoded(form);
    const parts = parseMultipart(body, boundary);
    expect([...(parts?.keys() ?? [])]).toEqual(['request', 'evidence']);
    expect(parts?.get('request')).toEqual(['{"orderId":"ord_1","note":"été"}']);
    const files = parts?.get('evidence') as UploadedFile[];
    expect(files.slice(0, 2).map((f) => [f.name, f.size])).toEqual([
      ['a.bin', 4],
      ['C:\\logs\\gw "1".log', 24],
    ]);
    // fetch sends a nameless file without a filename: a text field, as undici's parser reads it.
    expect(files[2]).toBe('');
    expect(files[0]?.type).toBe('x/y');
    expect([...new Uint8Array(await (files[0] as UploadedFile).arrayBuffer())]).toEqual([
      0, 1, 2, 255,
    ]);
    expect(await files[1]?.text()).toBe('line\r\n--not a boundary\r\n');
  });

  it('takes a preamble, an epilogue, transport padding, filename* and quoted boundaries', () => {
    const body = raw(
      [
        'preamble to ignore',
        '--b0 \t',
        'Content-Disposition: form-data; name="f"; filename="fallback.txt"; filename*=UTF-8\'\'%E2%82%AC.txt',
        'Content-Type: text/plain',
        '',
        'euro',
        '--b0',
        'content-disposition: FORM-DATA; name=plain',
        '',
        'v',
        '--b0--',
        'epilogue to ignore',
      ].join('\n'),
    );
    expect(multipartBoundary('multipart/form-data; charset=utf-8; boundary="b0"')).toBe('b0');
    const parts = parseMultipart(body, 'b0');
    const [file] = parts?.get('f') ?? [];
    expect(file).toBeInstanceOf(UploadedFile);
    expect((file as UploadedFile).name).toBe('€.txt');
    expect(parts?.get('plain')).toEqual(['v']);
  });

  it('refuses malformed bodies', () => {
    const cases = [
      'no delimiter at all',
      '--b0\nContent-Disposition: form-data; name="a"\n\nunclosed',
      '--b0\nContent-Disposition: form-data\n\nno name\n--b0--',
      '--b0\nContent-Disposition: attachment; name="a"\n\nnot form-data\n--b0--',
      '--b0\nContent-Type: text/plain\n\nno disposition\n--b0--',
      '--b0\nContent-Disposition: form-data; name="a"\nbroken header line\n\nx\n--b0--',
      'x--b0\nContent-Disposition: form-data; name="a"\n\ndelimiter not on its own line\n--b0--',
      '--b0garbage\nContent-Disposition: form-data; name="a"\n\nx\n--b0--',
    ];
    for (const text of cases) expect(parseMultipart(raw(text), 'b0'), text).toBeUndefined();
    const many = Array.from(
      { length: MAX_PARTS + 1 },
      (_, i) => `--b0\nContent-Disposition: form-data; name="p${i}"\n\nx\n`,
    ).join('');
    expect(parseMultipart(raw(`${many}--b0--`), 'b0')).toBeUndefined();
    expect(multipartBoundary('multipart/form-data')).toBeUndefined();
    expect(multipartBoundary(undefined)).toBeUndefined();
  });
});

describe('request bodies behind a real server', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    const app = new Hono();
    app.post('/echo', limitBody(64), async (c) => {
      try {
        const bytes = await readBodyBytes(c, 64);
        return c.json({ length: bytes.length, text: bytes.toString('utf8') });
      } catch (error) {
        if (error instanceof ProblemException) return c.json({ code: error.problem.code }, 413);
        throw error;
      }
    });
    server = createAdaptorServer({ fetch: app.fetch }) as Server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('reads the body from Node’s request, whole, in one or many chunks', async () => {
    const res = await fetch(`${base}/echo`, { method: 'POST', body: 'x'.repeat(64) });
    expect(await res.json()).toEqual({ length: 64, text: 'x'.repeat(64) });
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of ['ab', 'cd', 'é']) controller.enqueue(Buffer.from(part));
        controller.close();
      },
    });
    const streamed = await fetch(`${base}/echo`, {
      method: 'POST',
      body: chunked,
      duplex: 'half',
    } as RequestInit);
    expect(await streamed.json()).toEqual({ length: 6, text: 'abcdé' });
  });

  it('refuses a body over the limit: by its Content-Length, or as it streams in', async () => {
    const declared = await fetch(`${base}/echo`, { method: 'POST', body: 'x'.repeat(65) });
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as { code: string }).code).toBe('payload_too_large');
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 5; i += 1) controller.enqueue(Buffer.from('x'.repeat(20)));
        controller.close();
      },
    });
    const streamed = await fetch(`${base}/echo`, {
      method: 'POST',
      body: chunked,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
  });
});
