/**
 * The case state machine and technical review over HTTP, on SQLite and PostgreSQL: every review
 * route moves the case as the transition table says (and logs, audits it), an illegal move is
 * 409 with the current state, overrides keep the engine's decision beside the staff one, and a
 * second approver is never the first.
 */
import { afterEach, expect, it } from 'vitest';
import { verifyAudit } from '../../src/app/audit.js';
import { createApiKey } from '../../src/app/auth/api-keys.js';
import { answerInfoRequestByEmail } from '../../src/app/cases/info.js';
import { SYSTEM_ORIGIN } from '../../src/app/context.js';
import { jsonPost } from '../support/intake.js';
import { as } from '../support/people.js';
import {
  CASES,
  caseDesk,
  readCase,
  seedDeniedCase,
  seedIncompleteReviewCase,
  seedPendingCase,
  seedReviewCase,
  type CaseDesk,
  type CaseJson,
} from '../support/cases-desk.js';
import { describeEachEngine, type TestStore } from '../support/stores.js';

describeEachEngine('case review', (store: () => TestStore) => {
  const desks: CaseDesk[] = [];
  afterEach(() => {
    for (const d of desks.splice(0)) d.dispose();
  });
  function desk(cases?: Parameters<typeof caseDesk>[1]): CaseDesk {
    const d = caseDesk(store(), cases);
    desks.push(d);
    return d;
  }

  async function post(d: CaseDesk, path: string, body: unknown, cookie: string) {
    return d.app.request(`${CASES}/${path}`, jsonPost(body, cookie));
  }
  async function ok(res: Response | Promise<Response>, status = 200): Promise<CaseJson> {
    const answer = await res;
    expect(answer.status, await answer.clone().text()).toBe(status);
    return (await answer.json()) as CaseJson;
  }
  const events = (c: CaseJson) => c.transitions.map((t) => `${t.event}:${t.toState}`);

  it('logs seq 1 at intake and answers an illegal move with 409 and the current state', async () => {
    const d = desk();
    const denied = await seedDeniedCase(d);
    const agent = await d.staff('agent');
    const before = await readCase(d, denied.requestId, agent);
    expect(before.transitions).toEqual([
      expect.objectContaining({
        seq: 1,
        event: 'decide_denied',
        fromState: null,
        toState: 'denied',
      }),
    ]);
    expect(before.sla.status).toBe('stopped');
    for (const [path, body] of [
      ['approve', {}],
      ['info-requests', { questions: ['Which site?'] }],
      ['kyc/require', {}],
      ['deny', { reason: 'no basis' }],
    ] as const) {
      const res = await post(d, `${denied.requestId}/${path}`, body, agent);
      expect(res.status, path).toBe(409);
      expect(await res.json()).toMatchObject({ code: 'illegal_transition', state: 'denied' });
    }
    // Nothing was written by the refused moves.
    const after = await readCase(d, denied.requestId, agent);
    expect(after.transitions).toHaveLength(1);
    expect(after.infoRequests).toEqual([]);
  });

  it('findings, info request and answer, KYC, re-decision: each move logged and audited', async () => {
    const d = desk();
    const filed = await seedReviewCase(d);
    expect(filed.state).toBe('in_review');
    const agent = await d.staff('agent');
    const id = filed.requestId;
    const start = await readCase(d, id, agent);
    expect(start.decisions.map((x) => x.decision.outcome)).toEqual(['manual_review']);
    expect(start.decisions[0]?.explanation.reasons.every((r) => r.clauseText.length > 20)).toBe(
      true,
    );
    expect(start.nextEvents).toEqual(
      expect.arrayContaining(['ask_customer', 'require_kyc', 'approve', 'deny', 'offer_prorata']),
    );
    const [report] = start.reports;
    if (report === undefined) throw new Error('no report');
    expect(report.cause).toBe('undetermined');

    // The review finds the cause on the provider's side; the engine re-decides on it.
    d.clock.advance(60_000);
    const found = await ok(
      post(
        d,
        `${id}/findings`,
        {
          reportId: report.id,
          cause: 'service',
          remediation: 'Gateway pool drained; fix in progress.',
        },
        agent,
      ),
    );
    expect(found.findings).toEqual([
      expect.objectContaining({ reportId: report.id, cause: 'service' }),
    ]);
    expect(found.reports[0]?.cause).toBe('service');
    const redecided = await ok(post(d, `${id}/re-decide`, {}, agent));
    expect(redecided.state).toBe('in_review');
    expect(redecided.decisions.map((x) => `${x.source}:${x.decision.outcome}`)).toEqual([
      'engine:manual_review',
      'engine:pending',
    ]);

    // Ask the customer; they read and answer in the portal.
    const asked = await ok(
      post(d, `${id}/info-requests`, { questions: ['Which target fails?', 'Since when?'] }, agent),
    );
    expect(asked.state).toBe('awaiting_customer');
    const info = asked.infoRequests[0];
    if (info === undefined) throw new Error('no info request');
    const mine = await d.app.request(
      `/v1/refund-requests/${id}/info-requests`,
      as({ cookie: filed.order.cookie }),
    );
    expect(await mine.json()).toMatchObject({ items: [{ id: info.id, answer: null }] });
    const answered = await d.app.request(
      `/v1/refund-requests/${id}/info-requests/${info.id}/answer`,
      jsonPost({ answer: 'shop.example.org since Monday' }, filed.order.cookie),
    );
    expect(answered.status, await answered.clone().text()).toBe(200);
    expect(await answered.json()).toMatchObject({
      infoRequest: { answer: 'shop.example.org since Monday', answeredVia: 'portal' },
    });
    const again = await d.app.request(
      `/v1/refund-requests/${id}/info-requests/${info.id}/answer`,
      jsonPost({ answer: 'twice' }, filed.order.cookie),
    );
    expect(again.status).toBe(409);

    // KYC: required (clock pauses), then verified (review resumes); the customer's flag follows.
    expect((await ok(post(d, `${id}/kyc/require`, {}, agent))).state).toBe('awaiting_kyc');
    const kyc = await ok(post(d, `${id}/kyc/complete`, { result: 'verified' }, agent));
    expect(kyc.state).toBe('in_review');
    const customer = await store()
      .db.selectFrom('customers')
      .select('kycStatus')
      .where('id', '=', filed.order.customerId)
      .executeTakeFirstOrThrow();
    expect(customer.kycStatus).toBe('verified');

    expect(events(kyc)).toEqual([
      'decide_manual_review:in_review',
      'ask_customer:awaiting_customer',
      'customer_answered:in_review',
      'require_kyc:awaiting_kyc',
      'kyc_completed:in_review',
    ]);
    expect(kyc.transitions.map((t) => t.actor.kind)).toEqual([
      'system',
      'staff',
      'customer',
      'staff',
      'staff',
    ]);
    const audit = await store()
      .db.selectFrom('auditLog')
      .select('action')
      .where('entityId', '=', id)
      .where('action', '=', 'case.transitioned')
      .execute();
    expect(audit).toHaveLength(4);
    expect(await verifyAudit(store().db)).toMatchObject({ ok: true });
  });

  it('an override keeps both decisions, with who and why; without a reason it is refused', async () => {
    const d = desk();
    const filed = await seedReviewCase(d);
    const agent = await d.staff('agent');
    const refused = await post(d, `${filed.requestId}/approve`, { refundMinor: 6_000 }, agent);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ errors: [{ pointer: '/reason' }] });
    const noAmount = await post(d, `${filed.requestId}/approve`, { reason: 'x' }, agent);
    expect(await noAmount.json()).toMatchObject({ errors: [{ pointer: '/refundMinor' }] });
    const tooMuch = await post(
      d,
      `${filed.requestId}/approve`,
      { refundMinor: 6_001, reason: 'more than paid' },
      agent,
    );
    expect(await tooMuch.json()).toMatchObject({ errors: [{ pointer: '/refundMinor' }] });

    const approved = await ok(
      post(
        d,
        `${filed.requestId}/approve`,
        { refundMinor: 6_000, reason: 'Reproduced the outage on our side; full refund.' },
        agent,
      ),
    );
    expect(events(approved)).toContain('approve:approved');
    expect(
      approved.decisions.map((x) => [x.source, x.decision.outcome, x.decision.refundCents]),
    ).toEqual([
      ['engine', 'manual_review', 0],
      ['override', 'full_refund', 6_000],
    ]);
    const override = approved.decisions[1];
    expect(override?.decidedBy).toMatch(/^staff:stf_/);
    expect(override?.note).toBe('Reproduced the outage on our side; full refund.');
    expect(override?.explanation.headline).toMatch(/^Full refund/);
  });

  it('offers pro-rata (override) and denies with a reason', async () => {
    const d = desk();
    const agent = await d.staff('agent');
    const a = await seedReviewCase(d);
    const offered = await ok(
      post(
        d,
        `${a.requestId}/offer-prorata`,
        { refundMinor: 1_000, extensionDays: 3, reason: 'Partial outage confirmed by ops.' },
        agent,
      ),
    );
    expect(offered.state).toBe('prorata_offered');
    expect(offered.decisions.at(-1)).toMatchObject({
      source: 'override',
      decision: { outcome: 'prorata', refundCents: 1_000, extensionDays: 3 },
    });

    const b = await seedReviewCase(d);
    const blank = await post(d, `${b.requestId}/deny`, { reason: '   ' }, agent);
    expect(await blank.json()).toMatchObject({ errors: [{ pointer: '/reason' }] });
    const denied = await ok(
      post(
        d,
        `${b.requestId}/deny`,
        { reason: 'The target site blocks automated traffic.' },
        agent,
      ),
    );
    expect(denied.state).toBe('denied');
    expect(denied.transitions.at(-1)).toMatchObject({
      event: 'deny',
      reason: 'The target site blocks automated traffic.',
    });
  });

  it('above the configured amount a second approver confirms; never the first, never an agent', async () => {
    const d = desk({ secondApprovalAboveMinor: { USD: 5_000 } });
    const first = await d.staff('approver');
    const filed = await seedReviewCase(d);
    const id = filed.requestId;
    const body = { refundMinor: 6_000, reason: 'Confirmed outage; refund in full.' };
    const waiting = await ok(post(d, `${id}/approve`, body, first));
    expect(waiting.state).toBe('awaiting_approval');
    expect(waiting.approvals).toEqual([
      expect.objectContaining({ status: 'pending', amountMinor: 6_000 }),
    ]);

    const self = await post(d, `${id}/second-approval`, { confirm: true }, first);
    expect(self.status).toBe(403);
    expect(await self.json()).toMatchObject({ code: 'forbidden' });
    const agent = await d.staff('agent');
    expect((await post(d, `${id}/second-approval`, { confirm: true }, agent)).status).toBe(403);
    expect((await post(d, `${id}/re-decide`, {}, agent)).status).toBe(409);
    expect((await readCase(d, id, agent)).state).toBe('awaiting_approval');

    // A second approver returns it (reason required), the first asks again, another confirms.
    const second = await d.anotherStaff('approver');
    const noReason = await post(d, `${id}/second-approval`, { confirm: false }, second);
    expect(await noReason.json()).toMatchObject({ errors: [{ pointer: '/reason' }] });
    const returned = await ok(
      post(
        d,
        `${id}/second-approval`,
        { confirm: false, reason: 'Check the usage first.' },
        second,
      ),
    );
    expect(returned.state).toBe('in_review');
    d.clock.advance(60_000);
    await ok(post(d, `${id}/approve`, body, first));
    const confirmed = await ok(post(d, `${id}/second-approval`, { confirm: true }, second));
    expect(events(confirmed)).toEqual(
      expect.arrayContaining([
        'request_second_approval:awaiting_approval',
        'return_to_review:in_review',
        'second_approve:approved',
      ]),
    );
    expect(confirmed.approvals.map((x) => x.status)).toEqual(['returned', 'confirmed']);
    expect(confirmed.approvals[1]?.decidedBy).not.toBe(confirmed.approvals[1]?.requestedBy);
  });

  it('re-deciding a pending case moves it by the table; a closed case cannot be re-decided', async () => {
    const d = desk();
    const agent = await d.staff('agent');
    const pending = await seedPendingCase(d);
    expect(pending.state).toBe('pending_remediation');
    const again = await ok(post(d, `${pending.requestId}/re-decide`, {}, agent));
    expect(events(again).at(-1)).toBe('decide_pending:pending_remediation');
    expect(again.transitions.at(-1)?.actor).toEqual({ kind: 'system', id: 'engine' });
    const denied = await seedDeniedCase(d);
    const res = await post(d, `${denied.requestId}/re-decide`, {}, agent);
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ code: 'request_state_conflict', state: 'denied' });
  });

  it('incomplete materials: intake asks at once; an emailed reply from the contact answers', async () => {
    const d = desk();
    const filed = await seedIncompleteReviewCase(d);
    expect(filed.state).toBe('awaiting_customer');
    const agent = await d.staff('agent');
    const view = await readCase(d, filed.requestId, agent);
    expect(view.infoRequests).toHaveLength(1);
    expect(view.infoRequests[0]?.questions.join(' ')).toMatch(/target sites/);
    expect(view.transitions[1]).toMatchObject({ event: 'ask_customer', actor: { kind: 'system' } });
    expect(view.sla).toMatchObject({ status: 'on_track', targetAt: null, deadlineAt: null });

    const stranger = await answerInfoRequestByEmail(d.deps, {
      requestId: filed.requestId,
      fromEmail: 'mallory@example.net',
      text: 'me too',
    });
    expect(stranger).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const reply = await answerInfoRequestByEmail(d.deps, {
      requestId: filed.requestId,
      fromEmail: 'ADA@example.com',
      text: 'shop.example.org, 2026-03-03T10:15:00Z',
    });
    expect(reply).toMatchObject({ ok: true, value: { answeredVia: 'email' } });
    const resumed = await readCase(d, filed.requestId, agent);
    expect(resumed.state).toBe('in_review');
    expect(resumed.sla.targetAt).not.toBeNull();
  });

  it('who may do what: keys by scope, customers not at all; 404 for a missing case', async () => {
    const d = desk();
    const filed = await seedReviewCase(d);
    const reader = await createApiKey(d.deps, SYSTEM_ORIGIN, {
      name: 'r',
      scopes: ['requests:read'],
    });
    const writer = await createApiKey(d.deps, SYSTEM_ORIGIN, {
      name: 'w',
      scopes: ['requests:read', 'requests:write'],
    });
    expect((await d.app.request(`${CASES}?limit=5`, as({ bearer: reader.key }))).status).toBe(200);
    expect(
      (await d.app.request(`${CASES}/${filed.requestId}`, as({ bearer: reader.key }))).status,
    ).toBe(200);
    const noWrite = await d.app.request(
      `${CASES}/${filed.requestId}/kyc/require`,
      jsonPost({}, undefined),
    );
    expect(noWrite.status).toBe(401);
    const byReader = await d.app.request(`${CASES}/${filed.requestId}/kyc/require`, {
      method: 'POST',
      headers: { authorization: `Bearer ${reader.key}` },
    });
    expect(byReader.status).toBe(403);
    const byWriter = await d.app.request(`${CASES}/${filed.requestId}/kyc/require`, {
      method: 'POST',
      headers: { authorization: `Bearer ${writer.key}` },
    });
    expect(byWriter.status, await byWriter.clone().text()).toBe(200);
    const approveByKey = await d.app.request(`${CASES}/${filed.requestId}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${writer.key}` },
    });
    expect(approveByKey.status).toBe(403);
    expect(
      (await d.app.request(`${CASES}/${filed.requestId}`, as({ cookie: filed.order.cookie })))
        .status,
    ).toBe(403);
    const agent = await d.staff('agent');
    expect((await d.app.request(`${CASES}/rr_missing`, as({ cookie: agent }))).status).toBe(404);
  });
});
