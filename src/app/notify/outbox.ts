/**
 * Sending queued case mail (the worker's side of the outbox). A worker leases due rows
 * (`FOR UPDATE SKIP LOCKED` on PostgreSQL), hands each to the Mailer (SMTP, or the outbox
 * folder), and marks it sent; a failed send keeps its error and is retried after an exponential
 * back-off, given up (`failed`, error kept) after `NOTIFY_LIMITS.maxAttempts`. Delivery is at
 * least once: a worker that dies between the send and the mark sends that message again.
 */
import type { DeskDeps } from '../context.js';
import { claimLeases, type LeaseRequest } from '../../store/leases.js';
import type { NotificationTable } from '../../store/schema.js';

export const NOTIFY_LIMITS = { maxBatch: 100, maxAttempts: 8, maxErrorChars: 2_000 } as const;

/** 30 s, 1 min, 2 min, … capped at 1 hour. */
export function notifyBackoffMs(attempts: number): number {
  return Math.min(60 * 60_000, 30_000 * 2 ** Math.max(0, Math.min(attempts - 1, 20)));
}

/** Leases up to `limit` queued notifications that are due and whose lease is free or expired. */
export async function claimNotifications(
  deps: DeskDeps,
  options: LeaseRequest,
): Promise<NotificationTable[]> {
  const nowMs = deps.clock.nowMs();
  return claimLeases(deps.store, {
    table: 'notifications',
    lease: options,
    nowMs,
    maxBatch: NOTIFY_LIMITS.maxBatch,
    countAttempt: true,
    touch: true,
    due: (query) =>
      query
        .where('status', '=', 'queued')
        .where('nextAttemptAtMs', '<=', nowMs)
        .orderBy('nextAttemptAtMs')
        .orderBy('dedupeKey'),
    load: (trx, ids) =>
      trx
        .selectFrom('notifications')
        .selectAll()
        .where('id', 'in', ids)
        .orderBy('nextAttemptAtMs')
        .orderBy('dedupeKey')
        .execute(),
  });
}

export type SendResult = 'sent' | 'retry' | 'failed' | 'skipped';

/** Sends one leased notification and records the result. Never throws for a failed send. */
export async function sendNotification(
  deps: DeskDeps,
  claimed: NotificationTable,
  workerId: string,
): Promise<SendResult> {
  const still = await deps.store.db
    .selectFrom('notifications')
    .select(['status', 'leaseOwner', 'leaseUntilMs'])
    .where('id', '=', claimed.id)
    .executeTakeFirst();
  if (
    still === undefined ||
    still.status !== 'queued' ||
    still.leaseOwner !== workerId ||
    (still.leaseUntilMs ?? 0) <= deps.clock.nowMs()
  ) {
    return 'skipped';
  }
  try {
    await deps.mailer.send({
      to: claimed.toAddress,
      subject: claimed.subject,
      text: claimed.text,
      ...(claimed.replyTo === null ? {} : { replyTo: claimed.replyTo }),
    });
  } catch (error) {
    const nowMs = deps.clock.nowMs();
    const message = (error instanceof Error ? error.message : String(error)).slice(
      0,
      NOTIFY_LIMITS.maxErrorChars,
    );
    const gaveUp = claimed.attempts >= NOTIFY_LIMITS.maxAttempts;
    await deps.store.db
      .updateTable('notifications')
      .set({
        status: gaveUp ? 'failed' : 'queued',
        lastError: message,
        nextAttemptAtMs: gaveUp
          ? claimed.nextAttemptAtMs
          : nowMs + notifyBackoffMs(claimed.attempts),
        leaseOwner: null,
        leaseUntilMs: null,
        updatedAtMs: nowMs,
      })
      .where('id', '=', claimed.id)
      .where('leaseOwner', '=', workerId)
      .execute();
    return gaveUp ? 'failed' : 'retry';
  }
  const nowMs = deps.clock.nowMs();
  await deps.store.db
    .updateTable('notifications')
    .set({
      status: 'sent',
      sentAtMs: nowMs,
      leaseOwner: null,
      leaseUntilMs: null,
      updatedAtMs: nowMs,
    })
    .where('id', '=', claimed.id)
    .execute();
  return 'sent';
}
