/**
 * Request bodies as every route reads them: which media types count as JSON or as a multipart
 * form, the body-size limit (413 before anything parses), and JSON parsing that answers bad
 * input with a problem (415 `unsupported_media_type`, 400 `invalid_json`), never a stack trace.
 */
import { Buffer } from 'node:buffer';
import { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ProblemException } from './guards.js';
import { problem, problemResponse } from './problems.js';

export const JSON_MEDIA_TYPE = 'application/json';
export const MULTIPART_MEDIA_TYPE = 'multipart/form-data';

const JSON_SUFFIX_TYPE = /^application\/[a-z0-9!#$&^_.+-]+\+json$/;

/** The `type/subtype` of a Content-Type header, lower case; '' when absent. */
export function mediaTypeEssence(header: string | undefined): string {
  return (header ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
}

/** `application/json` or `application/*+json`, in UTF-8 (the only charset JSON allows). */
export function isJsonMediaType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const [essence = '', ...params] = header.split(';').map((part) => part.trim().toLowerCase());
  if (essence !== JSON_MEDIA_TYPE && !JSON_SUFFIX_TYPE.test(essence)) return false;
  return params.every((param) => {
    const [name, value = ''] = param.split('=', 2).map((part) => part.trim());
    return name !== 'charset' || ['utf-8', '"utf-8"', 'utf8'].includes(value);
  });
}

export function isMultipartMediaType(header: string | undefined): boolean {
  return mediaTypeEssence(header) === MULTIPART_MEDIA_TYPE;
}

function tooLarge(maxBytes: number): Response {
  return problemResponse(
    problem('payload_too_large', `The request body must be at most ${maxBytes} bytes.`),
  );
}

/**
 * Refuses a body over `maxBytes` with 413 `payload_too_large`, before anything reads it. A body
 * with a Content-Length is judged by the header (Node's HTTP parser never delivers more than it
 * declares), without touching the body; a chunked one is counted as it is read (hono's
 * bodyLimit).
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
  const chunked = bodyLimit({ maxSize: maxBytes, onError: () => tooLarge(maxBytes) });
  return async (c, next) => {
    const length = c.req.header('content-length');
    if (length === undefined || c.req.header('transfer-encoding') !== undefined) {
      return chunked(c, next);
    }
    if (!/^\d+$/.test(length.trim()) || Number(length) > maxBytes) return tooLarge(maxBytes);
    await next();
  };
}

/** Node's request behind a Hono context served by @hono/node-server, when nothing has read it. */
function unreadIncoming(c: Context): IncomingMessage | undefined {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
  if (!(incoming instanceof IncomingMessage)) return undefined;
  return incoming.readableFlowing === null && !incoming.readableDidRead ? incoming : undefined;
}

/**
 * The whole request body, at most `maxBytes` (else 413 `payload_too_large`). Served by Node, it
 * is read from Node's request directly, without the Fetch API Request and web streams that
 * `c.req.arrayBuffer()` would build around it; otherwise (in-process requests, or a body already
 * read by a middleware such as idempotency) from the Request.
 */
export async function readBodyBytes(c: Context, maxBytes: number): Promise<Buffer> {
  const incoming = unreadIncoming(c);
  if (incoming === undefined) {
    const bytes = Buffer.from(await c.req.arrayBuffer());
    if (bytes.length > maxBytes)
      throw new ProblemException(
        'payload_too_large',
        `The request body must be at most ${maxBytes} bytes.`,
      );
    return bytes;
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      throw new ProblemException(
        'payload_too_large',
        `The request body must be at most ${maxBytes} bytes.`,
      );
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total);
}

/** `JSON.parse`, or 400 `invalid_json` naming `what` ("The request body is not valid JSON …"). */
export function parseJson(text: string, what = 'request body'): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const reason = error instanceof SyntaxError ? ` (${error.message})` : '';
    throw new ProblemException('invalid_json', `The ${what} is not valid JSON${reason}.`);
  }
}

/** Throws 415 `unsupported_media_type`: the body is not what the route reads (`expected`). */
export function unsupportedMediaType(expected: string, header: string | undefined): never {
  throw new ProblemException(
    'unsupported_media_type',
    `The request body must be ${expected}; got ${header ?? 'no content type'}.`,
  );
}

/** The JSON body: 415 unless the content type is JSON, 400 `invalid_json` unless it parses. */
export async function readJsonBody(c: Context): Promise<unknown> {
  const header = c.req.header('content-type');
  if (!isJsonMediaType(header)) unsupportedMediaType(JSON_MEDIA_TYPE, header);
  return parseJson(await c.req.text());
}
