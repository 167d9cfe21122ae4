/**
 * Prepared queries (store/prepared.ts): compiled once per database, run with each call's
 * parameters on both engines, fixed values kept, results through the CamelCasePlugin; a missing
 * parameter is a bug; multi-row inserts per shape, rows that differ refused. Plus the statement
 * cache's `begin immediate` on SQLite (store/sqlite-statements.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { prepareInsert, prepareQuery } from '../../src/store/prepared.js';
import type { StaffUserTable } from '../../src/store/schema.js';
import { cachingStatements } from '../../src/store/sqlite-statements.js';
import { describeEachEngine } from '../support/stores.js';

const insertStaff = prepareInsert('staffUsers', 3);

type Role = StaffUserTable['role'];

const staffByRole = prepareQuery((db, p: { role: Role; after: string }) =>
  db
    .selectFrom('staffUsers')
    .select(['id', 'passwordHash', 'disabledAtMs'])
    .where('role', '=', p.role)
    .where('id', '>', p.after)
    .orderBy('id')
    .limit(2),
);

const disableStaff = prepareQuery((db, p: { id: string; atMs: number }) =>
  db.updateTable('staffUsers').set({ disabledAtMs: p.atMs }).where('id', '=', p.id),
);

function staff(id: string, role: Role, disabledAtMs?: number | null): StaffUserTable {
  return {
    id,
    email: `${id}@example.com`,
    name: id,
    role,
    passwordHash: `hash-${id}`,
    createdAtMs: 1,
    ...(disabledAtMs === undefined ? {} : { disabledAtMs }),
  } as StaffUserTable;
}

describeEachEngine('prepared queries', (store) => {
  it('run with each call’s parameters; fixed values stay; rows come back camel-cased', async () => {
    const { db } = store();
    await insertStaff.run(db, [staff('s1', 'agent', null), staff('s2', 'agent', null)]);
    await insertStaff.run(db, [staff('s3', 'agent', null), staff('s4', 'approver', 5)]);
    await insertStaff.run(db, [staff('s5', 'agent')]); // disabledAtMs left out: its default
    expect(await staffByRole.rows(db, { role: 'agent', after: '' })).toEqual([
      { id: 's1', passwordHash: 'hash-s1', disabledAtMs: null },
      { id: 's2', passwordHash: 'hash-s2', disabledAtMs: null },
    ]);
    // limit(2) is part of the compiled query; the parameters are this call's.
    expect(await staffByRole.rows(db, { role: 'agent', after: 's2' })).toEqual([
      { id: 's3', passwordHash: 'hash-s3', disabledAtMs: null },
      { id: 's5', passwordHash: 'hash-s5', disabledAtMs: null },
    ]);
    expect(await staffByRole.first(db, { role: 'approver', after: '' })).toEqual({
      id: 's4',
      passwordHash: 'hash-s4',
      disabledAtMs: 5,
    });
    expect(await staffByRole.first(db, { role: 'admin', after: '' })).toBeUndefined();
    const changed = await disableStaff.run(db, { id: 's1', atMs: 9 });
    expect(changed.numAffectedRows).toBe(1n);
    expect((await staffByRole.first(db, { role: 'agent', after: '' }))?.disabledAtMs).toBe(9);
  });

  it('run inside a transaction on its connection, and roll back with it', async () => {
    const { db } = store();
    await expect(
      db.transaction().execute(async (trx) => {
        await insertStaff.run(trx, [staff('t1', 'admin', null)]);
        expect(await staffByRole.first(trx, { role: 'admin', after: '' })).toMatchObject({
          id: 't1',
        });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await staffByRole.first(db, { role: 'admin', after: '' })).toBeUndefined();
  });

  it('a missing parameter, too many rows or rows of different columns are bugs', async () => {
    const { db } = store();
    await expect(staffByRole.rows(db, { role: 'agent' } as never)).rejects.toThrow(
      /parameter after is missing/,
    );
    await expect(
      insertStaff.run(db, [
        staff('u1', 'agent'),
        staff('u2', 'agent'),
        staff('u3', 'agent'),
        staff('u4', 'agent'),
      ]),
    ).rejects.toThrow(/at most 3 rows/);
    await expect(
      insertStaff.run(db, [staff('u5', 'agent', null), staff('u6', 'agent')]),
    ).rejects.toThrow(/rows differ/);
    await expect(
      insertStaff.run(db, [staff('u7', 'agent'), staff('u8', 'agent', 1)]),
    ).rejects.toThrow(/rows differ/);
    expect(await staffByRole.rows(db, { role: 'agent', after: 'u' })).toEqual([]);
    await insertStaff.run(db, []); // nothing to insert
  });
});

describe('SQLite transactions', () => {
  it('begin immediate: the write lock is taken when the transaction begins', () => {
    const dir = mkdtempSync(join(tmpdir(), 'refund-desk-begin-'));
    try {
      const path = join(dir, 'db.sqlite');
      const first = new SqliteDatabase(path);
      first.pragma('journal_mode = WAL');
      first.exec('create table t (v integer)');
      const cache = cachingStatements(first);
      expect((cache.prepare('begin') as SqliteDatabase.Statement).source).toBe('begin immediate');
      cache.prepare('begin').run([]);
      const second = new SqliteDatabase(path, { timeout: 0 });
      // A writer elsewhere cannot start while the first transaction, which has not written
      // anything yet, holds the lock.
      expect(() => second.exec('begin immediate')).toThrow(/locked|busy/i);
      cache.prepare('commit').run([]);
      second.exec('begin immediate; insert into t values (1); commit');
      second.close();
      cache.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
