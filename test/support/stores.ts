/**
 * Every persistence test runs on both engines: SQLite (a temp file) and PostgreSQL (its own
 * schema per test file in the database at TEST_DATABASE_URL, by default the CI machine's
 * 127.0.0.1:5432/test). PostgreSQL being unreachable fails the suite; it never skips.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import { openStore, type Engine, type Store } from '../../src/store/connect.js';
import { migrateToLatest } from '../../src/store/migrate.js';

export const ENGINES: readonly Engine[] = ['sqlite', 'postgres'];
export const TEST_DATABASE_URL =
  process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestStore extends Store {
  /** Removes the schema or file. */
  dispose(): Promise<void>;
}

/** A new, empty PostgreSQL schema of its own in the test database; the caller drops it. */
export async function createTestSchema(): Promise<string> {
  const schema = `t_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  return schema;
}

/** `poolSize`: PostgreSQL connections (SQLite has one). */
export async function openTestStore(
  engine: Engine,
  options: { readonly poolSize?: number } = {},
): Promise<TestStore> {
  if (engine === 'postgres') {
    const schema = await createTestSchema();
    const store = openStore({ url: TEST_DATABASE_URL, schema, ...options });
    await migrateToLatest(store.db, store.engine);
    return {
      ...store,
      async dispose() {
        await sql.raw(`DROP SCHEMA ${schema} CASCADE`).execute(store.db);
        await store.close();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'refund-desk-test-'));
  const store = openStore({ url: `sqlite:${join(dir, 'test.sqlite')}` });
  await migrateToLatest(store.db);
  return {
    ...store,
    async dispose() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * `describeEachEngine('facts', (store) => { it(...) })`: the block runs once per engine, with a
 * freshly migrated store (call `store()` inside tests).
 */
export function describeEachEngine(name: string, body: (store: () => TestStore) => void): void {
  for (const engine of ENGINES) {
    describe(`${name} [${engine}]`, () => {
      let current: TestStore | undefined;
      beforeAll(async () => {
        current = await openTestStore(engine);
      });
      afterAll(async () => {
        await current?.dispose();
      });
      body(() => {
        if (current === undefined) throw new Error('store not open yet');
        return current;
      });
    });
  }
}
