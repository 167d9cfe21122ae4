/**
 * The database's tables as Kysely sees them (camelCase here, snake_case in SQL through
 * CamelCasePlugin). Instants are epoch milliseconds (`…AtMs`), money is integer minor units
 * (`…Minor`), booleans are 0/1 integers: the same representation on SQLite and PostgreSQL.
 */
export type Flag = 0 | 1;

export interface CustomerTable {
  id: string;
  email: string;
  name: string;
  tosBreach: Flag;
  stressTesting: Flag;
  kycStatus: 'not_required' | 'required' | 'submitted' | 'verified' | 'rejected';
  createdAtMs: number;
  updatedAtMs: number;
}

export interface PlanTable {
  id: string;
  product: string;
  name: string;
  servicePeriodDays: number;
  createdAtMs: number;
}

export interface OrderTable {
  id: string;
  customerId: string;
  planId: string;
  product: string;
  channel: string;
  paymentMethod: string;
  /** Payment provider holding the charge: stripe, paypal, bank, crypto, … */
  provider: string;
  /** The provider's charge/capture reference. Never card numbers. */
  chargeRef: string;
  amountMinor: number;
  currency: string;
  promoCreditsMinor: number;
  purchasedAtMs: number;
  servicePeriodDays: number;
  /** The address sign-in links for this order's customer go to. */
  email: string;
  createdAtMs: number;
}

export interface UsageReadingTable {
  orderId: string;
  asOfMs: number;
  trafficBytes: number;
  requests: number;
}

export interface ReportTable {
  id: string;
  orderId: string;
  reportedAtMs: number;
  cause: string;
  remediatedAtMs: number | null;
  description: string;
  createdAtMs: number;
  updatedAtMs: number;
}

export interface IncidentTable {
  id: string;
  title: string;
  /** JSON array of products or "all". */
  productsJson: string;
  widelyImpacting: Flag;
  startsAtMs: number;
  endsAtMs: number | null;
  confirmedAtMs: number | null;
  createdAtMs: number;
  updatedAtMs: number;
}

export interface ChargebackTable {
  id: string;
  orderId: string;
  status: 'open' | 'withdrawn' | 'won' | 'lost';
  openedAtMs: number;
  updatedAtMs: number;
}

/** Money already returned on an order, by any path (facts from billing, or our payouts). */
export interface RefundTable {
  id: string;
  orderId: string;
  amountMinor: number;
  kind: 'requested' | 'compensation';
  refundedAtMs: number;
  /** Set when the refund compensated a system incident. */
  incidentId: string | null;
  createdAtMs: number;
}

/** Incidents compensated on an order (by refund or service extension). */
export interface CompensationTable {
  orderId: string;
  incidentId: string;
  kind: 'refund' | 'extension';
  atMs: number;
}

export interface RefundRequestTable {
  id: string;
  orderId: string;
  customerId: string;
  state: string;
  description: string;
  paymentMethod: string;
  /** JSON: { targetSites, timestamps, egressCidrs, clientConfig }. */
  networkContextJson: string;
  contactEmail: string | null;
  contactIm: string | null;
  legallyRequired: Flag;
  submittedAtMs: number;
  policyId: string;
  policyVersion: number;
  createdAtMs: number;
  updatedAtMs: number;
  /** Optimistic-concurrency counter; bumped by every change. */
  rowVersion: number;
  /**
   * SLA due instants, a cache recomputed from `case_transitions` on every move (the log is the
   * truth); null while not known (the clock is paused or stopped before the count is reached).
   */
  slaTargetAtMs: number | null;
  slaDeadlineAtMs: number | null;
}

export interface DecisionTable {
  id: string;
  requestId: string;
  /** 1, 2, … per request; the highest is current. */
  seq: number;
  decidedAtMs: number;
  policyVersion: string;
  outcome: string;
  refundMinor: number;
  extensionDays: number;
  currency: string;
  decidableAtMs: number | null;
  /** The decision exactly as the engine wrote it. */
  decisionJson: string;
  /** The exact case (case.schema.json) it was decided from, so it can be reproduced. */
  factsJson: string;
  source: 'engine' | 'override';
  actorId: string | null;
  note: string | null;
}

export interface EvidenceTable {
  id: string;
  requestId: string;
  /**
   * 32 random hex characters, never derived from user input: the file's key, and for a row of an
   * earlier version (no `content`) its file name in the evidence folder.
   */
  storedName: string;
  originalName: string;
  mediaType: string;
  sizeBytes: number;
  sha256: string;
  uploadedBy: string;
  createdAtMs: number;
  /**
   * The bytes (BLOB on SQLite, bytea on PostgreSQL), written with the row; null for rows of
   * earlier versions, whose bytes are a file in the evidence folder. Only the download reads it:
   * everything else selects `EVIDENCE_METADATA_COLUMNS`.
   */
  content: Buffer | null;
}

/** Every column of `evidence` but `content`: what lists, lookups and counts select. */
export const EVIDENCE_METADATA_COLUMNS = [
  'id',
  'requestId',
  'storedName',
  'originalName',
  'mediaType',
  'sizeBytes',
  'sha256',
  'uploadedBy',
  'createdAtMs',
] as const satisfies readonly Exclude<keyof EvidenceTable, 'content'>[];

/** An evidence row without its bytes. */
export type EvidenceMetadata = Pick<EvidenceTable, (typeof EVIDENCE_METADATA_COLUMNS)[number]>;

export interface IdempotencyKeyTable {
  scope: string;
  key: string;
  requestHash: string;
  state: 'in_flight' | 'done';
  responseStatus: number | null;
  responseBody: string | null;
  /** JSON object of the response headers replayed with the body (content-type, location). */
  responseHeadersJson: string | null;
  createdAtMs: number;
  lockedUntilMs: number;
}

export interface ApiKeyTable {
  id: string;
  name: string;
  /** First characters of the key, shown to people to tell keys apart. */
  prefix: string;
  secretHash: string;
  /** JSON array of scopes. */
  scopesJson: string;
  createdAtMs: number;
  createdBy: string;
  revokedAtMs: number | null;
}

export interface StaffUserTable {
  id: string;
  email: string;
  name: string;
  role: 'agent' | 'approver' | 'admin';
  passwordHash: string;
  createdAtMs: number;
  disabledAtMs: number | null;
}

export interface SessionTable {
  /** SHA-256 of the session token; the token itself is only in the cookie. */
  tokenHash: string;
  subjectKind: 'staff' | 'customer';
  subjectId: string;
  createdAtMs: number;
  expiresAtMs: number;
  revokedAtMs: number | null;
}

export interface SignInLinkTable {
  tokenHash: string;
  customerId: string;
  email: string;
  createdAtMs: number;
  expiresAtMs: number;
  usedAtMs: number | null;
}

/** A host-platform sign-in token's `jti`, recorded on first use; kept until the token expired. */
export interface HostTokenUseTable {
  jti: string;
  customerId: string;
  usedAtMs: number;
  expiresAtMs: number;
}

/**
 * A staff password sign-in attempt not (yet) known to have succeeded: a failure, counted per
 * email and per client within the window of `STAFF_SIGN_IN_LIMITS` (app/auth/sign-in-throttle.ts).
 */
export interface StaffSignInFailureTable {
  id: string;
  /** The normalized email tried (whether or not an account has it). */
  email: string;
  /** The client: an IPv4 address or an IPv6 /64 prefix; null when unknown. */
  ip: string | null;
  atMs: number;
}

export interface PolicyVersionTable {
  policyId: string;
  version: number;
  effectiveFromMs: number;
  documentJson: string;
  postedAtMs: number;
  postedBy: string;
}

export interface AuditLogTable {
  seq: number;
  atMs: number;
  actorKind: string;
  actorId: string;
  ip: string | null;
  action: string;
  entityKind: string;
  entityId: string;
  beforeJson: string | null;
  afterJson: string | null;
  prevHash: string;
  hash: string;
}

/** Payout states: only ever move forward (queued → unknown → pending → succeeded | declined). */
export type PayoutStatus = 'queued' | 'unknown' | 'pending' | 'succeeded' | 'declined';

/** One refund instruction to a payment provider (the outbox row), created under the order's lock. */
export interface PayoutTable {
  id: string;
  requestId: string;
  orderId: string;
  /** The decision whose amount is paid. */
  decisionId: string | null;
  /** Why it is paid: an approved refund or an accepted pro-rata offer. */
  source: 'approved' | 'prorata';
  /** card, paypal, bank_transfer, manual (PayoutMethod). */
  method: string;
  provider: string;
  chargeRef: string;
  amountMinor: number;
  currency: string;
  /** Derived from the id; stored before the first call, the same on every retry. */
  idempotencyKey: string;
  status: PayoutStatus;
  providerRefundId: string | null;
  failureCode: string | null;
  failureReason: string | null;
  /** Staff's reference when they marked a bank transfer or manual payout paid. */
  reference: string | null;
  attempts: number;
  nextAttemptAtMs: number;
  leaseOwner: string | null;
  leaseUntilMs: number | null;
  createdAtMs: number;
  updatedAtMs: number;
  settledAtMs: number | null;
  /** The payout batch (file for finance) a bank transfer or manual payout is in; set once. */
  batchId: string | null;
}

/** A batch file of offline payouts (bank_transfer or manual) for the finance team. */
export interface PayoutBatchTable {
  id: string;
  method: 'bank_transfer' | 'manual';
  createdAtMs: number;
  /** `<actor kind>:<actor id>` of whoever made it. */
  createdBy: string;
  lineCount: number;
  /** Totals per currency in minor units, canonical JSON (`{"EUR":4205}`). */
  totalsJson: string;
  /** SHA-256 (hex) of the batch's CSV bytes. */
  sha256: string;
}

/** Every call to a provider, recorded before the call. */
export interface PayoutAttemptTable {
  payoutId: string;
  seq: number;
  kind: 'refund' | 'lookup';
  worker: string;
  startedAtMs: number;
  finishedAtMs: number | null;
  /** succeeded, pending, declined, unknown, not_found; null while (or if never) answered. */
  outcome: string | null;
  detail: string | null;
}

/** Provider webhooks, keyed by the provider's event id: each is applied at most once. */
export interface ProviderEventTable {
  provider: string;
  eventId: string;
  payoutId: string | null;
  type: string;
  /** applied, ignored (stale or duplicate state), unmatched (no such payout). */
  result: string;
  payloadJson: string;
  receivedAtMs: number;
}

/** A service extension sent to the seller's provisioning system, tracked to acknowledgement. */
export interface ExtensionCommandTable {
  id: string;
  requestId: string;
  orderId: string;
  decisionId: string | null;
  extensionDays: number;
  status: 'queued' | 'unknown' | 'acknowledged' | 'rejected';
  attempts: number;
  nextAttemptAtMs: number;
  leaseOwner: string | null;
  leaseUntilMs: number | null;
  lastError: string | null;
  acknowledgement: string | null;
  createdAtMs: number;
  updatedAtMs: number;
  settledAtMs: number | null;
}

/** One row of a case's state log (0004-cases): the case entered `toState` at `atMs`. */
export interface CaseTransitionTable {
  requestId: string;
  /** 1, 2, … per request. */
  seq: number;
  event: string;
  /** null for the first row, written at intake. */
  fromState: string | null;
  toState: string;
  actorKind: string;
  actorId: string;
  reason: string;
  atMs: number;
}

/** Questions asked of the customer during review, and their answer. */
export interface InfoRequestTable {
  id: string;
  requestId: string;
  /** JSON array of the questions. */
  questionsJson: string;
  /** `kind:id` of who asked. */
  askedBy: string;
  askedAtMs: number;
  answerText: string | null;
  answeredVia: 'portal' | 'email' | 'staff' | null;
  answeredBy: string | null;
  answeredAtMs: number | null;
}

/** A reviewer's finding on a report: its cause and the remediation. */
export interface CaseFindingTable {
  id: string;
  requestId: string;
  reportId: string;
  cause: string;
  remediation: string;
  remediatedAtMs: number | null;
  recordedBy: string;
  recordedAtMs: number;
}

/** An approval above the second-approval amount, waiting for (or given) a second approver. */
export interface CaseApprovalTable {
  id: string;
  requestId: string;
  /** The decision (seq) whose amount is approved. */
  decisionSeq: number;
  amountMinor: number;
  currency: string;
  /** `kind:id` of the first approver. */
  requestedBy: string;
  requestedAtMs: number;
  reason: string;
  status: 'pending' | 'confirmed' | 'returned';
  decidedBy: string | null;
  decidedAtMs: number | null;
  note: string | null;
}

/** Timer kinds (0005-timers-notify). */
export type TimerKind = 'redecide' | 'sla_warning' | 'sla_breach' | 'progress_update';
/** pending → done (the effect happened, or a re-check found nothing to do) | cancelled. */
export type TimerStatus = 'pending' | 'done' | 'cancelled';

/** A durable timer: one effect due at an instant, claimed by a worker under a lease. */
export interface TimerTable {
  id: string;
  kind: TimerKind;
  /** Unique: scheduling the same effect twice is one timer. */
  effectKey: string;
  requestId: string;
  dueAtMs: number;
  /** JSON object of what the handler needs (the decision id to re-decide, …). */
  payloadJson: string;
  status: TimerStatus;
  attempts: number;
  leaseOwner: string | null;
  leaseUntilMs: number | null;
  lastError: string | null;
  /** What the handler found: fired, stale, … */
  outcome: string | null;
  createdAtMs: number;
  updatedAtMs: number;
  finishedAtMs: number | null;
}

/** An effect that happened, written in the transaction that marks its timer done. */
export interface TimerEffectTable {
  effectKey: string;
  timerId: string;
  kind: TimerKind;
  requestId: string;
  worker: string;
  detailJson: string;
  atMs: number;
}

export type NotificationKind = 'received' | 'information_needed' | 'decided' | 'progress_update';
export type OutboxStatus = 'queued' | 'sent' | 'failed';

/** An email queued with the change that caused it (the outbox row). */
export interface NotificationTable {
  id: string;
  /** Unique: queueing the same notice twice is one email. */
  dedupeKey: string;
  requestId: string;
  kind: NotificationKind;
  toAddress: string;
  replyTo: string | null;
  subject: string;
  text: string;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAtMs: number;
  leaseOwner: string | null;
  leaseUntilMs: number | null;
  lastError: string | null;
  createdAtMs: number;
  updatedAtMs: number;
  sentAtMs: number | null;
}

/** Where case events are posted, signed with the endpoint's secret. */
export interface WebhookEndpointTable {
  id: string;
  url: string;
  secret: string;
  description: string;
  enabled: Flag;
  createdBy: string;
  createdAtMs: number;
  updatedAtMs: number;
}

export type WebhookDeliveryStatus = 'queued' | 'delivered' | 'failed';

/** One event for one endpoint (unique per endpoint and event). */
export interface WebhookDeliveryTable {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  requestId: string;
  /** The exact body posted (the signature covers these bytes). */
  payloadJson: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  nextAttemptAtMs: number;
  leaseOwner: string | null;
  leaseUntilMs: number | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAtMs: number;
  updatedAtMs: number;
  deliveredAtMs: number | null;
}

/** The delivery log: every POST of a delivery. */
export interface WebhookAttemptTable {
  deliveryId: string;
  attempt: number;
  worker: string;
  startedAtMs: number;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
}

export interface Database {
  customers: CustomerTable;
  plans: PlanTable;
  orders: OrderTable;
  usageReadings: UsageReadingTable;
  reports: ReportTable;
  incidents: IncidentTable;
  chargebacks: ChargebackTable;
  refunds: RefundTable;
  compensations: CompensationTable;
  refundRequests: RefundRequestTable;
  decisions: DecisionTable;
  evidence: EvidenceTable;
  idempotencyKeys: IdempotencyKeyTable;
  apiKeys: ApiKeyTable;
  staffUsers: StaffUserTable;
  sessions: SessionTable;
  signInLinks: SignInLinkTable;
  hostTokenUses: HostTokenUseTable;
  staffSignInFailures: StaffSignInFailureTable;
  policyVersions: PolicyVersionTable;
  auditLog: AuditLogTable;
  caseTransitions: CaseTransitionTable;
  infoRequests: InfoRequestTable;
  caseFindings: CaseFindingTable;
  caseApprovals: CaseApprovalTable;
  payouts: PayoutTable;
  payoutBatches: PayoutBatchTable;
  payoutAttempts: PayoutAttemptTable;
  providerEvents: ProviderEventTable;
  extensionCommands: ExtensionCommandTable;
  timers: TimerTable;
  timerEffects: TimerEffectTable;
  notifications: NotificationTable;
  webhookEndpoints: WebhookEndpointTable;
  webhookDeliveries: WebhookDeliveryTable;
  webhookAttempts: WebhookAttemptTable;
}
