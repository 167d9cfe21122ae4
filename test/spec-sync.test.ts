import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { caseSchema, decisionSchema } from '../src/index.js';

// The contract lives in ../shared/spec; the product carries a copy. These fail when they drift.
const spec = new URL('../../shared/spec/', import.meta.url);

describe('vendored contract files equal shared/spec', () => {
  it('case.schema.json', () => {
    expect(caseSchema).toEqual(JSON.parse(readFileSync(new URL('case.schema.json', spec), 'utf8')));
  });
  it('decision.schema.json', () => {
    expect(decisionSchema).toEqual(
      JSON.parse(readFileSync(new URL('decision.schema.json', spec), 'utf8')),
    );
  });
  it('examples', () => {
    const shared = readdirSync(new URL('examples/', spec)).sort();
    const ours = readdirSync(new URL('./fixtures/examples/', import.meta.url)).sort();
    expect(ours).toEqual(shared);
    for (const name of shared) {
      expect(readFileSync(new URL(`./fixtures/examples/${name}`, import.meta.url), 'utf8')).toBe(
        readFileSync(new URL(`examples/${name}`, spec), 'utf8'),
      );
    }
  });
});
