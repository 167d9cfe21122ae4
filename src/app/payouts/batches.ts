/**
 * Payout batches: the file the finance team pays bank transfers from (and staff pay manual
 * refunds from). A batch takes, in one transaction, the payouts of one offline method that were
 * handed to the offline provider and wait to be marked paid (`pending`) and are in no batch yet,
 * stamps them with the batch's id (set once: a payout is in at most one batch), stores the
 * batch's line count, totals per currency and the SHA-256 of its CSV, and audits all of it.
 *
 * The CSV itself is rendered by the edge's renderer (`renderPayoutBatchCsv` in
 * src/payouts/providers/offline.ts, handed in as `render`): from the payouts of a batch, which
 * never change the fields a line is made of, so the file can be rendered again at any time and
 * has the same bytes and SHA-256.
 *
 * We hold no bank details (no IBAN, no account number): a line names the refund, the order, the
 * customer, the amount and the reference the transfer must carry; finance pays the account they
 * hold for that customer and order in their own system, then staff mark the payout paid with the
 * bank's reference (`markPayoutPaid`).
 *
 * Concurrency: on PostgreSQL the candidates are locked `FOR UPDATE SKIP LOCKED` (two batches
 * made at once take disjoint payouts), and the stamp re-checks `batch_id IS NULL`. On SQLite the
 * first statement is a write (the batch row), which takes the database's write lock before
 * anything is read.
 */
import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Result } from '../../engine/index.js';
import type { Database, PayoutBatchTable } from '../../store/schema.js';
import { appendAuditMany, canonicalJson, type AuditChange } from '../audit.js';
import type { Actor, DeskDeps, Origin } from '../context.js';
import { newId } from '../ids.js';

export const BATCH_METHODS = ['bank_transfer', 'manual'] as const;
export type BatchMethod = (typeof BATCH_METHODS)[number];

/** Lines per batch: the renderer's cap. More waiting payouts go into the next batch. */
export const MAX_LINES_PER_BATCH = 5_000;
export const PAYOUT_BATCH_LIST_LIMITS = { defaultLimit: 20, maxLimit: 100 } as const;

/** One line of a batch file (structurally the renderer's `PayoutBatchLine`). */
export interface BatchLine {
  readonly refundId: string;
  readonly orderId: string;
  readonly customerId: string;
  /** The original payment's reference (the incoming transfer, or the chain transaction). */
  readonly chargeRef: string;
  readonly amountMinor: number;
  readonly currency: string;
}

export interface BatchFileInput {
  readonly batchId: string;
  readonly method: BatchMethod;
  readonly lines: readonly BatchLine[];
}

/** The port: renders a batch's CSV deterministically (the same lines in any order, same bytes). */
export type RenderBatchFile = (batch: BatchFileInput) => { readonly csv: string };

export interface PayoutBatchView {
  readonly id: string;
  readonly method: BatchMethod;
  readonly lineCount: number;
  /** Totals per currency, in minor units. */
  readonly totals: Readonly<Record<string, number>>;
  readonly sha256: string;
  readonly fileName: string;
  readonly createdAt: string;
  readonly createdBy: string;
}

export interface CreatedBatch {
  readonly batch: PayoutBatchView;
  readonly lines: readonly BatchLine[];
}

export interface PayoutBatchFile {
  readonly batch: PayoutBatchView;
  readonly fileName: string;
  readonly csv: string;
}

export type PayoutBatchError =
  | { readonly code: 'nothing_to_batch'; readonly detail: string }
  | { readonly code: 'not_found'; readonly detail: string };

/** `payouts-<method>-<batchId>.csv`, as `writePayoutBatchFile` names it. */
export function batchFileName(method: string, batchId: string): string {
  return `payouts-${method}-${batchId}.csv`;
}

export function payoutBatchView(row: PayoutBatchTable): PayoutBatchView {
  return {
    id: row.id,
    method: row.method,
    lineCount: row.lineCount,
    totals: JSON.parse(row.totalsJson) as Record<string, number>,
    sha256: row.sha256,
    fileName: batchFileName(row.method, row.id),
    createdAt: new Date(row.createdAtMs).toISOString(),
    createdBy: row.createdBy,
  };
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function actorLabel(actor: Actor): string {
  return `${actor.kind}:${actor.id}`;
}

/** Totals per currency; a sum beyond 2^53 − 1 is a bug. */
function totalsOf(lines: readonly BatchLine[]): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const line of lines) {
    const total = (totals[line.currency] ?? 0) + line.amountMinor;
    if (!Number.isSafeInteger(total)) throw new Error(`the ${line.currency} total is too large`);
    totals[line.currency] = total;
  }
  return totals;
}

/** The lines of a batch, from its payouts (and their requests' customers), ordered by id. */
async function batchLines(
  db: Kysely<Database> | Transaction<Database>,
  batchId: string,
): Promise<BatchLine[]> {
  return db
    .selectFrom('payouts')
    .innerJoin('refundRequests', 'refundRequests.id', 'payouts.requestId')
    .select([
      'payouts.id as refundId',
      'payouts.orderId',
      'refundRequests.customerId',
      'payouts.chargeRef',
      'payouts.amountMinor',
      'payouts.currency',
    ])
    .where('payouts.batchId', '=', batchId)
    .orderBy('payouts.id')
    .limit(MAX_LINES_PER_BATCH + 1)
    .execute();
}

/** Thrown inside the transaction to roll the empty batch row back. */
class NothingToBatch extends Error {}

/**
 * Makes a batch of the `method`'s payouts that wait to be paid and are in no batch yet (oldest
 * first, at most `MAX_LINES_PER_BATCH`). `nothing_to_batch` when there are none (nothing is
 * written).
 */
export async function createPayoutBatch(
  deps: DeskDeps,
  origin: Origin,
  method: BatchMethod,
  render: RenderBatchFile,
): Promise<Result<CreatedBatch, PayoutBatchError>> {
  try {
    const created = await deps.store.db.transaction().execute(async (trx) => {
      const nowMs = deps.clock.nowMs();
      const id = newId('pb', nowMs);
      // The write first: on SQLite it takes the write lock before anything is read.
      await trx
        .insertInto('payoutBatches')
        .values({
          id,
          method,
          createdAtMs: nowMs,
          createdBy: actorLabel(origin.actor),
          lineCount: 0,
          totalsJson: '{}',
          sha256: '',
        })
        .execute();
      let candidates = trx
        .selectFrom('payouts')
        .select('id')
        .where('method', '=', method)
        .where('status', '=', 'pending')
        .where('batchId', 'is', null)
        .orderBy('id')
        .limit(MAX_LINES_PER_BATCH);
      if (deps.store.engine === 'postgres') candidates = candidates.forUpdate().skipLocked();
      const ids = (await candidates.execute()).map((row) => row.id);
      if (ids.length === 0) throw new NothingToBatch();
      // Re-checked in the stamp itself: never a payout already in a batch, or no longer waiting.
      await trx
        .updateTable('payouts')
        .set({ batchId: id, updatedAtMs: nowMs })
        .where('id', 'in', ids)
        .where('batchId', 'is', null)
        .where('status', '=', 'pending')
        .execute();
      const lines = await batchLines(trx, id);
      if (lines.length === 0) throw new NothingToBatch();
      if (lines.length > MAX_LINES_PER_BATCH) throw new Error(`batch ${id} is over its cap`);
      const totals = totalsOf(lines);
      const sha256 = sha256Hex(render({ batchId: id, method, lines }).csv);
      const totalsJson = canonicalJson(totals);
      await trx
        .updateTable('payoutBatches')
        .set({ lineCount: lines.length, totalsJson, sha256 })
        .where('id', '=', id)
        .execute();
      const changes: AuditChange[] = [
        {
          action: 'payout_batch.created',
          entityKind: 'payout_batch',
          entityId: id,
          after: { method, lineCount: lines.length, totals, sha256 },
        },
        ...lines.map((line): AuditChange => ({
          action: 'payout.batched',
          entityKind: 'payout',
          entityId: line.refundId,
          before: { batchId: null },
          after: { batchId: id },
        })),
      ];
      await appendAuditMany(trx, deps.store.engine, origin, nowMs, changes);
      const row: PayoutBatchTable = {
        id,
        method,
        createdAtMs: nowMs,
        createdBy: actorLabel(origin.actor),
        lineCount: lines.length,
        totalsJson,
        sha256,
      };
      return { batch: payoutBatchView(row), lines };
    });
    return { ok: true, value: created };
  } catch (error) {
    if (error instanceof NothingToBatch) {
      return {
        ok: false,
        error: {
          code: 'nothing_to_batch',
          detail: `No ${method} payout waits to be paid outside a batch.`,
        },
      };
    }
    throw error;
  }
}

export interface PayoutBatchListQuery {
  readonly limit: number;
  /** Batches made before this id (the page cursor; ids are time-ordered). */
  readonly before: string | undefined;
}

/** Batches newest first. */
export async function listPayoutBatches(
  db: Kysely<Database>,
  query: PayoutBatchListQuery,
): Promise<{ items: PayoutBatchView[]; next: string | null }> {
  const limit = Math.min(Math.max(1, query.limit), PAYOUT_BATCH_LIST_LIMITS.maxLimit);
  let select = db
    .selectFrom('payoutBatches')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(limit + 1);
  if (query.before !== undefined) select = select.where('id', '<', query.before);
  const rows = await select.execute();
  const page = rows.slice(0, limit);
  return {
    items: page.map(payoutBatchView),
    next: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
  };
}

/**
 * A batch's file, rendered again from its payouts: the same bytes as when it was made (its
 * SHA-256 is checked against the stored one; a difference is a bug and throws).
 */
export async function readPayoutBatchFile(
  db: Kysely<Database>,
  batchId: string,
  render: RenderBatchFile,
): Promise<Result<PayoutBatchFile, PayoutBatchError>> {
  const row = await db
    .selectFrom('payoutBatches')
    .selectAll()
    .where('id', '=', batchId)
    .executeTakeFirst();
  if (row === undefined) {
    return { ok: false, error: { code: 'not_found', detail: 'No payout batch with that id.' } };
  }
  const lines = await batchLines(db, row.id);
  const { csv } = render({ batchId: row.id, method: row.method, lines });
  const sha256 = sha256Hex(csv);
  if (sha256 !== row.sha256 || lines.length !== row.lineCount) {
    throw new Error(`payout batch ${row.id}: the file no longer matches its SHA-256`);
  }
  const batch = payoutBatchView(row);
  return { ok: true, value: { batch, fileName: batch.fileName, csv } };
}
