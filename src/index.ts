/** refund-desk: the package's public API. */
export {
  decide,
  decideCase,
  InvalidCaseError,
  type DecideOptions,
  type Decided,
} from './app/decide.js';
export {
  loadPolicy,
  parsePolicyText,
  readPolicyFile,
  shippedPolicies,
  shippedVersions,
  PolicyFileError,
} from './policies/load.js';
export * from './engine/index.js';
