/** Refund requests, decisions and evidence as the API shows them (instants in RFC 3339 UTC). */
import type { RequestState } from '../../domain/request-state.js';
import { formatInstant, type Decision, type PaymentMethod } from '../../engine/index.js';
import type { EvidenceMetadata, RefundRequestTable } from '../../store/schema.js';
import type { Contact, NetworkContext } from './input.js';

export interface RefundRequestView {
  readonly id: string;
  readonly orderId: string;
  readonly customerId: string;
  readonly state: RequestState;
  readonly description: string;
  readonly paymentMethod: PaymentMethod;
  readonly networkContext: NetworkContext;
  readonly contact: Contact;
  readonly submittedAt: string;
  readonly policyId: string;
  readonly policyVersion: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface EvidenceView {
  readonly id: string;
  readonly requestId: string;
  /** The client's file name, sanitised; metadata only. */
  readonly originalName: string;
  readonly mediaType: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly uploadedBy: string;
  readonly createdAt: string;
}

export interface DecisionView {
  readonly requestId: string;
  /** 1, 2, …: the highest is current. */
  readonly seq: number;
  readonly decidedAt: string;
  readonly source: 'engine' | 'override';
  /** The decision exactly as the engine wrote it. */
  readonly decision: Decision;
}

export function requestView(row: RefundRequestTable): RefundRequestView {
  return {
    id: row.id,
    orderId: row.orderId,
    customerId: row.customerId,
    state: row.state as RequestState,
    description: row.description,
    paymentMethod: row.paymentMethod as PaymentMethod,
    networkContext: JSON.parse(row.networkContextJson) as NetworkContext,
    contact: { email: row.contactEmail, im: row.contactIm },
    submittedAt: formatInstant(row.submittedAtMs),
    policyId: row.policyId,
    policyVersion: row.policyVersion,
    createdAt: formatInstant(row.createdAtMs),
    updatedAt: formatInstant(row.updatedAtMs),
  };
}

/** An evidence row as the API shows it: metadata only (never the key or the bytes). */
export function evidenceView(row: Omit<EvidenceMetadata, 'storedName'>): EvidenceView {
  return {
    id: row.id,
    requestId: row.requestId,
    originalName: row.originalName,
    mediaType: row.mediaType,
    sizeBytes: row.sizeBytes,
    sha256: row.sha256,
    uploadedBy: row.uploadedBy,
    createdAt: formatInstant(row.createdAtMs),
  };
}
