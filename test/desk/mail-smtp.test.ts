/**
 * SmtpMailer against a real SMTP server (smtp-server) on loopback: delivery with
 * authentication, refusal of wrong credentials, SMTP_URL configuration, and a sign-in link
 * delivered end to end from the HTTP API on both engines.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpMailer, mailerFromEnv } from '../../src/app/mail.js';
import { createApp } from '../../src/http/app.js';
import { describeEachEngine } from '../support/stores.js';
import { deskOver, mailBody, postJson, seedCustomerWithOrder } from '../support/people.js';

interface Received {
  readonly from: string;
  readonly to: readonly string[];
  readonly user: string | undefined;
  readonly raw: string;
}

const USER = 'desk';
const PASS = 'smtp-secret';

/** A loopback SMTP server (AUTH PLAIN/LOGIN over plain TCP, no STARTTLS) that keeps mail. */
async function startSmtp(): Promise<{ port: number; inbox: Received[]; close(): Promise<void> }> {
  const inbox: Received[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    size: 1024 * 1024,
    onAuth(auth, _session, callback) {
      if (auth.username === USER && auth.password === PASS) callback(null, { user: USER });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const from = session.envelope.mailFrom;
        inbox.push({
          from: from === false ? '' : from.address,
          to: session.envelope.rcptTo.map((r) => r.address),
          user: typeof session.user === 'string' ? session.user : undefined,
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    inbox,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let smtp: Awaited<ReturnType<typeof startSmtp>>;
beforeAll(async () => {
  smtp = await startSmtp();
});
afterAll(async () => {
  await smtp.close();
});

describe('SmtpMailer', () => {
  it('delivers a message with authentication', async () => {
    const mailer = new SmtpMailer({
      host: '127.0.0.1',
      port: smtp.port,
      auth: { user: USER, pass: PASS },
      from: 'Refund Desk <desk@refunds.example>',
    });
    try {
      const before = smtp.inbox.length;
      await mailer.send({
        to: 'ada@example.com',
        subject: 'Hello Ada',
        text: 'Line one.\nLine two.\n',
      });
      const [mail] = smtp.inbox.slice(before);
      expect(mail).toMatchObject({
        from: 'desk@refunds.example',
        to: ['ada@example.com'],
        user: USER,
      });
      expect(mail?.raw).toMatch(/^Subject: Hello Ada\r$/m);
      expect(mail?.raw).toMatch(/^From: Refund Desk <desk@refunds\.example>\r$/m);
      expect(mailBody(mail?.raw ?? '')).toBe('Line one.\r\nLine two.\r\n');
    } finally {
      mailer.close();
    }
  });

  it('fails the send when the server refuses the credentials', async () => {
    const mailer = new SmtpMailer({
      host: '127.0.0.1',
      port: smtp.port,
      auth: { user: USER, pass: 'wrong' },
      from: 'desk@refunds.example',
      timeoutMs: 5000,
    });
    try {
      const before = smtp.inbox.length;
      await expect(mailer.send({ to: 'ada@example.com', subject: 'x', text: 'y' })).rejects.toThrow(
        /Invalid username or password/,
      );
      expect(smtp.inbox.length).toBe(before);
    } finally {
      mailer.close();
    }
  });

  it('is what mailerFromEnv picks when SMTP_URL is set', async () => {
    const mailer = mailerFromEnv({
      SMTP_URL: `smtp://${USER}:${PASS}@127.0.0.1:${smtp.port}`,
      MAIL_FROM: 'env@refunds.example',
    });
    expect(mailer).toBeInstanceOf(SmtpMailer);
    try {
      const before = smtp.inbox.length;
      await mailer.send({ to: 'env-test@example.com', subject: 'From env', text: 'ok' });
      expect(smtp.inbox.slice(before)).toMatchObject([
        { from: 'env@refunds.example', to: ['env-test@example.com'], user: USER },
      ]);
    } finally {
      (mailer as SmtpMailer).close();
    }
  });
});

describeEachEngine('sign-in link over SMTP', (store) => {
  it("delivers the link to the order's email through the SMTP server", async () => {
    const desk = deskOver(store());
    const mailer = new SmtpMailer({
      host: '127.0.0.1',
      port: smtp.port,
      auth: { user: USER, pass: PASS },
      from: 'desk@refunds.example',
    });
    try {
      const app = createApp({ desk: { ...desk.deps, mailer } });
      const customer = await seedCustomerWithOrder(desk.deps, {
        orderEmail: `smtp-${Date.now()}@ada.example`,
      });
      const before = smtp.inbox.length;
      const res = await app.request(
        '/v1/auth/sign-in-links',
        postJson({ email: customer.orderEmail }),
      );
      expect(res.status).toBe(202);
      const [mail] = smtp.inbox.slice(before);
      expect(mail?.to).toEqual([customer.orderEmail]);
      const token =
        /\/sign-in\?token=([A-Za-z0-9_-]{43})/.exec(mailBody(mail?.raw ?? ''))?.[1] ?? '';
      const redeemed = await app.request('/v1/auth/sign-in-links/redeem', postJson({ token }));
      expect(redeemed.status).toBe(200);
      expect(await redeemed.json()).toMatchObject({ customer: { id: customer.customerId } });
    } finally {
      mailer.close();
      desk.dispose();
    }
  });
});
