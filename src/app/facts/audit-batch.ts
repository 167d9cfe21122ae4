/**
 * Appending many audit entries at once (a batch of imported facts): the chain is computed in
 * memory and inserted in a few statements, in the caller's transaction. The first entry goes
 * through `appendAudit`, which takes the chain's lock (PostgreSQL) for the rest of the
 * transaction; the others continue from its hash. The result is the same chain `appendAudit`
 * would write one entry at a time, and `verifyAudit` checks it the same way.
 */
import type { Transaction } from 'kysely';
import type { Engine } from '../../store/connect.js';
import type { AuditLogTable, Database } from '../../store/schema.js';
import { appendAudit, canonicalJson, entryHash, type AuditChange } from '../audit.js';
import type { Origin } from '../context.js';

/** Rows per INSERT: 12 columns each, well under both engines' bound-parameter limits. */
const ROWS_PER_INSERT = 250;

export async function appendAuditMany(
  trx: Transaction<Database>,
  engine: Engine,
  origin: Origin,
  atMs: number,
  changes: readonly AuditChange[],
): Promise<void> {
  const [first, ...rest] = changes;
  if (first === undefined) return;
  await appendAudit(trx, engine, origin, atMs, first);
  if (rest.length === 0) return;
  const last = await trx
    .selectFrom('auditLog')
    .select(['seq', 'hash'])
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirstOrThrow();
  let seq = last.seq;
  let prevHash = last.hash;
  const rows: AuditLogTable[] = rest.map((change) => {
    seq += 1;
    const entry = {
      seq,
      atMs,
      actorKind: origin.actor.kind,
      actorId: origin.actor.id,
      ip: origin.ip,
      action: change.action,
      entityKind: change.entityKind,
      entityId: change.entityId,
      beforeJson: change.before === undefined ? null : canonicalJson(change.before),
      afterJson: change.after === undefined ? null : canonicalJson(change.after),
      prevHash,
    };
    prevHash = entryHash(entry);
    return { ...entry, hash: prevHash };
  });
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    await trx
      .insertInto('auditLog')
      .values(rows.slice(i, i + ROWS_PER_INSERT))
      .execute();
  }
}
