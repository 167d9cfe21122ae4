/**
 * Evidence files: vetted by content (never by name) before anything is written; the caller
 * stores the bytes in the database with the evidence row, in the transaction that records it
 * (app/requests/evidence.ts), so a refused or failed upload leaves nothing behind.
 *
 * What is accepted:
 * - images and documents recognised by their bytes (file-type): PNG, JPEG, GIF, WebP, PDF;
 * - anything file-type does not recognise only when it is UTF-8 text without NUL bytes: logs,
 *   JSON, HAR (a `.har` must be JSON with `log.entries`). Text that starts with `#!` is a script
 *   and refused. Text is stored as `application/json` when it parses as JSON, else `text/plain`.
 * Everything else file-type recognises (ELF, PE/EXE, Mach-O, ZIP and other archives, XML,
 * audio, video, fonts, …) is refused, naming the type found.
 *
 * The original name is kept only as metadata, sanitised; each file's key (`storedName`) is 32
 * random hex characters, so no part of a client's name ever reaches a path. Earlier versions
 * wrote the bytes to files of that name in the evidence folder; those are still read
 * (`evidencePath`).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileTypeFromBuffer } from 'file-type';
import type { FieldError, Result } from '../engine/index.js';
import { randomHex } from './ids.js';

const MIB = 1024 * 1024;

export const EVIDENCE_LIMITS = {
  maxFilesPerUpload: 10,
  maxFilesPerRequest: 20,
  maxFileBytes: 10 * MIB,
  maxUploadBytes: 25 * MIB,
  maxNameChars: 255,
} as const;

/** Detected types we accept, by file-type's `mime`. */
const ACCEPTED_BINARY_TYPES: ReadonlySet<string> = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'application/pdf',
]);

export const TEXT_MEDIA_TYPE = 'text/plain; charset=utf-8';
export const JSON_MEDIA_TYPE = 'application/json';

/** Every media type a stored evidence file can have (and is served back with). */
export const EVIDENCE_MEDIA_TYPES: readonly string[] = [
  ...ACCEPTED_BINARY_TYPES,
  JSON_MEDIA_TYPE,
  TEXT_MEDIA_TYPE,
];

export type EvidenceErrorCode =
  'unsupported_evidence' | 'evidence_too_large' | 'too_many_evidence_files';

export interface EvidenceError {
  readonly code: EvidenceErrorCode;
  readonly detail: string;
  readonly errors: readonly FieldError[];
}

/**
 * An uploaded file as vetting reads it: a `File`, or anything with its name, size and bytes
 * (http/multipart.ts hands over the bytes it parsed as they are: `data`, no copy).
 */
export interface UploadedFileLike {
  readonly name: string;
  readonly size: number;
  readonly data?: Uint8Array;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** One uploaded file: where it was in the request (a JSON pointer such as `/evidence/0`). */
export interface EvidenceUpload {
  readonly pointer: string;
  readonly file: UploadedFileLike;
}

export interface VettedEvidence {
  readonly pointer: string;
  readonly originalName: string;
  readonly mediaType: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly bytes: Uint8Array;
}

const STORED_NAME = /^[0-9a-f]{32}$/;

/** A new file key: 32 random hex characters (128 bits), never from user input. */
export function newStoredName(): string {
  return randomHex(16);
}

// C0 and C1 controls, DEL, zero-width and bidirectional formatting characters, BOM.
const UNSAFE_NAME_CHARS =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * The client's file name reduced to metadata: the last path component only (both `/` and `\`
 * separate), no control or bidi characters, at most 255 characters; `evidence` when nothing
 * is left (or only `.`/`..`).
 */
export function sanitizeFileName(raw: string): string {
  const base = raw.split(/[\\/]/).pop() ?? '';
  const cleaned = base.normalize('NFC').replace(UNSAFE_NAME_CHARS, '').trim();
  const limited = [...cleaned].slice(0, EVIDENCE_LIMITS.maxNameChars).join('');
  return limited === '' || limited === '.' || limited === '..' ? 'evidence' : limited;
}

/**
 * The path of an evidence file written by an earlier version (a row without `content`); throws
 * for a name we did not generate (a bug).
 */
export function evidencePath(evidenceDir: string, storedName: string): string {
  if (!STORED_NAME.test(storedName)) throw new Error(`not a stored evidence name: ${storedName}`);
  return join(evidenceDir, storedName);
}

type Sniffed =
  | { readonly ok: true; readonly mediaType: string }
  | { readonly ok: false; readonly message: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

function isHar(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const log = (value as { log?: unknown }).log;
  return (
    log !== null && typeof log === 'object' && Array.isArray((log as { entries?: unknown }).entries)
  );
}

/** Decides what a file is from its bytes; the name only says whether it claims to be a HAR. */
export async function sniffEvidence(bytes: Uint8Array, name: string): Promise<Sniffed> {
  const detected = await fileTypeFromBuffer(bytes);
  if (detected !== undefined) {
    return ACCEPTED_BINARY_TYPES.has(detected.mime)
      ? { ok: true, mediaType: detected.mime }
      : {
          ok: false,
          message: `is ${detected.mime} (.${detected.ext}) by its content; accepted are PNG, JPEG, GIF, WebP, PDF and UTF-8 text (logs, JSON, HAR)`,
        };
  }
  if (bytes.includes(0)) {
    return { ok: false, message: 'is binary content of an unknown type (it has NUL bytes)' };
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, message: 'is binary content of an unknown type (not UTF-8 text)' };
  }
  const body = text.startsWith('\ufeff') ? text.slice(1) : text;
  if (body.startsWith('#!')) {
    return { ok: false, message: 'is an executable script (it starts with #!)' };
  }
  const claimsHar = /\.har$/i.test(name);
  let json: unknown;
  let isJson = false;
  if (/^\s*[[{]/.test(body)) {
    try {
      json = JSON.parse(body);
      isJson = true;
    } catch {
      isJson = false;
    }
  }
  if (claimsHar && !(isJson && isHar(json))) {
    return { ok: false, message: 'is named .har but is not a HAR file (JSON with log.entries)' };
  }
  return { ok: true, mediaType: isJson ? JSON_MEDIA_TYPE : TEXT_MEDIA_TYPE };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * The refusal when a request holding `alreadyStored` files cannot take `adding` more (at most
 * `maxFilesPerRequest`); undefined when it can.
 */
export function requestFull(alreadyStored: number, adding: number): EvidenceError | undefined {
  const { maxFilesPerRequest } = EVIDENCE_LIMITS;
  if (alreadyStored + adding <= maxFilesPerRequest) return undefined;
  const room = Math.max(0, maxFilesPerRequest - alreadyStored);
  return {
    code: 'too_many_evidence_files',
    detail: `A request may hold at most ${plural(maxFilesPerRequest, 'evidence file')}; it has ${alreadyStored} and this upload adds ${adding}.`,
    errors: [{ pointer: '/evidence', message: `must have at most ${room} files` }],
  };
}

/**
 * Checks an upload's files against the limits and by content. `alreadyStored` is how many
 * files the request holds before this upload. Nothing is written here.
 */
export async function vetEvidence(
  uploads: readonly EvidenceUpload[],
  alreadyStored = 0,
): Promise<Result<VettedEvidence[], EvidenceError>> {
  const { maxFilesPerUpload, maxFileBytes, maxUploadBytes } = EVIDENCE_LIMITS;
  if (uploads.length > maxFilesPerUpload) {
    return {
      ok: false,
      error: {
        code: 'too_many_evidence_files',
        detail: `An upload may carry at most ${plural(maxFilesPerUpload, 'file')}; this one has ${uploads.length}.`,
        errors: [{ pointer: '/evidence', message: `must have at most ${maxFilesPerUpload} files` }],
      },
    };
  }
  const full = requestFull(alreadyStored, uploads.length);
  if (full !== undefined) return { ok: false, error: full };
  const tooLarge = uploads.filter((u) => u.file.size > maxFileBytes);
  if (tooLarge.length > 0) {
    return {
      ok: false,
      error: {
        code: 'evidence_too_large',
        detail: `Each evidence file may be at most ${maxFileBytes} bytes (10 MiB): ${tooLarge.map((u) => `"${sanitizeFileName(u.file.name)}" has ${u.file.size}`).join(', ')}.`,
        errors: tooLarge.map((u) => ({
          pointer: u.pointer,
          message: `is ${u.file.size} bytes; at most ${maxFileBytes} bytes are accepted`,
        })),
      },
    };
  }
  const totalBytes = uploads.reduce((sum, u) => sum + u.file.size, 0);
  if (totalBytes > maxUploadBytes) {
    return {
      ok: false,
      error: {
        code: 'evidence_too_large',
        detail: `The files of one upload may total at most ${maxUploadBytes} bytes (25 MiB); these total ${totalBytes}.`,
        errors: [
          {
            pointer: '/evidence',
            message: `total ${totalBytes} bytes; at most ${maxUploadBytes} bytes are accepted`,
          },
        ],
      },
    };
  }
  const vetted: VettedEvidence[] = [];
  const refused: FieldError[] = [];
  for (const upload of uploads) {
    const originalName = sanitizeFileName(upload.file.name);
    const bytes = upload.file.data ?? new Uint8Array(await upload.file.arrayBuffer());
    if (bytes.length === 0) {
      refused.push({ pointer: upload.pointer, message: `"${originalName}" is empty` });
      continue;
    }
    const sniffed = await sniffEvidence(bytes, originalName);
    if (!sniffed.ok) {
      refused.push({ pointer: upload.pointer, message: `"${originalName}" ${sniffed.message}` });
      continue;
    }
    vetted.push({
      pointer: upload.pointer,
      originalName,
      mediaType: sniffed.mediaType,
      sizeBytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      bytes,
    });
  }
  if (refused.length > 0) {
    return {
      ok: false,
      error: {
        code: 'unsupported_evidence',
        detail: `${plural(refused.length, 'evidence file')} refused: ${refused.map((e) => `${e.pointer} ${e.message}`).join('; ')}.`,
        errors: refused,
      },
    };
  }
  return { ok: true, value: vetted };
}
