/**
 * `refund-desk import FILE.ndjson`: loads billing facts with a progress bar on stderr, prints
 * each rejected line by number (`line 7: /data/email: is required`) and a summary line.
 * Exit status: 0 every record loaded, 1 loaded but some lines were rejected, 2 the file could
 * not be read, 3 the database failed part way (what was loaded stays; importing again is safe).
 */
import type { AppContext, Origin } from '../app/context.js';
import { ImportAborted, formatRejectedLine, importNdjson } from '../app/import.js';
import { createProgress, type ProgressStream } from './progress.js';

export const IMPORT_ORIGIN: Origin = { actor: { kind: 'system', id: 'import' }, ip: null };

export const EXIT_IMPORTED = 0;
export const EXIT_SOME_REJECTED = 1;
export const EXIT_UNREADABLE = 2;
export const EXIT_ABORTED = 3;

export async function runImportCommand(
  ctx: AppContext,
  file: string,
  options: { readonly stderr?: ProgressStream; readonly origin?: Origin } = {},
): Promise<number> {
  const stderr = options.stderr ?? process.stderr;
  const progress = createProgress(stderr, { label: 'import' });
  let result: Awaited<ReturnType<typeof importNdjson>>;
  try {
    result = await importNdjson(ctx, options.origin ?? IMPORT_ORIGIN, file, {
      onProgress: (lines, bytes, total) => progress.update(lines, bytes, total),
      onRejected: (rejected) => {
        for (const text of formatRejectedLine(rejected)) progress.log(text);
      },
    });
  } catch (error) {
    if (!(error instanceof ImportAborted)) throw error;
    progress.finish(
      `refund-desk: ${error.message}; the lines before it are loaded, importing again is safe`,
    );
    return EXIT_ABORTED;
  }
  if (!result.ok) {
    stderr.write(`refund-desk: ${result.error.message}\n`);
    return EXIT_UNREADABLE;
  }
  const s = result.value;
  progress.finish(
    `imported ${file}: ${s.loaded} loaded (${s.created} created, ${s.replaced} replaced, ` +
      `${s.unchanged} unchanged), ${s.rejectedCount} rejected, ${s.lines} lines`,
  );
  return s.rejectedCount === 0 ? EXIT_IMPORTED : EXIT_SOME_REJECTED;
}
