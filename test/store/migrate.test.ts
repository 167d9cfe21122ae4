import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { migrateToLatest } from '../../src/store/migrate.js';
import { describeEachEngine } from '../support/stores.js';

describeEachEngine('migrations', (store) => {
  it('creates every table and is idempotent', async () => {
    const again = await migrateToLatest(store().db, store().engine);
    expect(again.results).toEqual([]);
    const tables = await store().db.introspection.getTables();
    // On PostgreSQL, other test files' schemas live in the same database.
    const schema =
      store().engine === 'postgres'
        ? (await sql<{ s: string }>`select current_schema() as s`.execute(store().db)).rows[0]?.s
        : undefined;
    const names = tables
      .filter((t) => t.schema === schema)
      .map((t) => t.name)
      .filter((n) => !n.startsWith('kysely_'));
    expect(names.sort()).toEqual(
      [
        'api_keys',
        'audit_log',
        'case_approvals',
        'case_findings',
        'case_transitions',
        'chargebacks',
        'compensations',
        'customers',
        'decisions',
        'evidence',
        'extension_commands',
        'host_token_uses',
        'idempotency_keys',
        'incidents',
        'info_requests',
        'notifications',
        'orders',
        'payout_attempts',
        'payout_batches',
        'payouts',
        'plans',
        'policy_versions',
        'provider_events',
        'refund_requests',
        'refunds',
        'reports',
        'sessions',
        'sign_in_links',
        'staff_sign_in_failures',
        'staff_users',
        'timer_effects',
        'timers',
        'usage_readings',
        'webhook_attempts',
        'webhook_deliveries',
        'webhook_endpoints',
      ].sort(),
    );
  });

  it('round-trips integers up to 2^53-1 as numbers', async () => {
    const { db } = store();
    const max = Number.MAX_SAFE_INTEGER;
    await db
      .insertInto('customers')
      .values({
        id: 'c1',
        email: 'a@example.com',
        name: 'A',
        tosBreach: 0,
        stressTesting: 0,
        kycStatus: 'not_required',
        createdAtMs: max,
        updatedAtMs: 0,
      })
      .execute();
    const row = await db
      .selectFrom('customers')
      .selectAll()
      .where('id', '=', 'c1')
      .executeTakeFirstOrThrow();
    expect(row.createdAtMs).toBe(max);
    const count = await db
      .selectFrom('customers')
      .select(sql<number>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
  });
});
