/** The outbox mailer (the embedded default) and the choice of mailer from the environment. */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/app/context.js';
import {
  DEFAULT_MAIL_FROM,
  OutboxMailer,
  SmtpMailer,
  mailerFromEnv,
  smtpOptionsFromUrl,
} from '../../src/app/mail.js';

const roots: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'refund-desk-mail-'));
  roots.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of roots.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('OutboxMailer', () => {
  it('writes each message as an RFC 5322 .eml file with CRLF lines, nothing else left behind', async () => {
    const dir = join(tempDir(), 'outbox');
    const clock = new ManualClock(Date.parse('2026-03-02T10:00:00Z'));
    const mailer = new OutboxMailer(dir, { clock, from: 'Desk <desk@refunds.example>' });
    await mailer.send({ to: 'ada@example.com', subject: 'First', text: 'Hello\nAda\n' });
    clock.advance(1000);
    await mailer.send({ to: 'bob@example.com', subject: 'Second', text: 'Hi Bob\n' });

    const names = readdirSync(dir).sort();
    expect(names).toHaveLength(2);
    for (const name of names) expect(name).toMatch(/^mail_[0-9a-z]{10}[0-9a-f]{16}\.eml$/);
    const first = readFileSync(join(dir, names[0] ?? ''), 'utf8');
    const [head = '', body] = first.split('\r\n\r\n');
    expect(head.split('\r\n')).toEqual(
      expect.arrayContaining([
        'From: Desk <desk@refunds.example>',
        'To: ada@example.com',
        'Subject: First',
        'Date: Mon, 02 Mar 2026 10:00:00 +0000',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        expect.stringMatching(/^Message-ID: <.+@.+>$/),
      ]),
    );
    expect(body).toBe('Hello\r\nAda\r\n');
    expect(first).not.toMatch(/[^\r]\n/);
    expect(readFileSync(join(dir, names[1] ?? ''), 'utf8')).toMatch(/^To: bob@example\.com\r$/m);
    expect(statSync(join(dir, names[0] ?? '')).mode & 0o777).toBe(0o600);
  });

  it('encodes non-ASCII headers and text instead of writing raw bytes', async () => {
    const dir = tempDir();
    await new OutboxMailer(dir).send({
      to: 'zoe@example.com',
      subject: 'Remboursé ✓',
      text: 'Déjà vu\n',
    });
    const [name] = readdirSync(dir);
    const raw = readFileSync(join(dir, name ?? ''));
    expect([...raw].every((byte) => byte < 0x80)).toBe(true);
    expect(raw.toString()).toMatch(/^Subject: =\?UTF-8\?[QB]\?/m);
  });

  it('refuses header injection and oversized messages, writing nothing', async () => {
    const dir = tempDir();
    const mailer = new OutboxMailer(dir);
    await expect(
      mailer.send({ to: 'a@example.com\r\nBcc: evil@example.com', subject: 's', text: 't' }),
    ).rejects.toThrow(/line breaks/);
    await expect(
      mailer.send({ to: 'a@example.com', subject: 'x\nBcc: evil@example.com', text: 't' }),
    ).rejects.toThrow(/line breaks/);
    await expect(
      mailer.send({ to: 'a@example.com', subject: 's', text: 'x'.repeat(64 * 1024 + 1) }),
    ).rejects.toThrow(/too large/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('mailerFromEnv', () => {
  it('uses the outbox under ./data/outbox by default, or MAIL_OUTBOX_DIR', async () => {
    const cwd = tempDir();
    const mailer = mailerFromEnv({}, { cwd });
    expect(mailer).toBeInstanceOf(OutboxMailer);
    expect((mailer as OutboxMailer).dir).toBe(join(cwd, 'data', 'outbox'));
    await mailer.send({ to: 'a@example.com', subject: 's', text: 't' });
    const [name] = readdirSync(join(cwd, 'data', 'outbox'));
    expect(readFileSync(join(cwd, 'data', 'outbox', name ?? ''), 'utf8')).toContain(
      `From: ${DEFAULT_MAIL_FROM}`,
    );
    const custom = mailerFromEnv({ MAIL_OUTBOX_DIR: 'mail', SMTP_URL: '' }, { cwd });
    expect((custom as OutboxMailer).dir).toBe(join(cwd, 'mail'));
  });

  it('uses SMTP when SMTP_URL is set', () => {
    const mailer = mailerFromEnv({ SMTP_URL: 'smtp://127.0.0.1:2525' });
    expect(mailer).toBeInstanceOf(SmtpMailer);
    (mailer as SmtpMailer).close();
  });

  it('reads host, port, TLS and credentials from SMTP_URL, and names a bad one', () => {
    expect(smtpOptionsFromUrl('smtps://u%40x:p%3Aw@mail.example', 'f@x.example')).toEqual({
      host: 'mail.example',
      port: 465,
      secure: true,
      requireTls: false,
      auth: { user: 'u@x', pass: 'p:w' },
      from: 'f@x.example',
    });
    expect(smtpOptionsFromUrl('smtp://[::1]:2525?requireTLS=true', 'f')).toEqual({
      host: '::1',
      port: 2525,
      secure: false,
      requireTls: true,
      from: 'f',
    });
    expect(smtpOptionsFromUrl('smtp://mail.example', 'f').port).toBe(587);
    expect(() => smtpOptionsFromUrl('http://mail.example', 'f')).toThrow(/smtp:\/\/ or smtps:\/\//);
    expect(() => smtpOptionsFromUrl('not a url', 'f')).toThrow(/SMTP_URL is not a URL/);
  });
});
