/**
 * The SQLite statement cache: the same SQL text gets the statement already prepared, the least
 * recently used one is dropped past the bound, a statement still being iterated is never handed
 * out again, and closing closes the database. Plus the PostgreSQL pool size default.
 */
import SqliteDatabase from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { defaultPoolSize } from '../../src/store/connect.js';
import { cachingStatements } from '../../src/store/sqlite-statements.js';

function numbers(): SqliteDatabase.Database {
  const db = new SqliteDatabase(':memory:');
  db.exec('create table n (v integer); insert into n values (1), (2), (3);');
  return db;
}

describe('SQLite statement cache', () => {
  it('hands out the statement prepared before for the same SQL text', () => {
    const cache = cachingStatements(numbers());
    const first = cache.prepare('select v from n where v = ?');
    expect(cache.prepare('select v from n where v = ?')).toBe(first);
    expect(cache.prepare('select v from n where v > ?')).not.toBe(first);
    expect(first.all([2])).toEqual([{ v: 2 }]);
    expect(cache.size).toBe(2);
    cache.close();
  });

  it('keeps at most maxStatements, dropping the least recently used', () => {
    const cache = cachingStatements(numbers(), 2);
    const a = cache.prepare('select 1');
    const b = cache.prepare('select 2');
    expect(cache.prepare('select 1')).toBe(a); // a is now the most recently used
    cache.prepare('select 3'); // drops b
    expect(cache.size).toBe(2);
    expect(cache.prepare('select 1')).toBe(a);
    expect(cache.prepare('select 2')).not.toBe(b);
    cache.close();
  });

  it('gives a fresh statement while the cached one is still being iterated', () => {
    const cache = cachingStatements(numbers());
    const sql = 'select v from n order by v';
    const streaming = cache.prepare(sql);
    const seen: unknown[] = [];
    for (const row of streaming.iterate([])) {
      const other = cache.prepare(sql);
      expect(other).not.toBe(streaming);
      seen.push([row, other.all([]).length]);
    }
    expect(seen).toEqual([
      [{ v: 1 }, 3],
      [{ v: 2 }, 3],
      [{ v: 3 }, 3],
    ]);
    expect(cache.prepare(sql)).toBe(streaming);
    cache.close();
  });

  it('closing closes the database; a bound below 1 is a bug', () => {
    const db = numbers();
    cachingStatements(db).close();
    expect(db.open).toBe(false);
    expect(() => cachingStatements(numbers(), 0)).toThrow(/maxStatements/);
  });
});

describe('PostgreSQL pool size', () => {
  it('is twice the cores, at least 4 and at most 16', () => {
    expect([1, 2, 3, 4, 8, 64].map((cores) => defaultPoolSize(cores))).toEqual([
      4, 4, 6, 8, 16, 16,
    ]);
  });
});
