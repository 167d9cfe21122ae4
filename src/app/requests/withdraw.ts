/**
 * Withdrawing a refund request: the customer who owns it, while it is open. The state is
 * re-checked inside the transaction that changes it (and the row locked on PostgreSQL), so a
 * concurrent change cannot be overwritten.
 */
import { transition, type RequestState } from '../../domain/request-state.js';
import type { Result } from '../../engine/index.js';
import { appendAudit } from '../audit.js';
import type { DeskDeps, Origin } from '../context.js';
import { notFound, type RequestError } from './errors.js';
import { lockRequest } from './evidence.js';
import type { WithdrawInput } from './input.js';
import { requestView, type RefundRequestView } from './views.js';

export async function withdrawRequest(
  deps: DeskDeps,
  origin: Origin,
  customerId: string,
  requestId: string,
  input: WithdrawInput,
): Promise<Result<RefundRequestView, RequestError>> {
  const { store } = deps;
  return store.db
    .transaction()
    .execute(async (trx): Promise<Result<RefundRequestView, RequestError>> => {
      const row = await lockRequest(trx, deps, { kind: 'customer', customerId }, requestId);
      if (row === undefined) return { ok: false, error: notFound('refund request') };
      const state = row.state as RequestState;
      const move = transition(state, 'withdraw');
      if (!move.ok) {
        return {
          ok: false,
          error: {
            code: 'request_state_conflict',
            detail: `The request is ${state}; only an open request can be withdrawn.`,
            state,
          },
        };
      }
      const nowMs = deps.clock.nowMs();
      const updated = {
        ...row,
        state: move.to,
        updatedAtMs: nowMs,
        rowVersion: row.rowVersion + 1,
      };
      const changed = await trx
        .updateTable('refundRequests')
        .set({ state: updated.state, updatedAtMs: nowMs, rowVersion: updated.rowVersion })
        .where('id', '=', requestId)
        .where('rowVersion', '=', row.rowVersion)
        .executeTakeFirst();
      if (changed.numUpdatedRows !== 1n)
        throw new Error(`refund request ${requestId} changed concurrently`);
      await appendAudit(trx, store.engine, origin, nowMs, {
        action: 'refund_request.withdrawn',
        entityKind: 'refund_request',
        entityId: requestId,
        before: { state, rowVersion: row.rowVersion },
        after: {
          state: updated.state,
          rowVersion: updated.rowVersion,
          ...(input.reason === null ? {} : { reason: input.reason }),
        },
      });
      return { ok: true, value: requestView(updated) };
    });
}
