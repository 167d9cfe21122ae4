/**
 * Case mail end to end, on both engines, against a real SMTP server on loopback (smtp-server):
 * the move queues the mail in its transaction, the worker sends it; the messages arrive with the
 * right recipient, subject (case tag), Reply-To (plus address) and content — received,
 * information needed with the questions, decided with the reasons in words. A refused recipient
 * is retried with back-off and given up with the error kept. A reply fed in through
 * POST /v1/inbound-mail answers the question.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DeskDeps } from '../../src/app/context.js';
import { SmtpMailer } from '../../src/app/mail.js';
import { NOTIFY_LIMITS, notifyBackoffMs } from '../../src/app/notify/outbox.js';
import { caseIdOfReply } from '../../src/app/notify/settings.js';
import { createApp } from '../../src/http/app.js';
import { runUntilIdle, runWorkerPass } from '../../src/jobs/worker.js';
import {
  seedDeniedCase,
  seedIncompleteReviewCase,
  type CaseDesk,
  caseDesk,
} from '../support/cases-desk.js';
import { apiKeyWithScopes } from '../support/facts.js';
import { jsonPost, requestBody, seedCustomerWithOrder } from '../support/intake.js';
import { checkAgainstOpenApi } from '../support/openapi.js';
import { mailBody, postJson } from '../support/people.js';
import { describeEachEngine } from '../support/stores.js';

interface Received {
  readonly to: readonly string[];
  readonly raw: string;
}

let smtp: { port: number; inbox: Received[]; close(): Promise<void> };

beforeAll(async () => {
  const inbox: Received[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 1024 * 1024,
    onRcptTo(address, _session, callback) {
      if (address.address.startsWith('bounce')) callback(new Error('550 mailbox unavailable'));
      else callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        inbox.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  smtp = { port, inbox, close: () => new Promise<void>((r) => server.close(() => r())) };
});
afterAll(async () => {
  await smtp.close();
});

function header(raw: string, name: string): string | undefined {
  const head = raw.split('\r\n\r\n')[0] ?? '';
  const lines = head.replace(/\r\n(?=[ \t])/g, '').split('\r\n');
  const prefix = `${name.toLowerCase()}: `;
  return lines.find((line) => line.toLowerCase().startsWith(prefix))?.slice(prefix.length);
}

function mailsFor(caseId: string): Received[] {
  return smtp.inbox.filter((m) => (header(m.raw, 'Subject') ?? '').includes(caseId));
}

describeEachEngine('case mail over SMTP', (store) => {
  const mailers: SmtpMailer[] = [];
  const desks: CaseDesk[] = [];
  afterAll(() => {
    for (const m of mailers) m.close();
    for (const d of desks) d.dispose();
  });

  function smtpDesk(): CaseDesk {
    const base = caseDesk(store());
    const mailer = new SmtpMailer({
      host: '127.0.0.1',
      port: smtp.port,
      from: 'Refund Desk <desk@refunds.example>',
      timeoutMs: 5_000,
    });
    mailers.push(mailer);
    const deps: DeskDeps = {
      ...base.deps,
      mailer,
      notify: { replyTo: 'refunds+{caseId}@refunds.example' },
    };
    const d = { ...base, deps, app: checkAgainstOpenApi(createApp({ desk: deps })) };
    desks.push(d);
    return d;
  }

  it('sends "received" and "information needed" with the questions, to the contact, matchable by reply', async () => {
    const d = smtpDesk();
    const filed = await seedIncompleteReviewCase(d);
    expect(filed.state).toBe('awaiting_customer');
    // Nothing is sent inside the transaction: only queued.
    expect(mailsFor(filed.requestId)).toEqual([]);
    await runUntilIdle(d.deps);
    const mails = mailsFor(filed.requestId);
    expect(mails.map((m) => header(m.raw, 'Subject'))).toEqual([
      `We received your refund request [case ${filed.requestId}]`,
      `We need more information about your refund request [case ${filed.requestId}]`,
    ]);
    for (const mail of mails) {
      expect(mail.to).toEqual(['ada@example.com']);
      expect(header(mail.raw, 'Reply-To')).toBe(`refunds+${filed.requestId}@refunds.example`);
      expect(
        caseIdOfReply({ to: [header(mail.raw, 'Reply-To') ?? ''], subject: 'Re: hello' }),
      ).toBe(filed.requestId);
    }
    const info = mailBody(mails[1]?.raw ?? '');
    expect(info).toMatch(/1\. Which target sites \(hostnames or URLs\) fail through the proxy\?/);
    expect(info).toMatch(/2\. When did the failures happen\?/);
    expect(info).toContain(`http://127.0.0.1:3000/requests/${filed.requestId}`);
    const rows = await store()
      .db.selectFrom('notifications')
      .select(['status', 'attempts', 'sentAtMs'])
      .where('requestId', '=', filed.requestId)
      .execute();
    expect(rows).toEqual([
      { status: 'sent', attempts: 1, sentAtMs: d.clock.nowMs() },
      { status: 'sent', attempts: 1, sentAtMs: d.clock.nowMs() },
    ]);
    // A second pass sends nothing again.
    await runUntilIdle(d.deps);
    expect(mailsFor(filed.requestId)).toHaveLength(2);

    // The customer replies by email; the provider's inbound webhook feeds it in.
    const key = await apiKeyWithScopes(d.deps, ['requests:write']);
    const reply = await d.app.request(
      '/v1/inbound-mail',
      postJson(
        {
          from: 'Ada <ADA@example.com>',
          to: [`refunds+${filed.requestId}@refunds.example`],
          subject: `Re: ${header(mails[1]?.raw ?? '', 'Subject') ?? ''}`,
          text: 'example.com fails, since 2026-03-03T10:15:00Z.\n\nOn Tue, Desk wrote:\n> We need more information',
        },
        { bearer: key },
      ),
    );
    expect(reply.status, await reply.clone().text()).toBe(200);
    const answered = await store()
      .db.selectFrom('infoRequests')
      .select(['answerText', 'answeredVia'])
      .where('requestId', '=', filed.requestId)
      .executeTakeFirstOrThrow();
    expect(answered).toEqual({
      answerText: 'example.com fails, since 2026-03-03T10:15:00Z.',
      answeredVia: 'email',
    });
    const state = await store()
      .db.selectFrom('refundRequests')
      .select('state')
      .where('id', '=', filed.requestId)
      .executeTakeFirstOrThrow();
    expect(state.state).toBe('in_review');
    // A stranger's mail naming the case is not found.
    const forged = await d.app.request(
      '/v1/inbound-mail',
      postJson(
        {
          from: 'mallory@example.net',
          to: ['desk@refunds.example'],
          subject: `Re: [case ${filed.requestId}]`,
          text: 'hi',
        },
        { bearer: key },
      ),
    );
    expect(forged.status).toBe(404);
  });

  it('sends "decided" with the outcome and the reasons in plain words', async () => {
    const d = smtpDesk();
    const filed = await seedDeniedCase(d);
    expect(filed.state).toBe('denied');
    await runUntilIdle(d.deps);
    const decided = mailsFor(filed.requestId).find((m) =>
      (header(m.raw, 'Subject') ?? '').startsWith('Your refund request has been decided'),
    );
    expect(decided?.to).toEqual(['ada@example.com']);
    const text = mailBody(decided?.raw ?? '');
    expect(text).toMatch(/has been decided: Denied\./);
    expect(text).toMatch(/We cannot refund this order\./);
    expect(text).toMatch(/^Why:\r$/m);
    const reasons = await store()
      .db.selectFrom('decisions')
      .select('decisionJson')
      .where('requestId', '=', filed.requestId)
      .executeTakeFirstOrThrow();
    const messages = (
      JSON.parse(reasons.decisionJson) as { reasons: { message: string }[] }
    ).reasons.map((r) => r.message);
    expect(messages.length).toBeGreaterThan(0);
    for (const message of messages) {
      expect(text.replace(/\r\n/g, '\n')).toContain(`- ${message}`);
    }
    expect(text).toMatch(/Policy version: okkproxy@1\./);
  });

  it('retries a refused recipient with back-off and gives up after the limit, keeping the error', async () => {
    const d = smtpDesk();
    const order = await seedCustomerWithOrder(d.deps);
    const res = await d.app.request(
      '/v1/refund-requests',
      jsonPost(
        requestBody(order, { contact: { email: 'bounce@example.com', im: 'telegram:@bounce' } }),
        order.cookie,
      ),
    );
    expect(res.status, await res.clone().text()).toBe(201);
    const { request } = (await res.json()) as { request: { id: string } };
    const row = () =>
      store()
        .db.selectFrom('notifications')
        .select(['status', 'attempts', 'lastError', 'nextAttemptAtMs'])
        .where('requestId', '=', request.id)
        .where('kind', '=', 'received')
        .executeTakeFirstOrThrow();
    const mailOnly = { queues: { timers: false, notifications: true, webhooks: false } } as const;
    for (let attempt = 1; attempt <= NOTIFY_LIMITS.maxAttempts; attempt += 1) {
      await runWorkerPass(d.deps, mailOnly);
      const now = await row();
      expect(now.attempts).toBe(attempt);
      expect(now.lastError).toMatch(/mailbox unavailable/);
      if (attempt < NOTIFY_LIMITS.maxAttempts) {
        expect(now.status).toBe('queued');
        expect(now.nextAttemptAtMs).toBe(d.clock.nowMs() + notifyBackoffMs(attempt));
        d.clock.advance(notifyBackoffMs(attempt) - 1);
        await runWorkerPass(d.deps, mailOnly);
        expect((await row()).attempts).toBe(attempt);
        d.clock.advance(1);
      } else {
        expect(now.status).toBe('failed');
      }
    }
    expect(smtp.inbox.filter((m) => m.to.includes('bounce@example.com'))).toEqual([]);
  });
});
