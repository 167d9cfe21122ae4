/**
 * `refund-desk payouts batch --method bank_transfer --out DIR`: puts the payouts that wait to be
 * paid (and are in no batch yet) into a new batch, writes its CSV into DIR with
 * `writePayoutBatchFile` (whole or not at all, never over another file) and prints the file's
 * path, SHA-256 and totals. The desk holds no bank details: finance pays each line to the
 * account they hold for the order's customer, then staff mark the payout paid with the bank's
 * reference. Exit status: 0 written, 1 nothing waits to be batched, 2 DIR is not writable.
 *
 * The batch is committed before the file is written; should writing fail after all, the same
 * bytes stay available from `GET /v1/payout-batches/{id}/file`.
 */
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { decimalAmount } from '../payouts/providers/amounts.js';
import { writePayoutBatchFile } from '../payouts/providers/bank-transfer.js';
import { renderPayoutBatchCsv } from '../payouts/providers/offline.js';
import { createPayoutBatch, type BatchMethod } from '../app/payouts/batches.js';
import type { DeskDeps, Origin } from '../app/context.js';

export const BATCH_CLI_ORIGIN: Origin = { actor: { kind: 'system', id: 'cli' }, ip: null };

export const EXIT_BATCH_WRITTEN = 0;
export const EXIT_NOTHING_TO_BATCH = 1;
export const EXIT_BATCH_DIR_UNWRITABLE = 2;

export interface BatchCommandOutput {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
}

export async function runPayoutBatchCommand(
  deps: DeskDeps,
  options: { readonly method: BatchMethod; readonly outDir: string; readonly origin?: Origin },
  output: BatchCommandOutput,
): Promise<number> {
  try {
    await mkdir(options.outDir, { recursive: true });
    await access(options.outDir, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unwritable';
    output.stderr(`refund-desk: cannot write to ${options.outDir} (${code}); no batch made`);
    return EXIT_BATCH_DIR_UNWRITABLE;
  }
  const created = await createPayoutBatch(
    deps,
    options.origin ?? BATCH_CLI_ORIGIN,
    options.method,
    renderPayoutBatchCsv,
  );
  if (!created.ok) {
    output.stderr(`refund-desk: ${created.error.detail}`);
    return EXIT_NOTHING_TO_BATCH;
  }
  const { batch, lines } = created.value;
  const written = await writePayoutBatchFile(options.outDir, {
    batchId: batch.id,
    method: batch.method,
    lines,
  });
  if (written.sha256 !== batch.sha256) {
    throw new Error(`payout batch ${batch.id}: the written file does not match its SHA-256`);
  }
  output.stdout(written.path);
  output.stdout(`batch ${batch.id}: ${batch.lineCount} lines, sha256 ${batch.sha256}`);
  for (const [currency, totalMinor] of Object.entries(batch.totals)) {
    output.stdout(`total ${currency} ${decimalAmount(totalMinor, currency)} (${totalMinor} minor)`);
  }
  output.stderr(
    'no bank details are held: pay each line to the account finance holds for its customer and order, then mark it paid with the bank reference',
  );
  return EXIT_BATCH_WRITTEN;
}
