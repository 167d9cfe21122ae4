/**
 * The audit log: every change of a case, a fact or a policy, appended in the same transaction
 * as the change, hash-chained (each entry's hash covers the previous hash), so that editing or
 * removing an entry breaks the chain at that point.
 */
import { createHash } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Engine } from '../store/connect.js';
import { prepareInsert, prepareQuery } from '../store/prepared.js';
import type { AuditLogTable, Database } from '../store/schema.js';
import type { Origin } from './context.js';

export const GENESIS_HASH = '0'.repeat(64);
/** Any constant: the advisory lock that serialises appends on PostgreSQL. */
const AUDIT_LOCK_KEY = 727_001;

export interface AuditChange {
  readonly action: string;
  readonly entityKind: string;
  readonly entityId: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

type Entry = Omit<AuditLogTable, 'hash'>;

/** Canonical JSON: keys sorted at every depth, so the hash does not depend on key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i += 1) out += (i === 0 ? '' : ',') + canonicalJson(value[i]);
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  // The default sort orders by UTF-16 code units, as `<` does on strings.
  const keys = Object.keys(record).sort();
  let out = '{';
  for (const key of keys) {
    const v = record[key];
    if (v === undefined) continue;
    out += `${out.length === 1 ? '' : ','}${JSON.stringify(key)}:${canonicalJson(v)}`;
  }
  return `${out}}`;
}

export function entryHash(entry: Entry): string {
  const { prevHash, ...rest } = entry;
  return createHash('sha256')
    .update(prevHash)
    .update('\n')
    .update(canonicalJson(rest))
    .digest('hex');
}

function toJson(value: unknown): string | null {
  return value === undefined ? null : canonicalJson(value);
}

/** Rows per INSERT: 12 columns each, well under both engines' bound-parameter limits. */
const ROWS_PER_INSERT = 250;

const selectTail = prepareQuery((db) =>
  db.selectFrom('auditLog').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1),
);
const insertEntries = prepareInsert('auditLog', ROWS_PER_INSERT);

/** Appends one entry. Call inside the transaction that makes the change. */
export async function appendAudit(
  trx: Transaction<Database> | Kysely<Database>,
  engine: Engine,
  origin: Origin,
  atMs: number,
  change: AuditChange,
): Promise<void> {
  await appendAuditMany(trx, engine, origin, atMs, [change]);
}

/**
 * Appends entries in order, all by `origin` at `atMs`, in the caller's transaction: the chain's
 * tail is read once (under the chain's lock on PostgreSQL, held until the transaction ends), the
 * entries are chained in memory and inserted in as few statements as the parameter limits allow.
 * The chain is the same as appending them one at a time.
 */
export async function appendAuditMany(
  trx: Transaction<Database> | Kysely<Database>,
  engine: Engine,
  origin: Origin,
  atMs: number,
  changes: readonly AuditChange[],
): Promise<void> {
  if (changes.length === 0) return;
  if (engine === 'postgres') {
    await sql`select pg_advisory_xact_lock(${AUDIT_LOCK_KEY})`.execute(trx);
  }
  const last = await selectTail.first(trx, {});
  let seq = last?.seq ?? 0;
  let prevHash = last?.hash ?? GENESIS_HASH;
  const rows: AuditLogTable[] = changes.map((change) => {
    seq += 1;
    const entry: Entry = {
      seq,
      atMs,
      actorKind: origin.actor.kind,
      actorId: origin.actor.id,
      ip: origin.ip,
      action: change.action,
      entityKind: change.entityKind,
      entityId: change.entityId,
      beforeJson: toJson(change.before),
      afterJson: toJson(change.after),
      prevHash,
    };
    prevHash = entryHash(entry);
    return { ...entry, hash: prevHash };
  });
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    await insertEntries.run(trx, rows.slice(i, i + ROWS_PER_INSERT));
  }
}

export type AuditVerification =
  | { readonly ok: true; readonly entries: number }
  | {
      readonly ok: false;
      readonly entries: number;
      readonly brokenAtSeq: number;
      readonly reason: string;
    };

/** Walks the chain in order and reports the first broken link. */
export async function verifyAudit(
  db: Kysely<Database>,
  batchSize = 1_000,
): Promise<AuditVerification> {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  for (;;) {
    const rows = await db
      .selectFrom('auditLog')
      .selectAll()
      .where('seq', '>=', expectedSeq)
      .orderBy('seq')
      .limit(batchSize)
      .execute();
    if (rows.length === 0) return { ok: true, entries: expectedSeq - 1 };
    for (const row of rows) {
      const entries = expectedSeq - 1;
      if (row.seq !== expectedSeq) {
        return {
          ok: false,
          entries,
          brokenAtSeq: expectedSeq,
          reason: `entry ${expectedSeq} is missing`,
        };
      }
      if (row.prevHash !== prevHash) {
        return {
          ok: false,
          entries,
          brokenAtSeq: row.seq,
          reason: 'prev_hash does not match the previous entry',
        };
      }
      const { hash, ...entry } = row;
      if (entryHash(entry) !== hash) {
        return {
          ok: false,
          entries,
          brokenAtSeq: row.seq,
          reason: 'hash does not match the entry',
        };
      }
      prevHash = hash;
      expectedSeq += 1;
    }
  }
}

export const MAX_AUDIT_PAGE = 200;

export interface AuditEntryView {
  readonly seq: number;
  readonly at: string;
  readonly actor: { readonly kind: string; readonly id: string };
  readonly ip: string | null;
  readonly action: string;
  readonly entity: { readonly kind: string; readonly id: string };
  readonly before: unknown;
  readonly after: unknown;
  readonly prevHash: string;
  readonly hash: string;
}

export interface AuditQuery {
  readonly entityKind?: string;
  readonly entityId?: string;
  /** Entries after this sequence number (the page cursor). */
  readonly afterSeq?: number;
  readonly limit: number;
}

/** A page of the log, oldest first, optionally for one entity. */
export async function listAudit(
  db: Kysely<Database>,
  query: AuditQuery,
): Promise<{ items: AuditEntryView[]; next: number | null }> {
  const limit = Math.min(Math.max(1, query.limit), MAX_AUDIT_PAGE);
  let select = db
    .selectFrom('auditLog')
    .selectAll()
    .orderBy('seq')
    .limit(limit + 1);
  if (query.entityKind !== undefined) select = select.where('entityKind', '=', query.entityKind);
  if (query.entityId !== undefined) select = select.where('entityId', '=', query.entityId);
  if (query.afterSeq !== undefined) select = select.where('seq', '>', query.afterSeq);
  const rows = await select.execute();
  const page = rows.slice(0, limit);
  return {
    items: page.map((row) => ({
      seq: row.seq,
      at: new Date(row.atMs).toISOString(),
      actor: { kind: row.actorKind, id: row.actorId },
      ip: row.ip,
      action: row.action,
      entity: { kind: row.entityKind, id: row.entityId },
      before: row.beforeJson === null ? null : (JSON.parse(row.beforeJson) as unknown),
      after: row.afterJson === null ? null : (JSON.parse(row.afterJson) as unknown),
      prevHash: row.prevHash,
      hash: row.hash,
    })),
    next: rows.length > limit ? (page.at(-1)?.seq ?? null) : null,
  };
}
