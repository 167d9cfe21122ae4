/** The billing-fact schemas: valid JSON Schema 2020-12, with a limit on every string, array and integer. */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import {
  FACT_KINDS,
  FACT_REQUEST_SCHEMAS,
  FACT_SCHEMAS,
  factValidator,
  importLineSchema,
} from '../../src/app/facts/schemas.js';

type Node = Record<string, unknown>;

/** Every subschema, with `type` of a `$ref` target folded in. */
function* subschemas(node: unknown, path: string): Generator<[string, Node]> {
  if (Array.isArray(node)) {
    for (const [i, item] of node.entries()) yield* subschemas(item, `${path}/${i}`);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  yield [path, node as Node];
  for (const [key, value] of Object.entries(node)) {
    if (key !== 'enum' && key !== 'const') yield* subschemas(value, `${path}/${key}`);
  }
}

const ALL = [
  ...Object.entries(FACT_SCHEMAS),
  ...Object.entries(FACT_REQUEST_SCHEMAS).map(([k, v]) => [`${k} body`, v] as const),
  ['import line', importLineSchema] as const,
];

describe('billing-fact schemas', () => {
  it.each(ALL)('%s compiles in strict mode', (_name, schema) => {
    const ajv = new Ajv2020({ strict: true, allErrors: true, validateFormats: false });
    expect(() => ajv.compile(schema)).not.toThrow();
  });

  it.each(ALL)('%s bounds every string, array and integer', (_name, schema) => {
    const unbounded: string[] = [];
    for (const [path, node] of subschemas(schema, '')) {
      if (node['type'] === 'string' && node['maxLength'] === undefined) unbounded.push(path);
      if (node['type'] === 'array' && node['maxItems'] === undefined) unbounded.push(path);
      if (node['type'] === 'integer' && typeof node['maximum'] !== 'number') unbounded.push(path);
    }
    expect(unbounded).toEqual([]);
  });

  it('has one validator per kind, compiled once', () => {
    for (const kind of FACT_KINDS) expect(factValidator(kind)).toBe(factValidator(kind));
  });

  it('lets a request body leave out the id its path carries', () => {
    expect(FACT_SCHEMAS.order.required).toContain('id');
    expect(FACT_REQUEST_SCHEMAS.order.required).not.toContain('id');
    expect(FACT_REQUEST_SCHEMAS.usage.required).not.toContain('orderId');
    expect(FACT_REQUEST_SCHEMAS.flags).not.toHaveProperty('required');
  });
});
