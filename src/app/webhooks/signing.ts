/**
 * The one signing scheme of everything the desk sends out — case webhooks and the service
 * extension commands to the seller's provisioning system (src/payouts/extension-delivery.ts) —
 * and the verifiers receivers use (`verifySignature` for any body, `verifyWebhook` for a case
 * event).
 *
 * Each case webhook delivery is POSTed with the JSON body and these headers:
 *
 *   Refund-Desk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>
 *   Refund-Desk-Delivery:  <delivery id>       (the same on every retry of that delivery)
 *   Refund-Desk-Event:     <event id>          (the body's `id`; one per case move)
 *
 * The timestamp is the moment of this attempt, so every retry is signed afresh. A receiver
 * verifies with `verifyWebhook`: it recomputes the HMAC over the exact bytes it received
 * (never a re-serialisation), compares in constant time, refuses a timestamp further than
 * `toleranceMs` from its own clock (a captured delivery replayed later is stale), and — given the
 * ids it has already processed — refuses an event it has seen (a replay inside the tolerance).
 * Add the event id to that set only after processing succeeded, so a retry after a failure is
 * still accepted. Several `v1=` entries are accepted (one per secret while a secret rotates).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'Refund-Desk-Signature';
export const DELIVERY_HEADER = 'Refund-Desk-Delivery';
export const EVENT_HEADER = 'Refund-Desk-Event';
/** Five minutes, as commonly used: wide enough for clock skew, narrow enough for replays. */
export const DEFAULT_TOLERANCE_MS = 5 * 60_000;
/** A signature header longer than this is not ours. */
const MAX_HEADER_CHARS = 1_024;

export const WEBHOOK_EVENT_TYPES = ['case.state_changed'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The body of a case event. */
export interface CaseStateChangedEvent {
  readonly id: string;
  readonly type: 'case.state_changed';
  /** RFC 3339, when the case moved. */
  readonly createdAt: string;
  readonly data: {
    readonly requestId: string;
    readonly from: string | null;
    readonly to: string;
    readonly event: string;
    readonly seq: number;
  };
}

function hmacHex(secret: string, timestampS: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampS}.${body}`, 'utf8').digest('hex');
}

/** The `Refund-Desk-Signature` header value for `body` signed at `nowMs`. */
export function signWebhook(secret: string, body: string, nowMs: number): string {
  const timestampS = Math.floor(nowMs / 1000);
  return `t=${timestampS},v1=${hmacHex(secret, timestampS, body)}`;
}

export type WebhookRejection =
  /** No header, or not `t=…,v1=…`. */
  | 'malformed_signature'
  /** No `v1` matches: wrong secret, or the body or timestamp was changed. */
  | 'forged'
  /** The timestamp is further than the tolerance from now. */
  | 'stale'
  /** Signed correctly, but not an event body. */
  | 'malformed_body'
  /** An event id already processed. */
  | 'replayed';

export type WebhookVerification =
  | { readonly ok: true; readonly event: CaseStateChangedEvent; readonly signedAtMs: number }
  | { readonly ok: false; readonly reason: WebhookRejection };

export interface VerifyInput {
  /** The raw body exactly as received. */
  readonly body: string;
  /** The `Refund-Desk-Signature` header (undefined or null when absent). */
  readonly header: string | null | undefined;
  readonly secret: string;
  /** The receiver's clock. */
  readonly nowMs: number;
  /** Default five minutes. */
  readonly toleranceMs?: number;
  /** Event ids already processed; a delivery of one of them is a replay. */
  readonly seenIds?: { has(id: string): boolean };
}

function parseHeader(header: string): { timestampS: number; signatures: string[] } | undefined {
  if (header.length > MAX_HEADER_CHARS) return undefined;
  let timestampS: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (!/^\d{1,12}$/.test(value) || timestampS !== undefined) return undefined;
      timestampS = Number(value);
    } else if (key === 'v1') {
      if (/^[0-9a-f]{64}$/.test(value)) signatures.push(value);
    }
  }
  if (timestampS === undefined || signatures.length === 0) return undefined;
  return { timestampS, signatures };
}

function isEvent(value: unknown): value is CaseStateChangedEvent {
  if (typeof value !== 'object' || value === null) return false;
  const event = value as Record<string, unknown>;
  const data = event['data'] as Record<string, unknown> | null | undefined;
  return (
    typeof event['id'] === 'string' &&
    event['type'] === 'case.state_changed' &&
    typeof event['createdAt'] === 'string' &&
    typeof data === 'object' &&
    data !== null &&
    typeof data['requestId'] === 'string' &&
    typeof data['to'] === 'string' &&
    typeof data['event'] === 'string' &&
    typeof data['seq'] === 'number'
  );
}

export type SignatureRejection = Extract<
  WebhookRejection,
  'malformed_signature' | 'forged' | 'stale'
>;

export type SignatureVerification =
  | { readonly ok: true; readonly signedAtMs: number }
  | { readonly ok: false; readonly reason: SignatureRejection };

/**
 * Checks a `Refund-Desk-Signature` header over the raw body (any body: a case event, an
 * extension command): the HMAC in constant time, then the timestamp against the tolerance.
 * Never throws for bad input.
 */
export function verifySignature(input: Omit<VerifyInput, 'seenIds'>): SignatureVerification {
  if (typeof input.header !== 'string') return { ok: false, reason: 'malformed_signature' };
  const parsed = parseHeader(input.header);
  if (parsed === undefined) return { ok: false, reason: 'malformed_signature' };
  const expected = Buffer.from(hmacHex(input.secret, parsed.timestampS, input.body), 'hex');
  const matches = parsed.signatures.some((signature) =>
    timingSafeEqual(Buffer.from(signature, 'hex'), expected),
  );
  if (!matches) return { ok: false, reason: 'forged' };
  const signedAtMs = parsed.timestampS * 1000;
  const toleranceMs = input.toleranceMs ?? DEFAULT_TOLERANCE_MS;
  if (Math.abs(input.nowMs - signedAtMs) > toleranceMs) return { ok: false, reason: 'stale' };
  return { ok: true, signedAtMs };
}

/** Verifies a case webhook delivery (see the module comment). Never throws for bad input. */
export function verifyWebhook(input: VerifyInput): WebhookVerification {
  const signed = verifySignature(input);
  if (!signed.ok) return signed;
  let event: unknown;
  try {
    event = JSON.parse(input.body);
  } catch {
    return { ok: false, reason: 'malformed_body' };
  }
  if (!isEvent(event)) return { ok: false, reason: 'malformed_body' };
  if (input.seenIds?.has(event.id) === true) return { ok: false, reason: 'replayed' };
  return { ok: true, event, signedAtMs: signed.signedAtMs };
}
