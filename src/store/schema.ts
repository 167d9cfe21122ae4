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
  /** Generated file name under the evidence folder; never derived from user input. */
  storedName: string;
  originalName: string;
  mediaType: string;
  sizeBytes: number;
  sha256: string;
  uploadedBy: string;
  createdAtMs: number;
}

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
  policyVersions: PolicyVersionTable;
  auditLog: AuditLogTable;
}
