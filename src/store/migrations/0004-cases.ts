/**
 * The case desk's review work (issue 4, items 1–3): the state log of every case
 * (`case_transitions`, the truth the SLA is computed from), the questions asked of customers
 * (`info_requests`), review findings on reports (`case_findings`), approvals awaiting a second
 * approver (`case_approvals`), and the SLA due instants cached on the request row for the staff
 * queue (recomputed from the log on every move). Requests filed before this migration get their
 * log backfilled from their first decision (and their withdrawal).
 */
import { sql, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on today's types */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('case_transitions')
    .addColumn('request_id', 'text', (c) => c.notNull().references('refund_requests.id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('from_state', 'text')
    .addColumn('to_state', 'text', (c) => c.notNull())
    .addColumn('actor_kind', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('at_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('case_transitions_pk', ['request_id', 'seq'])
    .execute();

  await db.schema
    .createTable('info_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('request_id', 'text', (c) => c.notNull().references('refund_requests.id'))
    .addColumn('questions_json', 'text', (c) => c.notNull())
    .addColumn('asked_by', 'text', (c) => c.notNull())
    .addColumn('asked_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('answer_text', 'text')
    .addColumn('answered_via', 'text')
    .addColumn('answered_by', 'text')
    .addColumn('answered_at_ms', 'bigint')
    .execute();
  await db.schema
    .createIndex('info_requests_request')
    .on('info_requests')
    .columns(['request_id', 'asked_at_ms'])
    .execute();

  await db.schema
    .createTable('case_findings')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('request_id', 'text', (c) => c.notNull().references('refund_requests.id'))
    .addColumn('report_id', 'text', (c) => c.notNull().references('reports.id'))
    .addColumn('cause', 'text', (c) => c.notNull())
    .addColumn('remediation', 'text', (c) => c.notNull())
    .addColumn('remediated_at_ms', 'bigint')
    .addColumn('recorded_by', 'text', (c) => c.notNull())
    .addColumn('recorded_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('case_findings_request')
    .on('case_findings')
    .columns(['request_id', 'recorded_at_ms'])
    .execute();

  await db.schema
    .createTable('case_approvals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('request_id', 'text', (c) => c.notNull().references('refund_requests.id'))
    .addColumn('decision_seq', 'integer', (c) => c.notNull())
    .addColumn('amount_minor', 'bigint', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('requested_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('decided_by', 'text')
    .addColumn('decided_at_ms', 'bigint')
    .addColumn('note', 'text')
    .execute();
  await db.schema
    .createIndex('case_approvals_request')
    .on('case_approvals')
    .columns(['request_id', 'requested_at_ms'])
    .execute();

  await db.schema.alterTable('refund_requests').addColumn('sla_target_at_ms', 'bigint').execute();
  await db.schema.alterTable('refund_requests').addColumn('sla_deadline_at_ms', 'bigint').execute();

  // The log of requests filed before this migration: the first decision, then a withdrawal.
  const initial = (outcome: string, event: string, state: string) => ({ outcome, event, state });
  const rows = [
    initial('full_refund', 'decide_full_refund', 'approved'),
    initial('prorata', 'decide_prorata', 'prorata_offered'),
    initial('pending', 'decide_pending', 'pending_remediation'),
    initial('manual_review', 'decide_manual_review', 'in_review'),
    initial('denied', 'decide_denied', 'denied'),
  ];
  for (const { outcome, event, state } of rows) {
    await sql`insert into case_transitions
        (request_id, seq, event, from_state, to_state, actor_kind, actor_id, reason, at_ms)
      select r.id, 1, ${event}, null, ${state}, 'system', 'refund-desk',
        'backfilled: the first decision of a request filed before the state log existed',
        r.submitted_at_ms
      from refund_requests r join decisions d on d.request_id = r.id and d.seq = 1
      where d.outcome = ${outcome}`.execute(db);
  }
  await sql`insert into case_transitions
      (request_id, seq, event, from_state, to_state, actor_kind, actor_id, reason, at_ms)
    select r.id, 2, 'withdraw', t.to_state, 'withdrawn', 'customer', r.customer_id,
      'backfilled: withdrawn before the state log existed', r.updated_at_ms
    from refund_requests r join case_transitions t on t.request_id = r.id and t.seq = 1
    where r.state = 'withdrawn'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('refund_requests').dropColumn('sla_deadline_at_ms').execute();
  await db.schema.alterTable('refund_requests').dropColumn('sla_target_at_ms').execute();
  for (const table of ['case_approvals', 'case_findings', 'info_requests', 'case_transitions']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
