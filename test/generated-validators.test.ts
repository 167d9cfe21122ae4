import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import {
  GENERATED_VALIDATORS_PATH,
  generateValidatorsSource,
} from '../scripts/validators-source.js';

it('the committed validators match the schemas (run `npm run gen:validators` after a schema change)', () => {
  expect(readFileSync(GENERATED_VALIDATORS_PATH, 'utf8')).toBe(generateValidatorsSource());
});
