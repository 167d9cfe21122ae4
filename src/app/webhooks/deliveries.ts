/**
 * Webhook deliveries: one per case move per enabled endpoint, written in the move's transaction
 * (unique per endpoint and event, so writing it twice is one delivery), POSTed by a worker after
 * the commit (src/jobs/webhook-sender.ts), every attempt logged with its status code, error and
 * duration. A 2xx answer delivers; anything else is retried with exponential back-off (10 s,
 * 20 s, … capped at 1 hour) and given up after `DELIVERY_LIMITS.maxAttempts`, the last error
 * kept. Delivery is at least once: receivers de-duplicate by the event id.
 */
import type { Transaction } from 'kysely';
import { formatInstant } from '../../domain/time.js';
import { claimLeases, type LeaseRequest } from '../../store/leases.js';
import { prepareQuery } from '../../store/prepared.js';
import type { Database, WebhookDeliveryTable } from '../../store/schema.js';
import type { CaseTransitionRecord } from '../case-transition.js';
import type { DeskDeps } from '../context.js';
import { newId } from '../ids.js';
import type { CaseStateChangedEvent } from './signing.js';

export const DELIVERY_LIMITS = {
  maxBatch: 100,
  maxAttempts: 10,
  maxErrorChars: 1_000,
  baseBackoffMs: 10_000,
  maxBackoffMs: 60 * 60_000,
} as const;

/** 10 s, 20 s, 40 s, … capped at 1 hour, after `attempts` failed attempts. */
export function deliveryBackoffMs(attempts: number): number {
  return Math.min(
    DELIVERY_LIMITS.maxBackoffMs,
    DELIVERY_LIMITS.baseBackoffMs * 2 ** Math.max(0, Math.min(attempts - 1, 20)),
  );
}

/** The id of the event of a case's move: the same for every endpoint. */
export function caseEventId(requestId: string, seq: number): string {
  return `evt_${requestId}_${seq}`;
}

export function caseEventOf(record: CaseTransitionRecord): CaseStateChangedEvent {
  return {
    id: caseEventId(record.requestId, record.seq),
    type: 'case.state_changed',
    createdAt: formatInstant(record.atMs),
    data: {
      requestId: record.requestId,
      from: record.fromState,
      to: record.toState,
      event: record.event,
      seq: record.seq,
    },
  };
}

/** The enabled endpoints, read on every move (compiled once per database: store/prepared.ts). */
const selectEnabledEndpoints = prepareQuery((db) =>
  db.selectFrom('webhookEndpoints').select('id').where('enabled', '=', 1).orderBy('id'),
);

/** One delivery of the move's event per enabled endpoint, in the move's transaction. */
export async function queueWebhookDeliveries(
  trx: Transaction<Database>,
  deps: DeskDeps,
  record: CaseTransitionRecord,
): Promise<void> {
  const endpoints = await selectEnabledEndpoints.rows(trx, {});
  if (endpoints.length === 0) return;
  const nowMs = deps.clock.nowMs();
  const event = caseEventOf(record);
  const payloadJson = JSON.stringify(event);
  await trx
    .insertInto('webhookDeliveries')
    .values(
      endpoints.map(({ id }) => ({
        id: newId('whd', nowMs),
        endpointId: id,
        eventId: event.id,
        eventType: event.type,
        requestId: record.requestId,
        payloadJson,
        status: 'queued' as const,
        attempts: 0,
        nextAttemptAtMs: nowMs,
        leaseOwner: null,
        leaseUntilMs: null,
        lastStatusCode: null,
        lastError: null,
        createdAtMs: nowMs,
        updatedAtMs: nowMs,
        deliveredAtMs: null,
      })),
    )
    .onConflict((oc) => oc.columns(['endpointId', 'eventId']).doNothing())
    .execute();
}

/** A delivery leased to a worker, with where it goes and the secret to sign it with. */
export interface LeasedDelivery {
  readonly delivery: WebhookDeliveryTable;
  readonly url: string;
  readonly secret: string;
}

/** Leases up to `limit` queued, due deliveries whose lease is free or expired. */
export async function claimDeliveries(
  deps: DeskDeps,
  options: LeaseRequest,
): Promise<LeasedDelivery[]> {
  const nowMs = deps.clock.nowMs();
  return claimLeases(deps.store, {
    table: 'webhookDeliveries',
    lease: options,
    nowMs,
    maxBatch: DELIVERY_LIMITS.maxBatch,
    countAttempt: true,
    touch: true,
    due: (query) =>
      query
        .where('status', '=', 'queued')
        .where('nextAttemptAtMs', '<=', nowMs)
        .orderBy('nextAttemptAtMs')
        .orderBy('id'),
    load: async (trx, ids) => {
      const rows = await trx
        .selectFrom('webhookDeliveries as d')
        .innerJoin('webhookEndpoints as e', 'e.id', 'd.endpointId')
        .selectAll('d')
        .select(['e.url', 'e.secret'])
        .where('d.id', 'in', ids)
        .orderBy('d.nextAttemptAtMs')
        .orderBy('d.id')
        .execute();
      return rows.map(({ url, secret, ...delivery }) => ({ delivery, url, secret }));
    },
  });
}

/** Whether the delivery is still this worker's to send (lease held, still queued). */
export async function stillLeased(
  deps: DeskDeps,
  deliveryId: string,
  workerId: string,
): Promise<boolean> {
  const row = await deps.store.db
    .selectFrom('webhookDeliveries')
    .select(['status', 'leaseOwner', 'leaseUntilMs'])
    .where('id', '=', deliveryId)
    .executeTakeFirst();
  return (
    row !== undefined &&
    row.status === 'queued' &&
    row.leaseOwner === workerId &&
    (row.leaseUntilMs ?? 0) > deps.clock.nowMs()
  );
}

export interface AttemptResult {
  readonly startedAtMs: number;
  readonly durationMs: number;
  /** The HTTP status, or null when no answer came (refused, timed out). */
  readonly statusCode: number | null;
  readonly error: string | null;
}

export type DeliveryOutcome = 'delivered' | 'retry' | 'failed';

/** Logs an attempt and moves the delivery on: delivered on 2xx, else retried or given up. */
export async function recordDeliveryAttempt(
  deps: DeskDeps,
  leased: WebhookDeliveryTable,
  workerId: string,
  result: AttemptResult,
): Promise<DeliveryOutcome> {
  const nowMs = deps.clock.nowMs();
  const delivered =
    result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
  const error = result.error === null ? null : result.error.slice(0, DELIVERY_LIMITS.maxErrorChars);
  const gaveUp = !delivered && leased.attempts >= DELIVERY_LIMITS.maxAttempts;
  const outcome: DeliveryOutcome = delivered ? 'delivered' : gaveUp ? 'failed' : 'retry';
  await deps.store.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('webhookAttempts')
      .values({
        deliveryId: leased.id,
        attempt: leased.attempts,
        worker: workerId,
        startedAtMs: result.startedAtMs,
        durationMs: Math.max(0, Math.round(result.durationMs)),
        statusCode: result.statusCode,
        error,
      })
      .onConflict((oc) => oc.columns(['deliveryId', 'attempt']).doNothing())
      .execute();
    await trx
      .updateTable('webhookDeliveries')
      .set({
        status: outcome === 'retry' ? 'queued' : outcome,
        lastStatusCode: result.statusCode,
        lastError: delivered ? null : (error ?? `HTTP ${result.statusCode ?? 'no answer'}`),
        nextAttemptAtMs:
          outcome === 'retry' ? nowMs + deliveryBackoffMs(leased.attempts) : leased.nextAttemptAtMs,
        deliveredAtMs: delivered ? nowMs : null,
        leaseOwner: null,
        leaseUntilMs: null,
        updatedAtMs: nowMs,
      })
      .where('id', '=', leased.id)
      .where('status', '=', 'queued')
      .execute();
  });
  return outcome;
}
