/**
 * Who may see which refund requests. A customer sees only their own (and another customer's
 * request is reported as not found, so existence does not leak); staff of any role and API keys
 * with the `requests:read` scope see all.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database, RefundRequestTable } from '../../store/schema.js';
import type { Actor } from '../context.js';

export type Reader =
  { readonly kind: 'customer'; readonly customerId: string } | { readonly kind: 'all' };

/** The reader an actor is, or undefined when the actor may read no refund requests. */
export function readerFor(actor: Actor): Reader | undefined {
  switch (actor.kind) {
    case 'customer':
      return { kind: 'customer', customerId: actor.id };
    case 'staff':
      return { kind: 'all' };
    case 'api_key':
      return actor.scopes.includes('requests:read') ? { kind: 'all' } : undefined;
    case 'system':
      return undefined;
  }
}

type Db = Kysely<Database> | Transaction<Database>;

/** The request if it exists and the reader may see it; otherwise undefined (never which). */
export async function findVisibleRequest(
  db: Db,
  reader: Reader,
  requestId: string,
): Promise<RefundRequestTable | undefined> {
  let query = db.selectFrom('refundRequests').selectAll().where('id', '=', requestId);
  if (reader.kind === 'customer') query = query.where('customerId', '=', reader.customerId);
  return query.executeTakeFirst();
}
