/**
 * Evidence on a refund request: recording stored files (inside the caller's transaction), adding
 * files to an existing request, listing them and finding one to download.
 */
import type { Kysely, Transaction } from 'kysely';
import { isOpen, type RequestState } from '../../domain/request-state.js';
import type { FieldError, Result } from '../../engine/index.js';
import { prepareInsert } from '../../store/prepared.js';
import type { Database, EvidenceTable } from '../../store/schema.js';
import { appendAuditMany, type AuditChange } from '../audit.js';
import type { DeskDeps, Origin } from '../context.js';
import {
  EVIDENCE_LIMITS,
  evidencePath,
  requestFull,
  vetEvidence,
  writeEvidence,
  type EvidenceUpload,
  type StoredEvidence,
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
 * Inserts the evidence rows of stored files (one statement), inside the caller's transaction,
 * and returns the audit entries the caller must append in that same transaction.
 */
export async function recordEvidence(
  trx: Transaction<Database>,
  origin: Origin,
  nowMs: number,
  requestId: string,
  files: readonly StoredEvidence[],
): Promise<RecordedEvidence> {
  const rows = files.map((file): EvidenceTable => ({
    id: newId('ev', nowMs),
    requestId,
    storedName: file.storedName,
    originalName: file.originalName,
    mediaType: file.mediaType,
    sizeBytes: file.sizeBytes,
    sha256: file.sha256,
    uploadedBy: `${origin.actor.kind}:${origin.actor.id}`,
    createdAtMs: nowMs,
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

/**
 * Writes vetted files, then runs `work` with them (a transaction). When `work` returns an error
 * or throws, every file written is removed again: nothing partial stays on disk.
 */
export async function withStoredEvidence<T>(
  deps: DeskDeps,
  vetted: readonly VettedEvidence[],
  work: (files: readonly StoredEvidence[]) => Promise<Result<T, RequestError>>,
): Promise<Result<T, RequestError>> {
  const written = await writeEvidence(deps.evidenceDir, vetted);
  let result: Result<T, RequestError>;
  try {
    result = await work(written.files);
  } catch (error) {
    await written.remove();
    throw error;
  }
  if (!result.ok) await written.remove();
  return result;
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
  return withStoredEvidence(deps, vetted.value, (files) =>
    deps.store.db
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
      }),
  );
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

/** The evidence of a request the reader may see, oldest first. */
export async function listEvidence(
  db: Db,
  reader: Reader,
  requestId: string,
): Promise<Result<EvidenceView[], RequestError>> {
  const request = await findVisibleRequest(db, reader, requestId);
  if (request === undefined) return { ok: false, error: notFound('refund request') };
  const rows = await db
    .selectFrom('evidence')
    .selectAll()
    .where('requestId', '=', requestId)
    .orderBy('createdAtMs')
    .orderBy('id')
    .execute();
  return { ok: true, value: rows.map(evidenceView) };
}

export interface EvidenceFile {
  readonly evidence: EvidenceView;
  /** Absolute path of the stored bytes. */
  readonly path: string;
}

/** One evidence file of a request the reader may see, with the path of its bytes. */
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
    .selectAll()
    .where('id', '=', evidenceId)
    .where('requestId', '=', requestId)
    .executeTakeFirst();
  if (row === undefined) return { ok: false, error: notFound('evidence file') };
  return {
    ok: true,
    value: { evidence: evidenceView(row), path: evidencePath(deps.evidenceDir, row.storedName) },
  };
}
