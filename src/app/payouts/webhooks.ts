/**
 * Provider webhooks, after the adapter verified the signature (src/payouts/providers/): each
 * event is applied at most once — the `provider_events` row keyed by the provider's event id
 * is inserted first, and a second delivery of the same event finds it and changes nothing — and
 * reordering is harmless, because payout states only move forward (a late `pending` after
 * `succeeded` is recorded and ignored).
 */
import type { DeskDeps } from '../context.js';
import type { VerifiedProviderEvent } from './provider.js';
import { applyOutcome, findPayoutForUpdate } from './settle.js';

export type ProviderEventResult =
  /** Seen before: nothing changed. */
  | 'duplicate'
  /** Moved the payout forward. */
  | 'applied'
  /** Stated nothing new (a state the payout has passed, or not about a refund). */
  | 'ignored'
  /** About a refund we do not know. */
  | 'unmatched';

const PROVIDER_ORIGIN = (provider: string) => ({
  actor: { kind: 'system', id: `provider:${provider}` } as const,
  ip: null,
});

/** Applies a verified provider event idempotently; returns what it did. */
export async function applyProviderEvent(
  deps: DeskDeps,
  event: VerifiedProviderEvent,
): Promise<ProviderEventResult> {
  return deps.store.db.transaction().execute(async (trx) => {
    const nowMs = deps.clock.nowMs();
    const inserted = await trx
      .insertInto('providerEvents')
      .values({
        provider: event.provider,
        eventId: event.eventId,
        payoutId: null,
        type: event.eventType,
        result: 'received',
        payloadJson: JSON.stringify(event),
        receivedAtMs: nowMs,
      })
      .onConflict((oc) => oc.columns(['provider', 'eventId']).doNothing())
      .executeTakeFirst();
    if (inserted.numInsertedOrUpdatedRows === 0n) return 'duplicate';
    const record = async (result: ProviderEventResult, payoutId: string | null) => {
      await trx
        .updateTable('providerEvents')
        .set({ result, payoutId })
        .where('provider', '=', event.provider)
        .where('eventId', '=', event.eventId)
        .execute();
      return result;
    };
    const refund = event.refund;
    if (refund === null) return record('ignored', null);
    let payoutId: string | undefined = refund.refundId ?? undefined;
    if (payoutId === undefined) {
      const byProviderId = await trx
        .selectFrom('payouts')
        .select('id')
        .where('providerRefundId', '=', refund.providerRefundId)
        .executeTakeFirst();
      payoutId = byProviderId?.id;
    }
    const payout =
      payoutId === undefined ? undefined : await findPayoutForUpdate(trx, deps, payoutId);
    if (payout === undefined) return record('unmatched', null);
    if (refund.amountMinor !== payout.amountMinor || refund.currency !== payout.currency) {
      // Not what we asked for: keep it for staff, change nothing.
      return record('ignored', payout.id);
    }
    const before = payout.status;
    const after = await applyOutcome(
      trx,
      deps,
      payout,
      refund.outcome,
      PROVIDER_ORIGIN(event.provider),
    );
    return record(after === before ? 'ignored' : 'applied', payout.id);
  });
}
