/**
 * Service extensions on their way to the seller's provisioning system (the delivery lives in
 * src/payouts/extension-delivery.ts): leased like payouts, every attempt counted before it is
 * sent, tracked to the seller's acknowledgement. The command's id is its idempotency key, so a
 * re-sent command is the same command. Acknowledged → extension_granted; refused, or never
 * acknowledged within the attempts allowed → extension_failed, back to staff.
 */
import { claimLeases, type LeaseRequest } from '../../store/leases.js';
import type { ExtensionCommandTable } from '../../store/schema.js';
import { appendAudit } from '../audit.js';
import { SYSTEM_ORIGIN, type DeskDeps } from '../context.js';
import { movePayoutCase } from './move.js';
import { backoffMs } from './settle.js';

export async function claimExtensions(
  deps: DeskDeps,
  options: LeaseRequest,
): Promise<ExtensionCommandTable[]> {
  const nowMs = deps.clock.nowMs();
  return claimLeases(deps.store, {
    table: 'extensionCommands',
    lease: options,
    nowMs,
    maxBatch: 100,
    due: (query) =>
      query
        .where('status', 'in', ['queued', 'unknown'])
        .where('nextAttemptAtMs', '<=', nowMs)
        .orderBy('nextAttemptAtMs')
        .orderBy('id'),
    load: (trx, ids) =>
      trx
        .selectFrom('extensionCommands')
        .selectAll()
        .where('id', 'in', ids)
        .orderBy('id')
        .execute(),
  });
}

/** Counts an attempt before the command is sent; false when the lease was lost. */
export async function beginExtensionAttempt(
  deps: DeskDeps,
  commandId: string,
  workerId: string,
): Promise<ExtensionCommandTable | undefined> {
  return deps.store.db.transaction().execute(async (trx) => {
    let query = trx.selectFrom('extensionCommands').selectAll().where('id', '=', commandId);
    if (deps.store.engine === 'postgres') query = query.forUpdate();
    const row = await query.executeTakeFirst();
    const nowMs = deps.clock.nowMs();
    if (
      row === undefined ||
      row.leaseOwner !== workerId ||
      (row.leaseUntilMs ?? 0) <= nowMs ||
      (row.status !== 'queued' && row.status !== 'unknown')
    ) {
      return undefined;
    }
    const attempts = row.attempts + 1;
    await trx
      .updateTable('extensionCommands')
      .set({ attempts, status: 'unknown', updatedAtMs: nowMs })
      .where('id', '=', row.id)
      .execute();
    return { ...row, attempts, status: 'unknown' };
  });
}

export type ExtensionAnswer =
  | { readonly kind: 'acknowledged'; readonly acknowledgement: string }
  | { readonly kind: 'rejected'; readonly reason: string }
  | { readonly kind: 'no_answer'; readonly reason: string };

/**
 * Records the seller's answer. `no_answer` is tried again after a back-off until `maxAttempts`,
 * then counts as rejected (never acknowledged).
 */
export async function finishExtensionAttempt(
  deps: DeskDeps,
  input: {
    readonly commandId: string;
    readonly answer: ExtensionAnswer;
    readonly maxAttempts: number;
    readonly backoffBaseMs?: number;
  },
): Promise<ExtensionCommandTable['status']> {
  return deps.store.db.transaction().execute(async (trx) => {
    let query = trx.selectFrom('extensionCommands').selectAll().where('id', '=', input.commandId);
    if (deps.store.engine === 'postgres') query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (row === undefined) throw new Error(`no extension command ${input.commandId}`);
    if (row.status === 'acknowledged' || row.status === 'rejected') return row.status;
    const nowMs = deps.clock.nowMs();
    const { answer } = input;
    if (answer.kind === 'no_answer' && row.attempts < input.maxAttempts) {
      await trx
        .updateTable('extensionCommands')
        .set({
          lastError: answer.reason.slice(0, 500),
          leaseOwner: null,
          leaseUntilMs: null,
          nextAttemptAtMs: nowMs + backoffMs(row.attempts, input.backoffBaseMs),
          updatedAtMs: nowMs,
        })
        .where('id', '=', row.id)
        .execute();
      return row.status;
    }
    const status = answer.kind === 'acknowledged' ? 'acknowledged' : 'rejected';
    const detail =
      answer.kind === 'acknowledged'
        ? null
        : answer.kind === 'rejected'
          ? answer.reason
          : `never acknowledged after ${row.attempts} attempts: ${answer.reason}`;
    await trx
      .updateTable('extensionCommands')
      .set({
        status,
        acknowledgement:
          answer.kind === 'acknowledged' ? answer.acknowledgement.slice(0, 2_000) : null,
        lastError: detail === null ? row.lastError : detail.slice(0, 500),
        leaseOwner: null,
        leaseUntilMs: null,
        settledAtMs: nowMs,
        updatedAtMs: nowMs,
      })
      .where('id', '=', row.id)
      .execute();
    await appendAudit(trx, deps.store.engine, SYSTEM_ORIGIN, nowMs, {
      action: `extension.${status}`,
      entityKind: 'extension_command',
      entityId: row.id,
      before: { status: row.status },
      after: { status, attempts: row.attempts, ...(detail === null ? {} : { reason: detail }) },
    });
    const request = await trx
      .selectFrom('refundRequests')
      .select('state')
      .where('id', '=', row.requestId)
      .executeTakeFirst();
    if (request?.state === 'extension_pending') {
      const moved = await movePayoutCase(trx, deps, {
        requestId: row.requestId,
        event: status === 'acknowledged' ? 'extension_acknowledged' : 'extension_rejected',
        origin: SYSTEM_ORIGIN,
        reason:
          status === 'acknowledged'
            ? "The seller's provisioning system acknowledged the extension."
            : (detail ?? 'rejected'),
      });
      if (!moved.ok) throw new Error(`extension settle: ${moved.error.detail}`);
    }
    return status;
  });
}
