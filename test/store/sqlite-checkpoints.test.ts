/**
 * Background WAL checkpoints (store/sqlite-checkpoints.ts, `sqliteCheckpoints: 'background'`):
 * committed pages reach the database file without any commit running a checkpoint, the main
 * connection's own checkpoint is only a backstop, and closing the store stops the worker.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/connect.js';
import { BACKSTOP_PAGES } from '../../src/store/sqlite-checkpoints.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A store on a fresh file with one table of ~2 MB committed (about 500 pages: no inline checkpoint). */
async function storeWithData(
  checkpoints: 'inline' | 'background',
): Promise<{ store: Store; path: string; sizeBefore: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'refund-desk-ckpt-'));
  dirs.push(dir);
  const path = join(dir, 'db.sqlite');
  const store = openStore({ url: `sqlite:${path}`, sqliteCheckpoints: checkpoints });
  await sql`create table blobs (v text)`.execute(store.db);
  // The first checkpoint may already have copied the table's creation.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const sizeBefore = statSync(path).size;
  await store.db.transaction().execute(async (trx) => {
    for (let i = 0; i < 500; i += 1) {
      await sql`insert into blobs (v) values (${'x'.repeat(4000)})`.execute(trx);
    }
  });
  return { store, path, sizeBefore };
}

async function grows(path: string, from: number, withinMs: number): Promise<boolean> {
  const until = Date.now() + withinMs;
  while (Date.now() < until) {
    if (statSync(path).size > from + 1_000_000) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

describe('SQLite WAL checkpoints', () => {
  it('background: a worker copies committed pages into the database file', async () => {
    const { store, path, sizeBefore } = await storeWithData('background');
    try {
      const rows = await sql<{
        wal_autocheckpoint: number;
      }>`pragma wal_autocheckpoint`.execute(store.db);
      expect(Object.values(rows.rows[0] ?? {})).toEqual([BACKSTOP_PAGES]);
      expect(await grows(path, sizeBefore, 3_000)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('inline (the default): the same commit leaves the file as it was until a checkpoint is due', async () => {
    const { store, path, sizeBefore } = await storeWithData('inline');
    try {
      expect(await grows(path, sizeBefore, 500)).toBe(false);
    } finally {
      await store.close();
    }
    // Closing the last connection checkpoints everything.
    expect(statSync(path).size).toBeGreaterThan(sizeBefore + 1_000_000);
  });

  it('an in-memory database has no file to checkpoint: background is ignored', async () => {
    const store = openStore({ url: ':memory:', sqliteCheckpoints: 'background' });
    await sql`select 1`.execute(store.db);
    await store.close();
  });
});
