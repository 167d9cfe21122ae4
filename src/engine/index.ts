/** The decision engine: pure, no I/O. */
export { evaluate, CLAUSE_BY_CODE } from './evaluate.js';
export { explain, type Explanation, type ExplainedReason } from './explain.js';
export { readCase, type ErrorMode } from './read-case.js';
export {
  compilePolicy,
  parseSizeBytes,
  policyInEffect,
  type Policy,
  type PolicyDocument,
  type UsageCap,
} from './policy.js';
export { caseSchema } from './case-schema.js';
export { policySchema } from './policy-schema.js';
export { decisionSchema } from './decision-schema.js';
export { formatFieldError } from './json-schema.js';
export {
  formatInstant,
  parseInstantMs,
  formatDuration,
  DAY_MS,
  HOUR_MS,
  MINUTE_MS,
  SECOND_MS,
} from '../domain/time.js';
export { formatMoney } from '../domain/money.js';
export * from './types.js';
