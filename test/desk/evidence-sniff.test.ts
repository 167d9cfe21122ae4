/** What an evidence file is, from its bytes (pure); names sanitised to metadata. */
import { describe, expect, it } from 'vitest';
import {
  EVIDENCE_LIMITS,
  sanitizeFileName,
  sniffEvidence,
  vetEvidence,
} from '../../src/app/evidence.js';
import { ELF_BYTES, HAR_TEXT, PNG_BYTES } from '../support/intake.js';

const text = (value: string): Uint8Array => new TextEncoder().encode(value);
const bytes = (...values: number[]): Uint8Array =>
  Uint8Array.from([...values, ...new Array<number>(300).fill(0)]);

describe('sniffEvidence', () => {
  it.each([
    ['PNG', PNG_BYTES, 'image.txt', 'image/png'],
    ['JPEG', bytes(0xff, 0xd8, 0xff, 0xe0), 'a.log', 'image/jpeg'],
    ['GIF', text('GIF89a\x01\x00\x01\x00'), 'a.log', 'image/gif'],
    ['PDF', text('%PDF-1.7\n1 0 obj\n'), 'a.log', 'application/pdf'],
    ['a log', text('2026-03-03 ERR timeout\n'), 'a.png', 'text/plain; charset=utf-8'],
    ['UTF-8 with a BOM', text('\ufeffпривет\n'), 'a.log', 'text/plain; charset=utf-8'],
    ['JSON', text(' {"a": [1, 2]}\n'), 'a.txt', 'application/json'],
    ['a HAR', text(HAR_TEXT), 'session.HAR', 'application/json'],
    ['text that only looks like JSON', text('{ not json'), 'a.log', 'text/plain; charset=utf-8'],
  ])('accepts %s', async (_what, content, name, mediaType) => {
    expect(await sniffEvidence(content, name)).toEqual({ ok: true, mediaType });
  });

  it.each([
    ['ELF', ELF_BYTES, 'log.txt', /application\/x-elf/],
    ['PE', bytes(0x4d, 0x5a), 'log.txt', /application\/x-msdownload/],
    ['Mach-O', bytes(0xcf, 0xfa, 0xed, 0xfe), 'log.txt', /application\/x-mach-binary/],
    ['ZIP', bytes(0x50, 0x4b, 0x03, 0x04), 'logs.txt', /application\/zip/],
    ['XML', text('<?xml version="1.0"?><a/>'), 'a.log', /application\/xml/],
    ['a shell script', text('#!/bin/sh\nrm -rf /\n'), 'run.log', /script/],
    ['NUL bytes', text('abc\u0000def'), 'a.log', /NUL/],
    ['invalid UTF-8', Uint8Array.from([0x61, 0xc3, 0x28, 0x62]), 'a.log', /not UTF-8/],
    ['a .har that is not JSON', text('GET / 504'), 'trace.har', /not a HAR/],
    ['a .har without log.entries', text('{"log":{}}'), 'trace.har', /not a HAR/],
  ])('refuses %s', async (_what, content, name, message) => {
    const result = await sniffEvidence(content, name);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });
});

describe('sanitizeFileName', () => {
  it.each([
    ['../../etc/passwd', 'passwd'],
    ['..\\..\\Windows\\system32\\evil.dll', 'evil.dll'],
    ['C:\\Users\\ada\\Desktop\\trace.har', 'trace.har'],
    ['/', 'evidence'],
    ['..', 'evidence'],
    ['.', 'evidence'],
    ['', 'evidence'],
    ['a\u0000b\u001fc\u007fd\u009f.log', 'abcd.log'],
    ['invoice\u202egpj.exe', 'invoicegpj.exe'],
    ['  spaced.log  ', 'spaced.log'],
    ['отчёт.log', 'отчёт.log'],
  ])('%j → %j', (raw, safe) => {
    expect(sanitizeFileName(raw)).toBe(safe);
  });

  it('keeps at most 255 characters', () => {
    expect([...sanitizeFileName('é'.repeat(300))]).toHaveLength(EVIDENCE_LIMITS.maxNameChars);
  });
});

describe('vetEvidence', () => {
  const upload = (name: string, content: string | Uint8Array, i = 0) => ({
    pointer: `/evidence/${i}`,
    file: new File([typeof content === 'string' ? text(content) : content], name),
  });

  it('reports every refused file of an upload at once', async () => {
    const result = await vetEvidence([
      upload('ok.log', 'fine\n', 0),
      upload('log.txt', ELF_BYTES, 1),
      upload('empty.log', '', 2),
    ]);
    expect(result).toEqual({
      ok: false,
      error: {
        code: 'unsupported_evidence',
        detail: expect.stringContaining('2 evidence files refused') as string,
        errors: [
          {
            pointer: '/evidence/1',
            message: expect.stringContaining('application/x-elf') as string,
          },
          { pointer: '/evidence/2', message: '"empty.log" is empty' },
        ],
      },
    });
  });

  it('counts the files a request already holds', async () => {
    const result = await vetEvidence([upload('a.log', 'a\n'), upload('b.log', 'b\n', 1)], 19);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('too_many_evidence_files');
    expect((await vetEvidence([upload('a.log', 'a\n')], 19)).ok).toBe(true);
  });
});
