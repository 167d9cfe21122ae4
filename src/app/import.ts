/**
 * `refund-desk import FILE.ndjson`: bulk loading of billing facts. Each line is one record,
 * `{"type": "customer" | "plan" | "order" | "usage" | "report" | "incident" | "chargeback" |
 * "refund" | "flags", "data": {...}}`, with the same schema and rules as the write API.
 *
 * The file is streamed (bounded memory: one batch and one line at a time, lines longer than
 * `maxLineBytes` are refused without being held). Lines are validated, then applied in order in
 * batches (one transaction per batch, audit entries chained in memory). Each record is atomic:
 * a record that fails a rule is reported and leaves nothing behind; when a batch hits a database
 * error it is rolled back and re-run one record per transaction, so only the bad line is
 * reported. Nothing is dropped silently: every non-blank line is either loaded or reported by
 * number. Records apply in file order, so a fact must come after the facts it refers to.
 * Loading is idempotent: records are created or replaced by id, and an unchanged one is a no-op.
 */
import { stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import type { FieldError, Result } from '../engine/index.js';
import { toFieldErrors } from '../engine/json-schema.js';
import { appendAuditMany, type AuditChange } from './audit.js';
import type { AppContext, Origin } from './context.js';
import { parseFact, type Fact } from './facts/parse.js';
import { BatchRows } from './facts/rows.js';
import { factValidator, type FactKind } from './facts/schemas.js';
import { applyFact, writeParsedFact, type FactResult } from './facts/write.js';

export const DEFAULT_BATCH_LINES = 500;
/** A fact is well under a kilobyte; a line longer than this is refused. */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;
/** Rejected lines kept in the result (all of them still go to `onRejected`). */
export const DEFAULT_MAX_REJECTED_KEPT = 10_000;

export interface ImportOptions {
  /** Called after each batch and at the end. */
  readonly onProgress?: (linesDone: number, bytesDone: number, totalBytes: number) => void;
  /** Called for every rejected line, in line order. */
  readonly onRejected?: (rejected: RejectedLine) => void;
  readonly batchLines?: number;
  readonly maxLineBytes?: number;
  readonly maxRejectedKept?: number;
}

export interface RejectedLine {
  /** 1-based line number in the file. */
  readonly line: number;
  /** JSON pointers into the line's record (`/data/email`); "" is the whole line. */
  readonly errors: readonly FieldError[];
}

export interface ImportSummary {
  /** Records stored or already stored as given (created + replaced + unchanged). */
  readonly loaded: number;
  readonly created: number;
  readonly replaced: number;
  readonly unchanged: number;
  /** Every rejected line, up to `maxRejectedKept`, by line number. */
  readonly rejected: readonly RejectedLine[];
  readonly rejectedCount: number;
  /** Lines read, blank ones included. */
  readonly lines: number;
  readonly bytes: number;
}

export interface ImportFailure {
  readonly code: 'unreadable';
  readonly message: string;
}

type Entry =
  | { readonly line: number; readonly fact: Fact }
  | { readonly line: number; readonly errors: readonly FieldError[] };

interface Line {
  readonly number: number;
  /** Undefined when the line is longer than the limit or not UTF-8. */
  readonly text: string | undefined;
  readonly problem?: string;
  readonly bytesEnd: number;
}

/** Splits a byte stream into lines without ever holding more than `maxLineBytes` of one. */
async function* readLines(path: string, maxLineBytes: number): AsyncGenerator<Line> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let tooLong = false;
  let number = 0;
  let offset = 0;
  const finish = (bytesEnd: number): Line => {
    number += 1;
    const lineNumber = number;
    if (tooLong) {
      pending = [];
      pendingBytes = 0;
      tooLong = false;
      return {
        number: lineNumber,
        text: undefined,
        problem: `is longer than ${maxLineBytes} bytes`,
        bytesEnd,
      };
    }
    let bytes = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, -1);
    try {
      return { number: lineNumber, text: decoder.decode(bytes), bytesEnd };
    } catch {
      return { number: lineNumber, text: undefined, problem: 'is not valid UTF-8', bytesEnd };
    }
  };
  const keep = (part: Buffer) => {
    if (tooLong) return;
    if (pendingBytes + part.length > maxLineBytes) {
      tooLong = true;
      pending = [];
      pendingBytes = 0;
      return;
    }
    if (part.length > 0) {
      pending.push(part);
      pendingBytes += part.length;
    }
  };
  for await (const chunk of createReadStream(path, { highWaterMark: 64 * 1024 })) {
    const buffer = chunk as Buffer;
    let start = 0;
    for (;;) {
      const newline = buffer.indexOf(0x0a, start);
      if (newline === -1) break;
      keep(buffer.subarray(start, newline));
      yield finish(offset + newline + 1);
      start = newline + 1;
    }
    keep(buffer.subarray(start));
    offset += buffer.length;
  }
  if (pendingBytes > 0 || tooLong) yield finish(offset);
}

function withPrefix(prefix: string, errors: readonly FieldError[]): FieldError[] {
  return errors.map((e) => ({ pointer: `${prefix}${e.pointer}`, message: e.message }));
}

/** Validates one non-blank line into a fact, or the errors naming what is wrong. */
function readRecord(line: Line): Entry {
  if (line.text === undefined) {
    return { line: line.number, errors: [{ pointer: '', message: line.problem ?? 'unreadable' }] };
  }
  let record: unknown;
  try {
    record = JSON.parse(line.text);
  } catch (error) {
    const detail = error instanceof Error ? ` (${error.message.replace(/\s+/g, ' ')})` : '';
    return { line: line.number, errors: [{ pointer: '', message: `is not valid JSON${detail}` }] };
  }
  const envelope = factValidator('import-line');
  if (!envelope(record)) {
    return { line: line.number, errors: toFieldErrors(envelope.errors ?? []) };
  }
  const { type, data } = record as { type: FactKind; data: unknown };
  const parsed = parseFact(type, data);
  return parsed.ok
    ? { line: line.number, fact: parsed.value }
    : { line: line.number, errors: withPrefix('/data', parsed.error) };
}

/**
 * Database errors that belong to one record's data (a constraint, a value the column refuses),
 * as opposed to the database being unavailable: those abort the import instead.
 */
function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return (
    /^(22|23)[0-9A-Z]{3}$/.test(code) || /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/.test(code)
  );
}

export class ImportAborted extends Error {
  constructor(
    readonly line: number,
    cause: unknown,
  ) {
    super(
      `import stopped at line ${line}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

type Outcome =
  FactResult | { readonly ok: false; readonly error: { readonly errors: readonly FieldError[] } };

/**
 * Streams `path` and loads its records. Lines loaded before an infrastructure failure stay
 * loaded (throws `ImportAborted`); running the import again is safe.
 */
export async function importNdjson(
  ctx: AppContext,
  origin: Origin,
  path: string,
  options: ImportOptions = {},
): Promise<Result<ImportSummary, ImportFailure>> {
  const batchLines = options.batchLines ?? DEFAULT_BATCH_LINES;
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const maxRejectedKept = options.maxRejectedKept ?? DEFAULT_MAX_REJECTED_KEPT;
  let totalBytes: number;
  try {
    const info = await stat(path);
    if (!info.isFile())
      return { ok: false, error: { code: 'unreadable', message: `${path} is not a file` } };
    totalBytes = info.size;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    return { ok: false, error: { code: 'unreadable', message: `cannot read ${path} (${code})` } };
  }

  const counts = { created: 0, replaced: 0, unchanged: 0 };
  const rejected: RejectedLine[] = [];
  let rejectedCount = 0;
  let linesDone = 0;
  let bytesDone = 0;

  const reject = (line: number, errors: readonly FieldError[]) => {
    rejectedCount += 1;
    const entry = { line, errors };
    if (rejected.length < maxRejectedKept) rejected.push(entry);
    options.onRejected?.(entry);
  };

  const { db, engine } = ctx.store;

  /**
   * One transaction for the batch: its rows read up front, writes held and flushed together,
   * audit entries chained in memory. Throws on any database error.
   */
  const runTogether = (facts: ReadonlyArray<{ line: number; fact: Fact }>) =>
    db.transaction().execute(async (trx) => {
      const nowMs = ctx.clock.nowMs();
      const rows = new BatchRows(trx, engine);
      await rows.prefetch(facts.map((f) => f.fact));
      const changes: AuditChange[] = [];
      const audit = (change: AuditChange) => {
        changes.push(change);
        return Promise.resolve();
      };
      const outcomes: Outcome[] = [];
      for (const { fact } of facts) outcomes.push(await applyFact({ rows, nowMs, audit }, fact));
      await rows.flush();
      await appendAuditMany(trx, engine, origin, nowMs, changes);
      return outcomes;
    });

  /** One transaction per record, so only the bad one fails. */
  const runOneByOne = async (facts: ReadonlyArray<{ line: number; fact: Fact }>) => {
    const outcomes: Outcome[] = [];
    for (const { line, fact } of facts) {
      try {
        outcomes.push(await writeParsedFact(ctx, origin, fact));
      } catch (error) {
        if (!isDataError(error)) throw new ImportAborted(line, error);
        const detail = error instanceof Error ? error.message.replace(/\s+/g, ' ') : String(error);
        outcomes.push({
          ok: false,
          error: {
            errors: [{ pointer: '', message: `was refused by the database (${detail})` }],
          },
        });
      }
    }
    return outcomes;
  };

  const flush = async (batch: readonly Entry[], bytesEnd: number) => {
    const facts = batch.filter((e): e is { line: number; fact: Fact } => 'fact' in e);
    let outcomes: Outcome[] = [];
    try {
      if (facts.length > 0) outcomes = await runTogether(facts);
    } catch {
      outcomes = await runOneByOne(facts);
    }
    const byLine = new Map(facts.map((f, i) => [f.line, outcomes[i]]));
    for (const entry of batch) {
      if ('errors' in entry) {
        reject(entry.line, entry.errors);
        continue;
      }
      const outcome = byLine.get(entry.line);
      if (outcome === undefined) throw new Error(`no outcome for line ${entry.line}`);
      if (outcome.ok) counts[outcome.value.status] += 1;
      else reject(entry.line, withPrefix('/data', outcome.error.errors));
    }
    bytesDone = bytesEnd;
    options.onProgress?.(linesDone, bytesDone, totalBytes);
  };

  let batch: Entry[] = [];
  let bytesEnd = 0;
  for await (const line of readLines(path, maxLineBytes)) {
    linesDone = line.number;
    bytesEnd = line.bytesEnd;
    if (line.text !== undefined && line.text.trim() === '') continue;
    batch.push(readRecord(line));
    if (batch.length >= batchLines) {
      await flush(batch, bytesEnd);
      batch = [];
    }
  }
  await flush(batch, bytesEnd);

  return {
    ok: true,
    value: {
      loaded: counts.created + counts.replaced + counts.unchanged,
      ...counts,
      rejected,
      rejectedCount,
      lines: linesDone,
      bytes: bytesDone,
    },
  };
}

/** A rejected line as text, one line per error: `line 7: /data/email: is required`. */
export function formatRejectedLine(rejected: RejectedLine): string[] {
  return rejected.errors.map(
    (e) => `line ${rejected.line}: ${e.pointer === '' ? '(the line)' : e.pointer}: ${e.message}`,
  );
}
