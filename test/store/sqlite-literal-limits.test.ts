/**
 * LIMIT and OFFSET compile to literals on SQLite (store/sqlite-literal-limits.ts), so a bound
 * LIMIT never makes SQLite prepare the statement again on every run; placeholders of prepared
 * queries stay parameters; PostgreSQL keeps bound parameters.
 */
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/connect.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { prepareQuery } from '../../src/store/prepared.js';

const stores: Store[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

async function sqliteStore(): Promise<Store> {
  const store = openStore({ url: ':memory:' });
  stores.push(store);
  await migrateToLatest(store.db, store.engine);
  return store;
}

describe('literal LIMIT and OFFSET on SQLite', () => {
  it('writes integer limits and offsets into the SQL text, not as parameters', async () => {
    const store = await sqliteStore();
    const query = store.db.selectFrom('plans').select('id').orderBy('id').limit(2).offset(3);
    const compiled = query.compile();
    expect(compiled.sql).toMatch(/ limit 2 offset 3$/);
    expect(compiled.parameters).toEqual([]);
  });

  it('returns the same rows as with bound limits', async () => {
    const store = await sqliteStore();
    await sql`insert into customers (id, email, name, kyc_status, tos_breach, stress_testing, created_at_ms, updated_at_ms) values ('c1', 'a@x', 'A', 'none', 0, 0, 1, 1), ('c2', 'b@x', 'B', 'none', 0, 0, 1, 1), ('c3', 'c@x', 'C', 'none', 0, 0, 1, 1)`.execute(
      store.db,
    );
    const rows = await store.db
      .selectFrom('customers')
      .select('id')
      .orderBy('id')
      .limit(1)
      .offset(1)
      .execute();
    expect(rows).toEqual([{ id: 'c2' }]);
  });

  it('keeps other limits parameters: a prepared query’s placeholder, an SQL expression', async () => {
    const store = await sqliteStore();
    const byLimit = prepareQuery((db, p: { n: number }) =>
      db.selectFrom('plans').select('id').orderBy('id').limit(p.n),
    );
    expect(await byLimit.rows(store.db, { n: 5 })).toEqual([]);
    const text = store.db
      .selectFrom('plans')
      .select('id')
      .limit(sql<number>`${5}`)
      .compile();
    expect(text.sql).toMatch(/limit \?$/);
  });
});
