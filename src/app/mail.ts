/**
 * Outgoing mail. Messages are composed by nodemailer (RFC 5322, CRLF line ends, encoded
 * headers) and either written to an outbox folder (`OutboxMailer`, the embedded default: one
 * `.eml` file per message, written to a temp file and renamed, so a reader never sees half a
 * message) or handed to an SMTP server (`SmtpMailer`). `mailerFromEnv` picks one.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import { systemClock, type Clock, type MailMessage, type Mailer } from './context.js';
import { newId } from './ids.js';

export const DEFAULT_MAIL_FROM = 'Refund Desk <refund-desk@localhost>';
export const DEFAULT_OUTBOX_DIR = './data/outbox';
/** Bounds on a message we compose (ours are a few hundred bytes). */
export const MAX_SUBJECT_CHARS = 200;
export const MAX_TEXT_CHARS = 64 * 1024;

function checkMessage(message: MailMessage): void {
  if (message.subject.length > MAX_SUBJECT_CHARS || message.text.length > MAX_TEXT_CHARS) {
    throw new Error(
      `mail: message too large (subject ${MAX_SUBJECT_CHARS}, text ${MAX_TEXT_CHARS})`,
    );
  }
  if (/[\r\n]/.test(message.to + message.subject + (message.replyTo ?? ''))) {
    throw new Error('mail: line breaks in a header');
  }
}

/** Writes each message as an RFC 5322 `.eml` file (generated, time-ordered name) into `dir`. */
export class OutboxMailer implements Mailer {
  readonly dir: string;
  private readonly from: string;
  private readonly clock: Clock;
  private readonly composer = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'windows',
  });

  constructor(dir: string, options: { readonly from?: string; readonly clock?: Clock } = {}) {
    this.dir = resolve(dir);
    this.from = options.from ?? DEFAULT_MAIL_FROM;
    this.clock = options.clock ?? systemClock;
  }

  async send(message: MailMessage): Promise<void> {
    checkMessage(message);
    const info = await this.composer.sendMail({
      from: this.from,
      to: message.to,
      subject: message.subject,
      text: message.text,
      date: new Date(this.clock.nowMs()),
      ...(message.replyTo === undefined ? {} : { replyTo: message.replyTo }),
    });
    const raw = info.message as Buffer;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const name = `${newId('mail', this.clock.nowMs())}.eml`;
    const temp = join(this.dir, `.${name}.${randomBytes(4).toString('hex')}.tmp`);
    const file = await open(temp, 'wx', 0o600); // sign-in links are secrets
    try {
      await file.writeFile(raw);
      await file.sync();
    } catch (error) {
      await file.close();
      await rm(temp, { force: true });
      throw error;
    }
    await file.close();
    await rename(temp, join(this.dir, name));
  }
}

export interface SmtpOptions {
  readonly host: string;
  readonly port: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  readonly secure?: boolean;
  readonly auth?: { readonly user: string; readonly pass: string };
  readonly from: string;
  /** Refuse to send without TLS (STARTTLS must succeed). */
  readonly requireTls?: boolean;
  readonly timeoutMs?: number;
}

/** Hands messages to an SMTP server (nodemailer, pooled connections). */
export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;
  private readonly from: string;

  constructor(options: SmtpOptions) {
    const timeoutMs = options.timeoutMs ?? 15_000;
    this.from = options.from;
    this.transport = nodemailer.createTransport({
      pool: true,
      maxConnections: 2,
      host: options.host,
      port: options.port,
      secure: options.secure ?? options.port === 465,
      requireTLS: options.requireTls ?? false,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs * 2,
      ...(options.auth === undefined
        ? {}
        : { auth: { user: options.auth.user, pass: options.auth.pass } }),
    });
  }

  async send(message: MailMessage): Promise<void> {
    checkMessage(message);
    await this.transport.sendMail({
      from: this.from,
      to: message.to,
      subject: message.subject,
      text: message.text,
      ...(message.replyTo === undefined ? {} : { replyTo: message.replyTo }),
    });
  }

  close(): void {
    this.transport.close();
  }
}

/** `smtp://user:pass@host:587` or `smtps://…:465` (`?requireTLS=true` to insist on STARTTLS). */
export function smtpOptionsFromUrl(url: string, from: string): SmtpOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('SMTP_URL is not a URL (smtp://user:pass@host:587 or smtps://…)');
  }
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') {
    throw new Error(`SMTP_URL must start with smtp:// or smtps://, not ${parsed.protocol}//`);
  }
  const secure = parsed.protocol === 'smtps:';
  const port = parsed.port === '' ? (secure ? 465 : 587) : Number(parsed.port);
  const user = decodeURIComponent(parsed.username);
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port,
    secure,
    from,
    requireTls: parsed.searchParams.get('requireTLS') === 'true',
    ...(user === '' ? {} : { auth: { user, pass: decodeURIComponent(parsed.password) } }),
  };
}

/**
 * SMTP when `SMTP_URL` is set, else the outbox folder `MAIL_OUTBOX_DIR` (default
 * ./data/outbox, relative to `cwd`). `MAIL_FROM` is the sender (default `DEFAULT_MAIL_FROM`).
 */
export function mailerFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  options: { readonly cwd?: string; readonly clock?: Clock } = {},
): OutboxMailer | SmtpMailer {
  const from = env['MAIL_FROM'] ?? DEFAULT_MAIL_FROM;
  const smtpUrl = env['SMTP_URL'];
  if (smtpUrl !== undefined && smtpUrl !== '')
    return new SmtpMailer(smtpOptionsFromUrl(smtpUrl, from));
  const dir = resolve(options.cwd ?? process.cwd(), env['MAIL_OUTBOX_DIR'] ?? DEFAULT_OUTBOX_DIR);
  return new OutboxMailer(dir, { from, ...(options.clock && { clock: options.clock }) });
}
