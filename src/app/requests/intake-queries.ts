/**
 * The statements intake runs on every request, compiled once per database (store/prepared.ts):
 * the order (locked on PostgreSQL, where intake serialises per order; SQLite runs one writer at
 * a time anyway), an open request on it, the inserts of the request and its first decision, and
 * the request read back at the end.
 */
import type { Transaction } from 'kysely';
import { BLOCKING_STATES, type RequestState } from '../../domain/request-state.js';
import { prepareInsert, prepareQuery } from '../../store/prepared.js';
import type {
  Database,
  DecisionTable,
  OrderTable,
  RefundRequestTable,
} from '../../store/schema.js';

const selectOrderForIntake = prepareQuery((db, p: { id: string }, engine) => {
  const query = db.selectFrom('orders').selectAll().where('id', '=', p.id);
  return engine === 'postgres' ? query.forUpdate() : query;
});

// Every request on the order, filtered here: an order has at most one open request (intake
// refuses a second) and a few closed ones, and `state IN (…)` would make SQLite build a temporary
// index of the list on every run (13 µs, ten times the lookup itself).
const selectRequestsOfOrder = prepareQuery((db, p: { orderId: string }) =>
  db.selectFrom('refundRequests').select(['id', 'state']).where('orderId', '=', p.orderId),
);

const selectRequest = prepareQuery((db, p: { id: string }) =>
  db.selectFrom('refundRequests').selectAll().where('id', '=', p.id),
);

const insertRequests = prepareInsert('refundRequests', 1);
const insertDecisions = prepareInsert('decisions', 1);

/** The order, locked for the rest of the transaction on PostgreSQL. */
export function lockOrderForIntake(
  trx: Transaction<Database>,
  orderId: string,
): Promise<OrderTable | undefined> {
  return selectOrderForIntake.first(trx, { id: orderId });
}

/** A request on the order that blocks a new one, if any. */
export async function findOpenRequest(
  trx: Transaction<Database>,
  orderId: string,
): Promise<{ id: string; state: string } | undefined> {
  const requests = await selectRequestsOfOrder.rows(trx, { orderId });
  return requests.find((request) => BLOCKING_STATES.has(request.state as RequestState));
}

export async function insertRequestRow(
  trx: Transaction<Database>,
  row: RefundRequestTable,
): Promise<void> {
  await insertRequests.run(trx, [row]);
}

export async function insertDecisionRow(
  trx: Transaction<Database>,
  row: DecisionTable,
): Promise<void> {
  await insertDecisions.run(trx, [row]);
}

/** The request row as the transaction left it (its effects may have moved the case on). */
export async function readRequestRow(
  trx: Transaction<Database>,
  id: string,
): Promise<RefundRequestTable> {
  const row = await selectRequest.first(trx, { id });
  if (row === undefined) throw new Error(`refund request ${id} vanished in its own transaction`);
  return row;
}
