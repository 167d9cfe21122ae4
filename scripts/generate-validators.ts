import { writeFileSync } from 'node:fs';
import { GENERATED_VALIDATORS_PATH, generateValidatorsSource } from './validators-source.js';

writeFileSync(GENERATED_VALIDATORS_PATH, generateValidatorsSource());
process.stdout.write(`wrote ${GENERATED_VALIDATORS_PATH.pathname}\n`);
