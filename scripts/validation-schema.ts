/**
 * The schema the validators are compiled from: the published schema with two mechanical,
 * meaning-preserving rewrites that spare Ajv from building error objects on valid input.
 *
 * - `oneOf: [{$ref: '#/$defs/instant'}, {type: 'null'}]` (a nullable instant) becomes
 *   `if: {type: 'string'}, then: {$ref: '#/$defs/instant'}, else: {type: 'null'}`. A `oneOf`
 *   validates both branches and records the failing one's error even when the value is valid;
 *   `if` does not. A string is valid under both forms exactly when it is an instant; null is
 *   valid under both; anything else fails both.
 * - `oneOf: [{$ref: '#/$defs/product'}, {const: 'all'}]` becomes one `enum` of the products and
 *   "all": the same set of values, and one error listing all of them.
 *
 * test/validation-schema.test.ts checks that both forms accept and reject the same values.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: Json): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRef(value: Json | undefined, ref: string): boolean {
  return (
    value !== undefined &&
    isObject(value) &&
    value['$ref'] === ref &&
    Object.keys(value).length === 1
  );
}

function rewriteOneOf(
  node: { [key: string]: Json },
  defs: { [key: string]: Json },
): { [key: string]: Json } {
  const branches = node['oneOf'];
  if (!Array.isArray(branches) || branches.length !== 2) return node;
  const [a, b] = branches;
  const rest = Object.fromEntries(Object.entries(node).filter(([key]) => key !== 'oneOf'));
  if (
    isRef(a, '#/$defs/instant') &&
    b !== undefined &&
    isObject(b) &&
    b['type'] === 'null' &&
    Object.keys(b).length === 1
  ) {
    return { ...rest, if: { type: 'string' }, then: a as Json, else: { type: 'null' } };
  }
  const product = defs['product'];
  if (
    isRef(a, '#/$defs/product') &&
    b !== undefined &&
    isObject(b) &&
    Object.keys(b).length === 1 &&
    typeof b['const'] === 'string' &&
    product !== undefined &&
    isObject(product) &&
    Array.isArray(product['enum'])
  ) {
    return { ...rest, enum: [...product['enum'], b['const']] };
  }
  return node;
}

export function validationSchema<T extends object>(schema: T): T {
  const root = schema as unknown as { [key: string]: Json };
  const defs = isObject(root['$defs'] ?? null) ? (root['$defs'] as { [key: string]: Json }) : {};
  const walk = (value: Json): Json => {
    if (Array.isArray(value)) return value.map(walk);
    if (!isObject(value)) return value;
    const rewritten = rewriteOneOf(value, defs);
    return Object.fromEntries(Object.entries(rewritten).map(([k, v]) => [k, walk(v)]));
  };
  return walk(root) as unknown as T;
}
