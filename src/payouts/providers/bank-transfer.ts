/**
 * Bank transfers: no API. `refund` records the payout as pending; finance pays it from a batch
 * file (`writePayoutBatchFile`) and staff mark it paid with the bank's reference.
 */
import { createHash } from 'node:crypto';
import { link, mkdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  OfflinePayoutProvider,
  renderPayoutBatchCsv,
  type BatchTotals,
  type OfflinePaymentRecords,
  type PayoutBatch,
} from './offline.js';

export class BankTransferProvider extends OfflinePayoutProvider {
  constructor(records?: OfflinePaymentRecords) {
    super('bank_transfer', records);
  }
}

export interface WrittenBatch {
  readonly path: string;
  readonly fileName: string;
  /** SHA-256 of the file's bytes, hex: finance can check they got the file we wrote. */
  readonly sha256: string;
  readonly lineCount: number;
  readonly totals: BatchTotals;
}

const BATCH_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Writes `payouts-<method>-<batchId>.csv` into `dir`, whole or not at all (a temp file linked
 * into place), and never over an existing batch file of the same id.
 */
export async function writePayoutBatchFile(dir: string, batch: PayoutBatch): Promise<WrittenBatch> {
  if (!BATCH_ID.test(batch.batchId)) throw new Error('batchId must be 1-64 of [A-Za-z0-9_-]');
  const { csv, totals } = renderPayoutBatchCsv(batch);
  const fileName = `payouts-${batch.method}-${batch.batchId}.csv`;
  const path = join(dir, fileName);
  const temp = join(dir, `.${fileName}.${String(process.pid)}.tmp`);
  await mkdir(dir, { recursive: true });
  await writeFile(temp, csv, { flag: 'wx', mode: 0o640 });
  try {
    await link(temp, path);
  } finally {
    await unlink(temp);
  }
  return {
    path,
    fileName,
    sha256: createHash('sha256').update(csv).digest('hex'),
    lineCount: batch.lines.length,
    totals,
  };
}
