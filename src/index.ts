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
export {
  verifyWebhook,
  verifySignature,
  signWebhook,
  SIGNATURE_HEADER,
  DELIVERY_HEADER,
  EVENT_HEADER,
  DEFAULT_TOLERANCE_MS,
  type VerifyInput,
  type WebhookVerification,
  type WebhookRejection,
  type SignatureVerification,
  type CaseStateChangedEvent,
} from './app/webhooks/signing.js';
export * from './engine/index.js';
