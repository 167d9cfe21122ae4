/**
 * Payouts and extension commands this process cannot send, because nothing is configured to
 * send them (a card payout without STRIPE_API_KEY, a PayPal payout without PAYPAL_CLIENT_ID, an
 * extension without SELLER_EXTENSION_URL).
 *
 * Such a payout stays `queued` — never failed, never sent, so it can be neither lost nor paid
 * twice — and says why on the payout itself: `failureCode` `no_provider` and `failureReason`
 * "no provider configured for card", which staff see in `GET /v1/payouts?status=queued`. The
 * note is audited once when it is set and once when it is lifted: as soon as a worker with that
 * method's provider runs, it lifts the note and delivers the payout as usual. Every worker
 * process should have the same provider configuration, or they will take turns setting and
 * lifting the note (harmless, but noisy in the audit log).
 *
 * Extension commands stay `queued` with the same kind of note in `lastError`.
 */
import type { Transaction } from 'kysely';
import type { Database } from '../../store/schema.js';
import { appendAudit } from '../audit.js';
import { SYSTEM_ORIGIN, type DeskDeps } from '../context.js';
import { PAYOUT_METHODS, type PayoutMethod } from './provider.js';

export const NO_PROVIDER_CODE = 'no_provider';
export const NO_SELLER_NOTE =
  'no seller provisioning system configured (SELLER_EXTENSION_URL): the command waits, queued';
/** Rows noted or released per call; the rest wait for the next pass. */
export const HOLD_BATCH = 100;

export function noProviderReason(method: string): string {
  return `no provider configured for ${method}`;
}

export interface HoldCounts {
  /** Queued payouts newly noted as having no provider. */
  readonly held: number;
  /** Queued payouts whose note was lifted because their provider is now configured. */
  readonly released: number;
}

async function lockQueued(
  trx: Transaction<Database>,
  deps: DeskDeps,
  filter: { readonly held: boolean; readonly methods: readonly string[] },
): Promise<Array<{ id: string; method: string }>> {
  if (filter.methods.length === 0) return [];
  let query = trx
    .selectFrom('payouts')
    .select(['id', 'method'])
    .where('status', '=', 'queued')
    .where('method', 'in', filter.methods)
    .where('failureCode', filter.held ? '=' : 'is', filter.held ? NO_PROVIDER_CODE : null)
    .orderBy('id')
    .limit(HOLD_BATCH);
  if (deps.store.engine === 'postgres') query = query.forUpdate().skipLocked();
  return query.execute();
}

/**
 * Notes queued payouts whose method has no provider here, and lifts the note from those whose
 * method has one now. `configured`: the methods this process has a provider for.
 */
export async function notePayoutsWithoutProvider(
  deps: DeskDeps,
  configured: readonly PayoutMethod[],
): Promise<HoldCounts> {
  const missing = PAYOUT_METHODS.filter((method) => !configured.includes(method));
  return deps.store.db.transaction().execute(async (trx) => {
    const nowMs = deps.clock.nowMs();
    const toHold = await lockQueued(trx, deps, { held: false, methods: missing });
    const toRelease = await lockQueued(trx, deps, { held: true, methods: configured });
    for (const row of toHold) {
      const reason = noProviderReason(row.method);
      await trx
        .updateTable('payouts')
        .set({ failureCode: NO_PROVIDER_CODE, failureReason: reason, updatedAtMs: nowMs })
        .where('id', '=', row.id)
        .where('status', '=', 'queued')
        .execute();
      await appendAudit(trx, deps.store.engine, SYSTEM_ORIGIN, nowMs, {
        action: 'payout.held',
        entityKind: 'payout',
        entityId: row.id,
        before: { status: 'queued', failureCode: null },
        after: { status: 'queued', failureCode: NO_PROVIDER_CODE, reason },
      });
    }
    for (const row of toRelease) {
      await trx
        .updateTable('payouts')
        .set({ failureCode: null, failureReason: null, updatedAtMs: nowMs })
        .where('id', '=', row.id)
        .where('status', '=', 'queued')
        .execute();
      await appendAudit(trx, deps.store.engine, SYSTEM_ORIGIN, nowMs, {
        action: 'payout.released',
        entityKind: 'payout',
        entityId: row.id,
        before: { status: 'queued', failureCode: NO_PROVIDER_CODE },
        after: {
          status: 'queued',
          failureCode: null,
          reason: `a ${row.method} provider is configured`,
        },
      });
    }
    return { held: toHold.length, released: toRelease.length };
  });
}

/**
 * Notes queued extension commands that wait for a seller system (`sellerConfigured` false), or
 * clears that note (true). Returns how many rows changed.
 */
export async function noteExtensionsWithoutSeller(
  deps: DeskDeps,
  sellerConfigured: boolean,
): Promise<number> {
  const { db } = deps.store;
  const ids = (
    await db
      .selectFrom('extensionCommands')
      .select('id')
      .where('status', '=', 'queued')
      .where('lastError', sellerConfigured ? '=' : 'is', sellerConfigured ? NO_SELLER_NOTE : null)
      .orderBy('id')
      .limit(HOLD_BATCH)
      .execute()
  ).map((row) => row.id);
  if (ids.length === 0) return 0;
  const result = await db
    .updateTable('extensionCommands')
    .set({
      lastError: sellerConfigured ? null : NO_SELLER_NOTE,
      updatedAtMs: deps.clock.nowMs(),
    })
    .where('id', 'in', ids)
    .where('status', '=', 'queued')
    .where('lastError', sellerConfigured ? '=' : 'is', sellerConfigured ? NO_SELLER_NOTE : null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
