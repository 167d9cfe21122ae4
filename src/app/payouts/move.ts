/**
 * A case move asked for by the payout use cases (settling, retrying, the customer's choice):
 * through `moveCase`, the only way a case changes state after intake.
 */
import type { Transaction } from 'kysely';
import type { CaseEvent } from '../../domain/case-state.js';
import type { Database } from '../../store/schema.js';
import type { DeskDeps, Origin } from '../context.js';
import { moveCase, type Moved } from '../cases/move.js';
import type { CaseResult } from '../cases/errors.js';

export interface PayoutCaseMove {
  readonly requestId: string;
  readonly event: CaseEvent;
  readonly origin: Origin;
  readonly reason: string;
  /** A customer acting: only their own case. */
  readonly customerId?: string;
}

export async function movePayoutCase(
  trx: Transaction<Database>,
  deps: DeskDeps,
  move: PayoutCaseMove,
): Promise<CaseResult<Moved>> {
  return moveCase(trx, deps, {
    requestId: move.requestId,
    event: move.event,
    actor: move.origin.actor,
    ip: move.origin.ip,
    reason: move.reason,
    ...(move.customerId === undefined ? {} : { customerId: move.customerId }),
  });
}
