/**
 * Group commit on SQLite (store/sqlite-group-commit.ts): transactions that queue behind each
 * other share one COMMIT, each in its own savepoint; a failing one takes nothing else with it;
 * each resolves only after the COMMIT; a failed COMMIT, or SQLite aborting the transaction, fails
 * every transaction of the group; reads outside transactions never see a group's uncommitted
 * work (the reader connection on a file; waiting for the commit in memory).
 *
 * SQLite only by nature: PostgreSQL runs transactions side by side on a pool instead.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import {
  GroupCommitSqliteDialect,
  type SqliteConnectionLike,
} from '../../src/store/sqlite-group-commit.js';
import { openStore } from '../../src/store/connect.js';
import { cachingStatements } from '../../src/store/sqlite-statements.js';

interface Db {
  t: { v: string };
}

/** The writer's statements as run, in order, with a way to make the next COMMIT fail. */
class Recorder implements SqliteConnectionLike {
  readonly texts: string[] = [];
  failNextCommit = false;

  constructor(private readonly inner: SqliteConnectionLike) {}

  get inTransaction(): boolean {
    return this.inner.inTransaction;
  }

  prepare(text: string) {
    this.texts.push(text);
    if (text === 'commit' && this.failNextCommit) {
      this.failNextCommit = false;
      throw new Error('disk I/O error (injected)');
    }
    return this.inner.prepare(text);
  }

  close(): void {
    this.inner.close();
  }

  count(text: string): number {
    return this.texts.filter((t) => t === text).length;
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A store over one table `t (v text unique)`, on a file (with a reader) or in memory. */
function openGroupStore(kind: 'file' | 'memory', maxTransactionsPerCommit?: number) {
  let path = ':memory:';
  if (kind === 'file') {
    const dir = mkdtempSync(join(tmpdir(), 'group-commit-'));
    dirs.push(dir);
    path = join(dir, 'db.sqlite');
  }
  const raw = new SqliteDatabase(path);
  raw.pragma('journal_mode = WAL');
  raw.exec('create table t (v text not null unique)');
  const writer = new Recorder(cachingStatements(raw));
  const reader =
    kind === 'file' ? cachingStatements(new SqliteDatabase(path, { readonly: true })) : undefined;
  const db = new Kysely<Db>({
    dialect: new GroupCommitSqliteDialect({
      writer,
      ...(reader === undefined ? {} : { reader }),
      ...(maxTransactionsPerCommit === undefined ? {} : { maxTransactionsPerCommit }),
    }),
  });
  /** What another connection sees: committed rows only. */
  const committed = (): string[] => {
    if (path === ':memory:') throw new Error('no second connection to memory');
    const other = new SqliteDatabase(path, { readonly: true });
    try {
      return (other.prepare('select v from t order by v').all() as { v: string }[]).map((r) => r.v);
    } finally {
      other.close();
    }
  };
  return { db, writer, committed };
}

const insert = (db: Kysely<Db>, v: string) => db.insertInto('t').values({ v }).execute();

function gate(): { wait: Promise<void>; open: () => void } {
  let open = () => {};
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

describe('SQLite group commit', () => {
  it('lets transactions that queue up share one COMMIT, every row committed', async () => {
    const { db, writer, committed } = openGroupStore('file');
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => db.transaction().execute((trx) => insert(trx, `r${i}`))),
    );
    expect(committed()).toHaveLength(10);
    // The first transaction starts alone; the nine queued behind it share the next COMMIT.
    expect(writer.count('commit')).toBeLessThanOrEqual(2);
    expect(writer.count('begin immediate')).toBe(writer.count('commit'));
    await db.destroy();
  });

  it('lets transactions begun in separate callbacks of one loop phase share a COMMIT', async () => {
    const { db, writer, committed } = openGroupStore('file');
    // Each runs its whole transaction inside its own callback (better-sqlite3 is synchronous),
    // as requests do whose bytes arrive in one poll phase.
    const done = await new Promise<Promise<unknown>[]>((resolve) => {
      const started: Promise<unknown>[] = [];
      for (const v of ['p', 'q', 'r']) {
        setImmediate(() => {
          started.push(db.transaction().execute((trx) => insert(trx, v)));
          if (started.length === 3) resolve(started);
        });
      }
    });
    await Promise.all(done);
    expect(committed()).toEqual(['p', 'q', 'r']);
    expect(writer.count('commit')).toBe(1);
    await db.destroy();
  });

  it('commits a lone transaction in the next turn of the event loop', async () => {
    const { db, writer, committed } = openGroupStore('file');
    await db.transaction().execute((trx) => insert(trx, 'alone'));
    expect(writer.count('commit')).toBe(1);
    expect(committed()).toEqual(['alone']);
    await db.destroy();
  });

  it('never puts more than maxTransactionsPerCommit transactions in one COMMIT', async () => {
    const { db, writer, committed } = openGroupStore('file', 2);
    await Promise.all(
      Array.from({ length: 7 }, (_, i) => db.transaction().execute((trx) => insert(trx, `r${i}`))),
    );
    expect(committed()).toHaveLength(7);
    expect(writer.count('commit')).toBeGreaterThanOrEqual(4);
    await db.destroy();
  });

  it('rolls a failing transaction back to its savepoint and keeps the others of its group', async () => {
    const { db, committed } = openGroupStore('file');
    const results = await Promise.allSettled([
      db.transaction().execute((trx) => insert(trx, 'a')),
      db.transaction().execute(async (trx) => {
        await insert(trx, 'b');
        throw new Error('refused after writing');
      }),
      db.transaction().execute((trx) => insert(trx, 'a')), // unique: fails on its own statement
      db.transaction().execute((trx) => insert(trx, 'c')),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'rejected',
      'rejected',
      'fulfilled',
    ]);
    expect(committed()).toEqual(['a', 'c']);
    await db.destroy();
  });

  it('resolves a transaction only once its group has committed', async () => {
    const { db, committed } = openGroupStore('file');
    const second = gate();
    const seen: string[][] = [];
    const first = db
      .transaction()
      .execute((trx) => insert(trx, 'first'))
      .then(() => seen.push(committed()));
    // Queued behind the first: joins its group and holds it open until the gate opens.
    const other = db.transaction().execute(async (trx) => {
      await insert(trx, 'second');
      await second.wait;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen).toEqual([]); // the first has ended, but its COMMIT waits for the group
    expect(committed()).toEqual([]);
    second.open();
    await Promise.all([first, other]);
    expect(seen).toEqual([['first', 'second']]);
    await db.destroy();
  });

  it('fails every transaction of the group when the COMMIT fails, and keeps none of it', async () => {
    const { db, writer, committed } = openGroupStore('file');
    await insert(db, 'before');
    writer.failNextCommit = true;
    const results = await Promise.allSettled(
      ['x', 'y', 'z'].map((v) => db.transaction().execute((trx) => insert(trx, v))),
    );
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(committed()).toEqual(['before']);
    // The writer works again afterwards.
    await db.transaction().execute((trx) => insert(trx, 'after'));
    expect(committed()).toEqual(['after', 'before']);
    await db.destroy();
  });

  it('fails the whole group when SQLite itself aborts the transaction', async () => {
    const { db, committed } = openGroupStore('file');
    const results = await Promise.allSettled([
      db.transaction().execute((trx) => insert(trx, 'kept-until-abort')),
      // OR ROLLBACK: a conflict makes SQLite roll back the whole SQL transaction.
      db.transaction().execute(async (trx) => {
        await insert(trx, 'dup');
        await sql`insert or rollback into t (v) values ('dup')`.execute(trx);
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(committed()).toEqual([]);
    await db.transaction().execute((trx) => insert(trx, 'next'));
    expect(committed()).toEqual(['next']);
    await db.destroy();
  });

  it('reads outside transactions from the last commit, never from an open group (file)', async () => {
    const { db } = openGroupStore('file');
    await insert(db, 'old');
    const hold = gate();
    const open = db.transaction().execute(async (trx) => {
      await insert(trx, 'new');
      await hold.wait;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    // The reader answers at once, while the writer is held.
    const rows = await db.selectFrom('t').select('v').orderBy('v').execute();
    expect(rows.map((r) => r.v)).toEqual(['old']);
    hold.open();
    await open;
    const after = await db.selectFrom('t').select('v').orderBy('v').execute();
    expect(after.map((r) => r.v)).toEqual(['new', 'old']);
    await db.destroy();
  });

  it('in memory, a read outside transactions waits for the group and commits it first', async () => {
    const { db, writer } = openGroupStore('memory');
    const hold = gate();
    const open = db.transaction().execute(async (trx) => {
      await insert(trx, 'new');
      await hold.wait;
    });
    const queued = db.transaction().execute((trx) => insert(trx, 'queued'));
    await new Promise((resolve) => setTimeout(resolve, 10));
    const read = db.selectFrom('t').select('v').orderBy('v').execute();
    hold.open();
    const rows = await read;
    await Promise.all([open, queued]);
    expect(rows.map((r) => r.v)).toEqual(['new', 'queued']);
    expect(writer.count('commit')).toBe(1);
    await db.destroy();
  });

  it('commits an open group before a write outside transactions', async () => {
    const { db, writer, committed } = openGroupStore('file');
    const hold = gate();
    const open = db.transaction().execute(async (trx) => {
      await insert(trx, 'in-group');
      await hold.wait;
    });
    const queued = db.transaction().execute((trx) => insert(trx, 'queued'));
    const plain = insert(db, 'plain');
    hold.open();
    await Promise.all([open, queued, plain]);
    expect(committed()).toEqual(['in-group', 'plain', 'queued']);
    // The group (in-group, queued) committed once, then the plain insert on its own.
    expect(writer.count('commit')).toBe(1);
    await db.destroy();
  });

  it('supports savepoints inside a transaction', async () => {
    const { db, committed } = openGroupStore('file');
    const trx = await db.startTransaction().execute();
    await insert(trx, 'kept');
    const inner = await trx.savepoint('inner').execute();
    await insert(inner, 'undone');
    await inner.rollbackToSavepoint('inner').execute();
    await trx.commit().execute();
    expect(committed()).toEqual(['kept']);
    await db.destroy();
  });

  it('streams SELECTs from the reader', async () => {
    const { db } = openGroupStore('file');
    await insert(db, 'a');
    await insert(db, 'b');
    const seen: string[] = [];
    for await (const row of db.selectFrom('t').select('v').orderBy('v').stream()) seen.push(row.v);
    expect(seen).toEqual(['a', 'b']);
    await db.destroy();
  });

  it('keeps the savepoints’ sub-journals in memory on the store’s writer (no temporary files)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'group-commit-'));
    dirs.push(dir);
    const store = openStore({ url: `sqlite:${join(dir, 'desk.sqlite')}` });
    const { rows } = await sql<{ tempStore: number }>`pragma temp_store`.execute(store.db);
    expect(rows).toEqual([{ tempStore: 2 }]); // 2 = MEMORY
    await store.close();
  });
});
