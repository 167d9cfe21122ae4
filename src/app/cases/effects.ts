/**
 * What follows a case's move, inside the transaction that performs it. `moveCase`
 * (app/cases/move.ts) calls `onCaseTransition` after it has written the transition, so every
 * side effect is committed together with the state change (a transactional outbox): timers
 * to schedule or cancel, notifications and webhook deliveries to queue, a payout instruction
 * to create. Workers deliver them after the commit; nothing here talks to the network.
 */
import type { Transaction } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { CaseTransitionRecord } from '../case-transition.js';
import { planCaseTimers } from '../case-timers.js';
import type { DeskDeps } from '../context.js';
import { queueCaseNotifications } from '../notify/queue.js';
import { payoutEffects } from '../payouts/outbox.js';
import { queueWebhookDeliveries } from '../webhooks/deliveries.js';

/** One row of a case's state log (defined in app/case-transition.ts, re-exported here). */
export type { CaseTransitionRecord };

export async function onCaseTransition(
  trx: Transaction<Database>,
  deps: DeskDeps,
  transition: CaseTransitionRecord,
): Promise<void> {
  // Timers to schedule or cancel, mail and webhook deliveries to queue (app/case-timers.ts,
  // app/notify, app/webhooks) — before the payout side, whose own follow-up move (start_payout)
  // runs these effects again, so deliveries are written in the order of the state log.
  await planCaseTimers(trx, deps, transition);
  await queueCaseNotifications(trx, deps, transition);
  await queueWebhookDeliveries(trx, deps, transition);
  await payoutEffects(trx, deps, transition, onCaseTransition);
}
