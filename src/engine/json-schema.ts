/** Ajv's validation errors (draft 2020-12) turned into one error per named field. */
import type { ErrorObject } from 'ajv/dist/2020.js';
import type { FieldError } from './types.js';

const INSTANT_MESSAGE =
  'must be an RFC 3339 instant with an explicit offset (Z or ±hh:mm) and at most millisecond precision';

function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

function describe(error: ErrorObject, nullable: boolean): FieldError {
  const path = error.instancePath;
  const params = error.params as Record<string, unknown>;
  if (error.schemaPath.includes('/$defs/instant')) {
    return { pointer: path, message: nullable ? `${INSTANT_MESSAGE}, or null` : INSTANT_MESSAGE };
  }
  switch (error.keyword) {
    case 'required':
      return {
        pointer: `${path}/${escapePointerToken(String(params['missingProperty']))}`,
        message: 'is required',
      };
    case 'additionalProperties':
      return {
        pointer: `${path}/${escapePointerToken(String(params['additionalProperty']))}`,
        message: 'is not a known field',
      };
    case 'enum':
      return {
        pointer: path,
        message: `must be one of ${(params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'type':
      return { pointer: path, message: `must be ${String(params['type'])}` };
    case 'minimum':
      return { pointer: path, message: `must be >= ${String(params['limit'])}` };
    case 'maximum':
      return { pointer: path, message: `must be <= ${String(params['limit'])}` };
    case 'pattern':
      return { pointer: path, message: `must match ${String(params['pattern'])}` };
    default:
      return { pointer: path, message: error.message ?? `fails ${error.keyword}` };
  }
}

/**
 * Turns Ajv's errors into one error per field. Errors raised inside a `oneOf` (a nullable
 * instant, or a product-or-"all") are folded into one message for that field.
 */
export function toFieldErrors(errors: readonly ErrorObject[]): FieldError[] {
  const oneOfPaths = new Set(
    errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath),
  );
  const byPointer = new Map<string, FieldError>();
  for (const error of errors) {
    if (error.keyword === 'oneOf') continue;
    const nullable = oneOfPaths.has(error.instancePath);
    const isNullBranch =
      error.keyword === 'type' && (error.params as { type?: unknown }).type === 'null';
    if (isNullBranch) continue;
    const field = describe(error, nullable);
    const existing = byPointer.get(field.pointer);
    if (existing === undefined) byPointer.set(field.pointer, field);
  }
  for (const error of errors) {
    // A oneOf whose branches all stayed silent above (such as product-or-"all").
    if (error.keyword === 'oneOf' && !byPointer.has(error.instancePath)) {
      byPointer.set(error.instancePath, {
        pointer: error.instancePath,
        message: 'is not an allowed value',
      });
    }
  }
  return [...byPointer.values()];
}

/** Renders a field error as one line: `/order/amountCents: must be >= 0`. */
export function formatFieldError(error: FieldError): string {
  return `${error.pointer === '' ? '(the document)' : error.pointer}: ${error.message}`;
}
