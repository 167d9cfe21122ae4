/**
 * Withdrawing a refund request: the customer who owns it, while it is open. The move goes
 * through `moveCase` (src/app/cases/move.ts), which locks the row, re-checks the move with the
 * case table inside the transaction, logs and audits it. A request that is not open answers
 * `request_state_conflict` with its state (this route's code since before the state machine).
 */
import { caseTransaction, moveCase } from '../cases/move.js';
import type { CaseError } from '../cases/errors.js';
import type { Result } from '../../engine/index.js';
import type { DeskDeps, Origin } from '../context.js';
import { notFound, type RequestError } from './errors.js';
import type { WithdrawInput } from './input.js';
import { requestView, type RefundRequestView } from './views.js';

function requestError(error: CaseError): RequestError {
  if (error.code === 'not_found') return notFound('refund request');
  if (error.state !== undefined) {
    return {
      code: 'request_state_conflict',
      detail: `The request is ${error.state}; only an open request can be withdrawn.`,
      state: error.state,
    };
  }
  throw new Error(`withdraw: unexpected ${error.code}: ${error.detail}`);
}

export async function withdrawRequest(
  deps: DeskDeps,
  origin: Origin,
  customerId: string,
  requestId: string,
  input: WithdrawInput,
): Promise<Result<RefundRequestView, RequestError>> {
  const moved = await caseTransaction(deps, (trx) =>
    moveCase(trx, deps, {
      requestId,
      event: 'withdraw',
      actor: origin.actor,
      ip: origin.ip,
      customerId,
      reason: input.reason,
      auditAction: 'refund_request.withdrawn',
    }),
  );
  return moved.ok
    ? { ok: true, value: requestView(moved.value.request) }
    : { ok: false, error: requestError(moved.error) };
}
