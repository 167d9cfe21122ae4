/**
 * multipart/form-data (RFC 7578) parsed from a body already read into memory (routes limit its
 * size before reading). The desk reads small forms (a JSON part and a few files) on its busiest
 * route; this parser finds the delimiters with `Buffer.indexOf` and copies each part once, where
 * the Fetch API's `formData()` (undici) streams the body through web streams first.
 *
 * What is understood, as browsers and `fetch` send it: a preamble and an epilogue (ignored),
 * transport padding after a delimiter, parts with `Content-Disposition: form-data; name="…"`
 * (a part with a `filename` or `filename*` parameter is a file, else a UTF-8 text field), the
 * HTML form encoding of `"`, CR and LF in quoted names as %22, %0D, %0A (a backslash is a
 * character like any other, as browsers send it), and an optional
 * `Content-Type` per part (a file's type). Anything else is malformed: a missing or unclosed
 * delimiter, a part without a name, a part's headers over 16 KiB, more than `MAX_PARTS` parts.
 */
import { Buffer } from 'node:buffer';

export const MAX_PARTS = 64;
const MAX_PART_HEADER_BYTES = 16 * 1024;
const HEADER_END = Buffer.from('\r\n\r\n');
const CR = 13;
const LF = 10;
const DASH = 45;

/**
 * A file part: its name, declared type and bytes (a view into the parsed body, not copied). It
 * reads like a `File` where the desk reads files (`name`, `size`, `type`, `arrayBuffer()`,
 * `text()`); building a real `File` costs a copy and about 60 µs each on Node 20.
 */
export class UploadedFile {
  constructor(
    readonly name: string,
    readonly type: string,
    readonly data: Uint8Array,
  ) {}

  get size(): number {
    return this.data.byteLength;
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    const { buffer, byteOffset, byteLength } = this.data;
    return Promise.resolve(buffer.slice(byteOffset, byteOffset + byteLength) as ArrayBuffer);
  }

  text(): Promise<string> {
    const { buffer, byteOffset, byteLength } = this.data;
    return Promise.resolve(Buffer.from(buffer, byteOffset, byteLength).toString('utf8'));
  }
}

export type FormParts = Map<string, (string | UploadedFile)[]>;

/** The boundary parameter of a multipart Content-Type (1–70 characters), or undefined. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  const match = /;\s*boundary\s*=\s*(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType ?? '');
  return match?.[1] ?? match?.[2];
}

interface Disposition {
  readonly name: string;
  readonly filename: string | undefined;
}

function formDecode(text: string): string {
  return text.replace(/%(0A|0D|22)/gi, (code) => String.fromCharCode(parseInt(code.slice(1), 16)));
}

function extendedValue(value: string): string | undefined {
  // RFC 8187: charset'language'percent-encoded; only UTF-8 is worth supporting.
  const match = /^utf-8'[^']*'(.*)$/i.exec(value);
  if (match === null) return undefined;
  try {
    return decodeURIComponent(match[1] ?? '');
  } catch {
    return undefined;
  }
}

/** `form-data; name="…"; filename="…"`, or undefined when it is not a named form-data part. */
function parseDisposition(value: string): Disposition | undefined {
  const semicolon = value.indexOf(';');
  const type = (semicolon < 0 ? value : value.slice(0, semicolon)).trim().toLowerCase();
  if (type !== 'form-data' || semicolon < 0) return undefined;
  const params = new Map<string, string>();
  // Quoted values end at the next quote: browsers send backslashes as they are (a Windows path
  // in a file name) and encode quotes as %22, so a backslash escapes nothing.
  const param = /;\s*([^\s=;]+)\s*=\s*(?:"([^"]*)"|([^;]*))/g;
  for (let match = param.exec(value); match !== null; match = param.exec(value)) {
    const key = (match[1] ?? '').toLowerCase();
    const quoted = match[2];
    const raw = quoted ?? (match[3] ?? '').trim();
    if (!params.has(key)) params.set(key, raw);
  }
  const name = params.get('name');
  if (name === undefined) return undefined;
  const extended = params.get('filename*');
  const plain = params.get('filename');
  const filename =
    extended !== undefined
      ? (extendedValue(extended) ?? (plain === undefined ? undefined : formDecode(plain)))
      : plain === undefined
        ? undefined
        : formDecode(plain);
  return { name: formDecode(name), filename };
}

/** The parts by name, in order; undefined when the body is malformed. */
export function parseMultipart(body: Buffer, boundary: string): FormParts | undefined {
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  const nextDelimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
  let at = body.indexOf(delimiter);
  // The first delimiter starts the body or a line of its own (after a preamble).
  if (at < 0 || (at > 0 && (at < 2 || body[at - 2] !== CR || body[at - 1] !== LF))) {
    return undefined;
  }
  const parts: FormParts = new Map();
  let count = 0;
  for (;;) {
    let cursor = at + delimiter.length;
    if (body[cursor] === DASH && body[cursor + 1] === DASH) return parts; // the close delimiter
    while (body[cursor] === 0x20 || body[cursor] === 0x09) cursor += 1; // transport padding
    if (body[cursor] !== CR || body[cursor + 1] !== LF) return undefined;
    cursor += 2;
    count += 1;
    if (count > MAX_PARTS) return undefined;

    // Headers end at an empty line; a part without headers starts with that empty line.
    const headerEnd = body.indexOf(HEADER_END, cursor - 2);
    if (headerEnd < 0 || headerEnd - cursor > MAX_PART_HEADER_BYTES) return undefined;
    let disposition: Disposition | undefined;
    let contentType = '';
    if (headerEnd > cursor) {
      for (const line of body.toString('utf8', cursor, headerEnd).split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon <= 0) return undefined;
        const header = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        if (header === 'content-disposition') disposition = parseDisposition(value);
        else if (header === 'content-type') contentType = value;
      }
    }
    if (disposition === undefined) return undefined;

    const contentStart = headerEnd + HEADER_END.length;
    const contentEnd = body.indexOf(nextDelimiter, contentStart);
    if (contentEnd < 0) return undefined;
    const content = body.subarray(contentStart, contentEnd);
    const value =
      disposition.filename === undefined
        ? content.toString('utf8')
        : new UploadedFile(disposition.filename, contentType, content);
    const list = parts.get(disposition.name);
    if (list === undefined) parts.set(disposition.name, [value]);
    else list.push(value);
    at = contentEnd + 2;
  }
}
