import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validationSchema } from '../scripts/validation-schema.js';
import { caseSchema } from '../src/engine/case-schema.js';

const options = { strict: true, validateFormats: false, allowUnionTypes: true } as const;
const published = new Ajv2020(options).compile(caseSchema);
const rewritten = new Ajv2020(options).compile(validationSchema(caseSchema));

/** The parts of a case the places below write to. */
interface CaseShape {
  priorOrders?: unknown[];
  reports?: unknown[];
  incidents: Array<Record<string, unknown>>;
}

const base = JSON.parse(
  readFileSync(
    new URL('./fixtures/examples/prorata-second-incident.case.json', import.meta.url),
    'utf8',
  ),
) as CaseShape;

/** Every place the rewrite touches, as a function that puts a value there. */
const PLACES: Record<string, (c: CaseShape, v: unknown) => void> = {
  'priorOrders/0/refundedAt': (c, v) => {
    c.priorOrders = [{ id: 'p1', planId: 'x', purchasedAt: '2026-01-01T00:00:00Z', refundedAt: v }];
  },
  'reports/0/remediatedAt': (c, v) => {
    c.reports = [{ reportedAt: '2026-05-03T02:00:00Z', cause: 'service', remediatedAt: v }];
  },
  'incidents/0/confirmedAt': (c, v) => {
    c.incidents[0]!.confirmedAt = v;
  },
  'incidents/0/endsAt': (c, v) => {
    c.incidents[0]!.endsAt = v;
  },
  'incidents/0/products/0': (c, v) => {
    c.incidents[0]!.products = [v];
  },
};

const values = fc.oneof(
  fc.constantFrom(
    null,
    '2026-05-20T00:00:00Z',
    '2026-05-20T00:00:00.123+05:45',
    '2026-05-20T00:00:00',
    '2026-05-20',
    'all',
    'static_isp',
    'nope',
    '',
    0,
    true,
    [],
    {},
  ),
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
);

describe('the schema the validators are compiled from', () => {
  it('accepts exactly what the published case schema accepts at every rewritten place', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(PLACES)), values, (place, value) => {
        const c = structuredClone(base);
        PLACES[place]?.(c, value);
        expect(rewritten(c)).toBe(published(c));
      }),
      { numRuns: 3_000 },
    );
  });

  it('no longer contains a oneOf, and leaves everything else alone', () => {
    const text = JSON.stringify(validationSchema(caseSchema));
    expect(text).not.toContain('oneOf');
    const untouched = JSON.parse(text) as typeof caseSchema;
    expect(untouched.properties.usage).toEqual(caseSchema.properties.usage);
    expect(untouched.$defs).toEqual(caseSchema.$defs);
  });
});
