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
  // Nullable instants are compiled as `if: string, then: instant, else: null` (see
  // scripts/validation-schema.ts); a published `oneOf` of the same meaning is handled alike.
  const isBranching = (e: ErrorObject): boolean => e.keyword === 'oneOf' || e.keyword === 'if';
  const nullablePaths = new Set(errors.filter(isBranching).map((e) => e.instancePath));
  const byPointer = new Map<string, FieldError>();
  for (const error of errors) {
    if (isBranching(error)) continue;
    const isNullBranch =
      error.keyword === 'type' && (error.params as { type?: unknown }).type === 'null';
    // `else: {type: null}` failing means the value was neither a string nor null.
    const field =
      isNullBranch && error.schemaPath.endsWith('/else/type')
        ? { pointer: error.instancePath, message: `${INSTANT_MESSAGE}, or null` }
        : isNullBranch
          ? undefined
          : describe(error, nullablePaths.has(error.instancePath));
    if (field === undefined) continue;
    if (!byPointer.has(field.pointer)) byPointer.set(field.pointer, field);
  }
  for (const error of errors) {
    // A nullable instant that is neither a string nor null: only its null branch spoke.
    if (isBranching(error) && !byPointer.has(error.instancePath)) {
      byPointer.set(error.instancePath, {
        pointer: error.instancePath,
        message: error.keyword === 'if' ? `${INSTANT_MESSAGE}, or null` : 'is not an allowed value',
      });
    }
  }
  return [...byPointer.values()];
}

/** Renders a field error as one line: `/order/amountCents: must be >= 0`. */
export function formatFieldError(error: FieldError): string {
  return `${error.pointer === '' ? '(the document)' : error.pointer}: ${error.message}`;
}
