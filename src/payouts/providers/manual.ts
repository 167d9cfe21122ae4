/**
 * Manual refunds: crypto payments where the law requires a refund. No API; `refund` records
 * the payout as pending, staff send it (a batch file lists what to send) and mark it paid with
 * the transaction's reference.
 */
import { OfflinePayoutProvider, type OfflinePaymentRecords } from './offline.js';

export class ManualPayoutProvider extends OfflinePayoutProvider {
  constructor(records?: OfflinePaymentRecords) {
    super('manual', records);
  }
}
