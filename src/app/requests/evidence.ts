/**
 * Evidence on a refund request: recording vetted files, their bytes included (inside the
 * caller's transaction), adding files to an existing request, listing them (metadata only) and
 * reading one to download.
 *
 * The bytes live in `evidence.content`, inserted with the row: a refused or failed transaction
 * leaves neither row nor bytes, backups hold them, and every instance on one PostgreSQL serves
 * them. Rows of earlier versions have no `content`; their bytes are files in the evidence folder.
 */
import { stat } from 'node:fs/promises';
import type { Kysely, Transaction } from 'kysely';
import { isOpen, type RequestState } from '../../domain/request-state.js';
import type { FieldError, Result } from '../../engine/index.js';
import { prepareInsert } from '../../store/prepared.js';
import {
  EVIDENCE_METADATA_COLUMNS,
  type Database,
  type EvidenceTable,
} from '../../store/schema.js';
import { appendAuditMany, type AuditChange } from '../audit.js';
import type { DeskDeps, Origin } from '../context.js';
import {
  EVIDENCE_LIMITS,
  evidencePath,
  newStoredName,
  requestFull,
  vetEvidence,
  type EvidenceUpload,
  type VettedEvidence,
} from '../evidence.js';
import { newId } from '../ids.js';
import { findVisibleRequest, type Reader } from './access.js';
import { notFound, type RequestError } from './errors.js';
import { evidenceView, type EvidenceView } from './views.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface RecordedEvidence {
  readonly views: EvidenceView[];
  /** One `evidence.added` entry per file, for the caller to append with its other entries. */
  readonly audit: AuditChange[];
}

const insertEvidence = prepareInsert('evidence', EVIDENCE_LIMITS.maxFilesPerUpload);

/**
 * The bytes as a Buffer over the same memory (no copy). node-pg sends a Buffer as bytea, not a
 * plain Uint8Array; better-sqlite3 binds either as a BLOB.
 */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Inserts the evidence rows of vetted files with their bytes (one statement), inside the
 * caller's transaction, and returns the audit entries the caller must append in that same
 * transaction.
 */
export async function recordEvidence(
  trx: Transaction<Database>,
  origin: Origin,
  nowMs: number,
  requestId: string,
  files: readonly VettedEvidence[],
): Promise<RecordedEvidence> {
  const rows = files.map((file): EvidenceTable => ({
    id: newId('ev', nowMs),
    requestId,
    storedName: newStoredName(),
    originalName: file.originalName,
    mediaType: file.mediaType,
    sizeBytes: file.sizeBytes,
    sha256: file.sha256,
    uploadedBy: `${origin.actor.kind}:${origin.actor.id}`,
    createdAtMs: nowMs,
    content: asBuffer(file.bytes),
  }));
  await insertEvidence.run(trx, rows);
  const views = rows.map(evidenceView);
  const audit = views.map((view): AuditChange => ({
    action: 'evidence.added',
    entityKind: 'evidence',
    entityId: view.id,
    after: view,
  }));
  return { views, audit };
}

function notOpen(state: RequestState, what: string): RequestError {
  return {
    code: 'request_state_conflict',
    detail: `The request is ${state}; ${what} only while it is open.`,
    state,
  };
}

/**
 * Adds files to a request the customer owns, while it is open, within the per-request limit
 * (re-checked inside the transaction, so concurrent uploads cannot pass it together).
 */
export async function addEvidence(
  deps: DeskDeps,
  origin: Origin,
  customerId: string,
  requestId: string,
  uploads: readonly EvidenceUpload[],
): Promise<Result<EvidenceView[], RequestError>> {
  const reader: Reader = { kind: 'customer', customerId };
  const existing = await findVisibleRequest(deps.store.db, reader, requestId);
  if (existing === undefined) return { ok: false, error: notFound('refund request') };
  if (uploads.length === 0) {
    const errors: FieldError[] = [{ pointer: '/evidence', message: 'must have at least 1 file' }];
    return {
      ok: false,
      error: { code: 'invalid_request', detail: 'The upload carries no files.', errors },
    };
  }
  const vetted = await vetEvidence(uploads);
  if (!vetted.ok) return vetted;
  const files = vetted.value;
  return deps.store.db
    .transaction()
    .execute(async (trx): Promise<Result<EvidenceView[], RequestError>> => {
      const request = await lockRequest(trx, deps, reader, requestId);
      if (request === undefined) return { ok: false, error: notFound('refund request') };
      const state = request.state as RequestState;
      if (!isOpen(state)) return { ok: false, error: notOpen(state, 'evidence can be added') };
      const count = await countEvidence(trx, requestId);
      const full = requestFull(count, files.length);
      if (full !== undefined) return { ok: false, error: full };
      const nowMs = deps.clock.nowMs();
      const { views, audit } = await recordEvidence(trx, origin, nowMs, requestId, files);
      await appendAuditMany(trx, deps.store.engine, origin, nowMs, audit);
      const changed = await trx
        .updateTable('refundRequests')
        .set({ updatedAtMs: nowMs, rowVersion: request.rowVersion + 1 })
        .where('id', '=', requestId)
        .where('rowVersion', '=', request.rowVersion)
        .executeTakeFirst();
      if (changed.numUpdatedRows !== 1n) {
        throw new Error(`refund request ${requestId} changed concurrently`);
      }
      return { ok: true, value: views };
    });
}

/** The request row, locked for the rest of the transaction on PostgreSQL. */
export async function lockRequest(
  trx: Transaction<Database>,
  deps: DeskDeps,
  reader: Reader,
  requestId: string,
) {
  let query = trx.selectFrom('refundRequests').selectAll().where('id', '=', requestId);
  if (reader.kind === 'customer') query = query.where('customerId', '=', reader.customerId);
  if (deps.store.engine === 'postgres') query = query.forUpdate();
  return query.executeTakeFirst();
}

async function countEvidence(db: Db, requestId: string): Promise<number> {
  const row = await db
    .selectFrom('evidence')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('requestId', '=', requestId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The evidence of a request the reader may see, oldest first (metadata: never the bytes). */
export async function listEvidence(
  db: Db,
  reader: Reader,
  requestId: string,
): Promise<Result<EvidenceView[], RequestError>> {
  const request = await findVisibleRequest(db, reader, requestId);
  if (request === undefined) return { ok: false, error: notFound('refund request') };
  const rows = await db
    .selectFrom('evidence')
    .select(EVIDENCE_METADATA_COLUMNS)
    .where('requestId', '=', requestId)
    .orderBy('createdAtMs')
    .orderBy('id')
    .execute();
  return { ok: true, value: rows.map(evidenceView) };
}

/** Where the bytes of one evidence file are. */
export type EvidenceBody =
  /** In the database, with the row. */
  | { readonly bytes: Buffer }
  /** A row of an earlier version: a file in the evidence folder, `sizeBytes` long. */
  | { readonly path: string; readonly sizeBytes: number };

export interface EvidenceFile {
  readonly evidence: EvidenceView;
  readonly body: EvidenceBody;
}

function evidenceMissing(evidenceId: string): RequestError {
  return {
    code: 'evidence_missing',
    detail: `The bytes of evidence file ${evidenceId} are no longer stored.`,
  };
}

/**
 * One evidence file of a request the reader may see, with its bytes; for a row of an earlier
 * version (no `content`), the path of its file. `evidence_missing` when neither is there.
 */
export async function findEvidenceFile(
  deps: DeskDeps,
  reader: Reader,
  requestId: string,
  evidenceId: string,
): Promise<Result<EvidenceFile, RequestError>> {
  const request = await findVisibleRequest(deps.store.db, reader, requestId);
  if (request === undefined) return { ok: false, error: notFound('refund request') };
  const row = await deps.store.db
    .selectFrom('evidence')
    .select([...EVIDENCE_METADATA_COLUMNS, 'content'])
    .where('id', '=', evidenceId)
    .where('requestId', '=', requestId)
    .executeTakeFirst();
  if (row === undefined) return { ok: false, error: notFound('evidence file') };
  const evidence = evidenceView(row);
  if (row.content !== null) return { ok: true, value: { evidence, body: { bytes: row.content } } };
  const path = evidencePath(deps.evidenceDir, row.storedName);
  let sizeBytes: number;
  try {
    const stats = await stat(path);
    if (!stats.isFile()) return { ok: false, error: evidenceMissing(evidenceId) };
    sizeBytes = stats.size;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return { ok: false, error: evidenceMissing(evidenceId) };
    }
    throw error;
  }
  return { ok: true, value: { evidence, body: { path, sizeBytes } } };
}
