/**
 * The reconciler settles payouts whose outcome is unknown (a time-out, a lost response, a worker
 * that died between recording its attempt and recording the answer) and payouts the provider
 * accepted but has not confirmed: it asks the provider (`lookup`) and records what the provider
 * says. It never pays under a new key: when the provider has no refund under the payout's
 * idempotency key, it sends the same instruction again with the same key, which the provider
 * de-duplicates — so whether the first request arrived or not, at most one refund exists.
 */
import type { DeskDeps } from '../app/context.js';
import {
  beginAttempt,
  closeLookupAttempt,
  finishAttempt,
  instructionOf,
} from '../app/payouts/settle.js';
import { callSafely, claimWithProviders, type PayoutWorkerOptions } from './worker.js';

export type ReconcilerOptions = PayoutWorkerOptions;

/** Reconciles one batch of due unknown or pending payouts; returns how many were examined. */
export async function reconcilePayouts(
  deps: DeskDeps,
  options: ReconcilerOptions,
): Promise<number> {
  const backoff =
    options.backoffBaseMs === undefined ? {} : { backoffBaseMs: options.backoffBaseMs };
  let examined = 0;
  const claimed = await claimWithProviders(deps, options, ['unknown', 'pending']);
  for (const { claim, provider } of claimed) {
    const asked = await beginAttempt(deps, {
      payoutId: claim.id,
      workerId: options.workerId,
      kind: 'lookup',
      expect: ['unknown', 'pending'],
    });
    if (asked === undefined) continue;
    examined += 1;
    const found = await callSafely(() => provider.lookup(instructionOf(asked.payout)));
    if (found.kind !== 'not_found' || asked.payout.status !== 'unknown') {
      await finishAttempt(deps, { payoutId: claim.id, seq: asked.seq, outcome: found, ...backoff });
      continue;
    }
    // The provider has no refund under this key: send the same instruction, same key. The
    // lookup attempt stays open until the refund attempt's outcome is recorded with it.
    await closeLookupAttempt(deps, claim.id, asked.seq);
    const resent = await beginAttempt(deps, {
      payoutId: claim.id,
      workerId: options.workerId,
      kind: 'refund',
      expect: ['unknown'],
    });
    if (resent === undefined) continue;
    await options.onStep?.('before_call', claim.id);
    const outcome = await callSafely(() => provider.refund(instructionOf(resent.payout)));
    await options.onStep?.('after_call', claim.id);
    await finishAttempt(deps, { payoutId: claim.id, seq: resent.seq, outcome, ...backoff });
    await options.onStep?.('after_record', claim.id);
  }
  return examined;
}
