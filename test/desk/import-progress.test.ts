/**
 * The CLI face of `refund-desk import`: the progress bar (redrawn in place on a terminal, one
 * summary line elsewhere) and the command's output and exit status, on both engines.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock, type AppContext } from '../../src/app/context.js';
import { getCustomer } from '../../src/app/facts/read.js';
import {
  EXIT_ABORTED,
  EXIT_IMPORTED,
  EXIT_SOME_REJECTED,
  EXIT_UNREADABLE,
  runImportCommand,
} from '../../src/cli/import.js';
import { createProgress, formatBytes, renderBar } from '../../src/cli/progress.js';
import { openStore } from '../../src/store/connect.js';
import { ENGINES, TEST_DATABASE_URL, describeEachEngine } from '../support/stores.js';
import { customerInput, uniqueId } from '../support/facts.js';

/** A terminal or a pipe, recording what is written to it. */
function stream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, isTTY, columns: 200, write: (text: string) => writes.push(text) };
}

describe('progress bar', () => {
  it('renders the fraction of bytes, lines and sizes', () => {
    expect(renderBar('import', 8_400, 1_200_000, 2_900_000)).toBe(
      'import  41% [##########--------------] 8,400 lines 1.2 MB / 2.9 MB',
    );
    expect(renderBar('import', 0, 0, 0)).toContain('100% [########################]');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1_500)).toBe('1.5 kB');
    expect(formatBytes(3_200_000_000)).toBe('3.2 GB');
  });

  it('on a terminal: redraws in place at most every interval, keeps logs readable', () => {
    const out = stream(true);
    const clock = new ManualClock(0);
    const progress = createProgress(out, { minIntervalMs: 100, nowMs: () => clock.nowMs() });
    progress.update(500, 100, 1_000);
    clock.advance(50);
    progress.update(1_000, 200, 1_000); // too soon: not drawn
    clock.advance(60);
    progress.update(1_500, 300, 1_000);
    progress.log('line 7: /data/email: is required');
    progress.update(2_000, 1_000, 1_000); // the end is always drawn
    progress.finish('imported: 2000 loaded');
    expect(out.writes).toEqual([
      `\r${renderBar('import', 500, 100, 1_000)}\u001b[K`,
      `\r${renderBar('import', 1_500, 300, 1_000)}\u001b[K`,
      '\r\u001b[K',
      'line 7: /data/email: is required\n',
      `\r${renderBar('import', 1_500, 300, 1_000)}\u001b[K`,
      `\r${renderBar('import', 2_000, 1_000, 1_000)}\u001b[K`,
      '\r\u001b[K',
      'imported: 2000 loaded\n',
    ]);
  });

  it('elsewhere: no bar at all, only the lines logged and the summary', () => {
    const out = stream(false);
    const progress = createProgress(out);
    progress.update(1, 10, 100);
    progress.log('line 1: (the line): is not valid JSON');
    progress.update(2, 100, 100);
    progress.finish('imported: 1 loaded');
    expect(out.writes).toEqual(['line 1: (the line): is not valid JSON\n', 'imported: 1 loaded\n']);
  });
});

const dir = mkdtempSync(join(tmpdir(), 'refund-desk-import-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeEachEngine('refund-desk import (command)', (store) => {
  const ctx = (): AppContext => ({
    store: store(),
    clock: new ManualClock(Date.parse('2026-03-06T10:00:00Z')),
  });

  it('prints each rejected line and a summary; exit 1 when some lines were rejected', async () => {
    const good = customerInput();
    const path = join(dir, `${uniqueId('f')}.ndjson`);
    writeFileSync(
      path,
      [
        JSON.stringify({ type: 'customer', data: good }),
        JSON.stringify({ type: 'customer', data: { ...customerInput(), email: 'not-an-email' } }),
        'nope',
      ].join('\n'),
    );
    const err = stream(false);
    const status = await runImportCommand(ctx(), path, { stderr: err });
    expect(status).toBe(EXIT_SOME_REJECTED);
    expect(err.writes.join('')).toBe(
      [
        'line 2: /data/email: must be an email address (name@example.com)',
        'line 3: (the line): is not valid JSON (Unexpected token \'o\', "nope" is not valid JSON)',
        `imported ${path}: 1 loaded (1 created, 0 replaced, 0 unchanged), 2 rejected, 3 lines`,
        '',
      ].join('\n'),
    );
    expect(await getCustomer(store().db, good['id'] as string)).toBeDefined();
    const again = stream(false);
    writeFileSync(path, JSON.stringify({ type: 'customer', data: good }));
    expect(await runImportCommand(ctx(), path, { stderr: again })).toBe(EXIT_IMPORTED);
    expect(again.writes.join('')).toContain(
      '1 loaded (0 created, 0 replaced, 1 unchanged), 0 rejected',
    );
  });

  it('exit 2 with one line when the file cannot be read', async () => {
    const err = stream(false);
    expect(await runImportCommand(ctx(), join(dir, 'absent.ndjson'), { stderr: err })).toBe(
      EXIT_UNREADABLE,
    );
    expect(err.writes).toEqual([
      `refund-desk: cannot read ${join(dir, 'absent.ndjson')} (ENOENT)\n`,
    ]);
  });
});

describe('refund-desk import against a database that fails', () => {
  it.each(ENGINES)('%s: stops with exit 3 and says what is loaded', async (engine) => {
    // A database without our tables: every statement fails, not because of one line's data.
    const store =
      engine === 'sqlite'
        ? openStore({ url: `sqlite:${join(dir, `${uniqueId('empty')}.sqlite`)}` })
        : openStore({ url: TEST_DATABASE_URL, schema: `no_such_schema_${uniqueId('s')}` });
    try {
      const path = join(dir, `${uniqueId('f')}.ndjson`);
      writeFileSync(path, JSON.stringify({ type: 'customer', data: customerInput() }));
      const err = stream(false);
      const ctx = { store, clock: new ManualClock(0) };
      expect(await runImportCommand(ctx, path, { stderr: err })).toBe(EXIT_ABORTED);
      expect(err.writes.join('')).toMatch(
        /^refund-desk: import stopped at line 1: .+; the lines before it are loaded, importing again is safe\n$/,
      );
    } finally {
      await store.close();
    }
  });
});
