import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decide } from '../src/index.js';

const dir = new URL('./fixtures/examples/', import.meta.url);
const names = readdirSync(dir)
  .filter((f) => f.endsWith('.case.json'))
  .map((f) => f.replace(/\.case\.json$/, ''));

describe('shipped contract examples', () => {
  it('finds the examples', () => {
    expect(names.length).toBeGreaterThanOrEqual(7);
  });
  for (const name of names) {
    it(name, () => {
      const input: unknown = JSON.parse(readFileSync(new URL(`${name}.case.json`, dir), 'utf8'));
      const expected = JSON.parse(readFileSync(new URL(`${name}.expected.json`, dir), 'utf8')) as {
        outcome: string;
        refundCents: number;
        extensionDays: number;
        currency: string;
        decidableAt: string | null;
        reasonCodes: string[];
      };
      const decision = decide(input);
      expect({
        outcome: decision.outcome,
        refundCents: decision.refundCents,
        extensionDays: decision.extensionDays,
        currency: decision.currency,
        decidableAt: decision.decidableAt,
        reasonCodes: decision.reasons.map((r) => r.code),
      }).toEqual(expected);
      expect(decision.policyVersion).toBe('okkproxy@1');
    });
  }
});
