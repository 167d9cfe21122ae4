import { expect, it } from 'vitest';
import { verifyAudit } from '../../src/app/audit.js';
import { DEMO_STAFF, isEmpty, loadDemo } from '../../src/runtime/demo.js';
import { deskOver } from '../support/people.js';
import { describeEachEngine } from '../support/stores.js';

describeEachEngine('demo data', (store) => {
  it('loads into an empty desk: every product, an incident, requests in every outcome, a chained audit log', async () => {
    const desk = deskOver(store());
    try {
      expect(await isEmpty(desk.deps)).toBe(true);
      await loadDemo(desk.deps);
      expect(await isEmpty(desk.deps)).toBe(false);

      const { db } = store();
      const products = await db.selectFrom('orders').select('product').distinct().execute();
      expect(products.map((p) => p.product).sort()).toEqual([
        'datacenter',
        'dynamic_residential',
        'mobile_dynamic',
        'mobile_static',
        'static_isp',
        'unlimited',
      ]);
      const incidents = await db.selectFrom('incidents').selectAll().execute();
      expect(incidents).toHaveLength(1);

      const requests = await db
        .selectFrom('refundRequests')
        .innerJoin('decisions', 'decisions.requestId', 'refundRequests.id')
        .select([
          'refundRequests.orderId',
          'refundRequests.state',
          'decisions.outcome',
          'decisions.refundMinor',
        ])
        .orderBy('refundRequests.orderId')
        .execute();
      expect(requests).toEqual([
        { orderId: 'ord_demo_crypto', state: 'denied', outcome: 'denied', refundMinor: 0 },
        {
          orderId: 'ord_demo_incident',
          // Approved at intake; the approval queued its payout in the same transaction.
          state: 'payout_pending',
          outcome: 'full_refund',
          refundMinor: 8_800,
        },
        {
          orderId: 'ord_demo_pending',
          state: 'pending_remediation',
          outcome: 'pending',
          refundMinor: 0,
        },
        // 10 hours of a 30-day period of 3,000,000 JPY: floor(3,000,000 × 10 / 720).
        {
          orderId: 'ord_demo_prorata',
          state: 'prorata_offered',
          outcome: 'prorata',
          refundMinor: 41_666,
        },
        {
          orderId: 'ord_demo_review',
          state: 'in_review',
          outcome: 'manual_review',
          refundMinor: 0,
        },
      ]);

      const admin = await db.selectFrom('staffUsers').select(['email', 'role']).execute();
      expect(admin).toEqual([{ email: DEMO_STAFF.email, role: 'admin' }]);
      const audit = await verifyAudit(db);
      expect(audit.ok).toBe(true);
      expect(audit.entries).toBeGreaterThan(5);
    } finally {
      desk.dispose();
    }
  });
});
