/**
 * Request bodies as every route reads them: which media types count as JSON or as a multipart
 * form, the body-size limit (413 before anything parses), and JSON parsing that answers bad
 * input with a problem (415 `unsupported_media_type`, 400 `invalid_json`), never a stack trace.
 */
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

/** Refuses a body over `maxBytes` with 413 `payload_too_large`, before anything reads it. */
export function limitBody(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () =>
      problemResponse(
        problem('payload_too_large', `The request body must be at most ${maxBytes} bytes.`),
      ),
  });
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
