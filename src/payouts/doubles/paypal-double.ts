/**
 * A local PayPal: the subset of the REST API the PayPal adapter uses, over real HTTP, with faults.
 *
 * - `POST /v1/oauth2/token` (client credentials, Basic auth; tokens expire by the double's clock);
 * - `POST /v2/payments/captures/{id}/refund` honouring `PayPal-Request-Id`: the same id with the
 *   same body replays the first answer; another body is a 422 `PAYPAL_REQUEST_ID_PREVIOUSLY_USED`;
 * - `GET /v2/payments/refunds/{id}` (the refund's current state);
 * - `POST /v1/notifications/verify-webhook-signature`, and webhook deliveries signed like
 *   PayPal's: RSA-SHA256 over `transmissionId|transmissionTime|webhookId|crc32(body)`, with the
 *   public key served at `/__double/cert`.
 *
 * Declines: an amount above the capture's unrefunded amount (422 `REFUND_AMOUNT_EXCEEDED`), a
 * fully refunded capture (`CAPTURE_FULLY_REFUNDED`), a currency other than the capture's, an
 * unknown capture (404), and magic capture ids: containing `refund_declined` → 422
 * `REFUND_NOT_ALLOWED`; `disputed` → 422 `REFUND_NOT_PERMITTED_DUE_TO_CHARGEBACK`;
 * `refund_fails` → a refund with status FAILED; `refund_pending` → PENDING (settle it with
 * `POST /__double/refunds/{id}/settle`).
 *
 * Inspection and control (`/__double/…`): `GET refunds`, `POST captures` (seed), `POST faults`,
 * `GET stats`, `GET events`, `GET cert`.
 */
import {
  createSign,
  createVerify,
  generateKeyPairSync,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { crc32 } from 'node:zlib';
import { paypalAmountValue, paypalValueToMinor } from '../providers/paypal.js';
import {
  FaultPlan,
  NO_FAULTS,
  applyFault,
  handleCommonControl,
  mulberry32,
  publishEvent,
  readBody,
  sendJson,
  startServer,
  type FaultKind,
  type FaultRates,
  type Reply,
  type WebhookTarget,
} from './common.js';
import type { DoubleRefund } from './stripe-double.js';

export interface PayPalDoubleOptions {
  readonly port?: number;
  readonly host?: string;
  readonly clientId?: string;
  readonly clientSecret?: string;
  /** Our webhook subscription's id, as PayPal would have assigned it. */
  readonly webhookId?: string;
  readonly webhookUrl?: string;
  readonly webhookDuplicateRate?: number;
  /** Lifetime of issued access tokens (PayPal's are about 9 hours). */
  readonly tokenTtlSec?: number;
  readonly faults?: Partial<FaultRates>;
  readonly autoCapture?: { readonly amountMinor: number; readonly currency: string };
  readonly clock?: () => number;
}

export interface SeededCapture {
  readonly id: string;
  readonly amountMinor: number;
  readonly currency: string;
}

export interface SignedPayPalEvent {
  readonly id: string;
  readonly type: string;
  readonly payload: string;
  /** The delivery's headers, names lower case. */
  readonly headers: Readonly<Record<string, string>>;
}

export interface PayPalDouble {
  readonly url: string;
  readonly port: number;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly webhookId: string;
  seedCapture(capture: SeededCapture): void;
  refunds(): readonly DoubleRefund[];
  events(): readonly SignedPayPalEvent[];
  /** Signs any payload as a PayPal delivery at `atMs` (for tests of stale or forged deliveries). */
  sign(payload: string, atMs: number): Readonly<Record<string, string>>;
  tokensIssued(): number;
  /** Makes every issued token invalid, as if PayPal had revoked them. */
  revokeTokens(): void;
  queueFaults(faults: readonly FaultKind[]): void;
  settleRefund(refundId: string, status: 'COMPLETED' | 'FAILED'): void;
  close(): Promise<void>;
}

interface Capture {
  readonly id: string;
  readonly amount: number;
  readonly currency: string;
  refunded: number;
}

interface PayPalRefund {
  readonly id: string;
  status: 'COMPLETED' | 'PENDING' | 'FAILED' | 'CANCELLED';
  status_details?: { reason: string };
  readonly amount: { readonly currency_code: string; readonly value: string };
  readonly custom_id?: string;
  readonly create_time: string;
  update_time: string;
  readonly captureId: string;
  readonly amountMinor: number;
}

const MAX_CAPTURES = 1_000_000;
const AUTH_ALGO = 'SHA256withRSA';

let keys: { readonly privateKey: KeyObject; readonly publicPem: string } | null = null;

/** One RSA key pair per process: generating one takes a while, and a double is test gear. */
function signingKeys(): { readonly privateKey: KeyObject; readonly publicPem: string } {
  if (keys === null) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    keys = { privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
  }
  return keys;
}

export async function startPayPalDouble(options: PayPalDoubleOptions = {}): Promise<PayPalDouble> {
  const clientId = options.clientId ?? 'paypal-double-client';
  const clientSecret = options.clientSecret ?? 'paypal-double-secret';
  const webhookId = options.webhookId ?? 'WH-DOUBLE-0001';
  const tokenTtlSec = options.tokenTtlSec ?? 32_400;
  const clock = options.clock ?? (() => Date.now());
  const faults = new FaultPlan({ ...NO_FAULTS, ...options.faults });
  const random = mulberry32((options.faults?.seed ?? 1) ^ 0x27d4eb2d);
  const { privateKey, publicPem } = signingKeys();
  const captures = new Map<string, Capture>();
  const refundById = new Map<string, PayPalRefund>();
  const made: DoubleRefund[] = [];
  const answers = new Map<string, { fingerprint: string; reply: Reply }>();
  const tokens = new Map<string, number>();
  const events: SignedPayPalEvent[] = [];
  const stats = { requests: 0, replays: 0, tokensIssued: 0, webhooksSent: 0, webhooksFailed: 0 };
  const webhooks: WebhookTarget = {
    url: options.webhookUrl,
    duplicateRate: options.webhookDuplicateRate ?? 0,
    random,
    stats,
  };
  let sequence = 0;
  let certUrl = '';

  function nextId(prefix: string): string {
    sequence += 1;
    return `${prefix}${String(sequence).padStart(15, '0')}`;
  }

  function seedCapture(capture: SeededCapture): void {
    if (captures.size >= MAX_CAPTURES) throw new Error(`at most ${MAX_CAPTURES} captures`);
    if (!Number.isSafeInteger(capture.amountMinor) || capture.amountMinor <= 0) {
      throw new Error('amountMinor must be a positive safe integer');
    }
    captures.set(capture.id, {
      id: capture.id,
      amount: capture.amountMinor,
      currency: capture.currency.toUpperCase(),
      refunded: 0,
    });
  }

  function findCapture(id: string): Capture | undefined {
    const found = captures.get(id);
    if (found !== undefined || options.autoCapture === undefined) return found;
    seedCapture({ id, ...options.autoCapture });
    return captures.get(id);
  }

  function sign(payload: string, atMs: number): Record<string, string> {
    const transmissionId = nextId('TX-');
    const transmissionTime = new Date(atMs).toISOString();
    const message = `${transmissionId}|${transmissionTime}|${webhookId}|${String(crc32(payload))}`;
    const signature = createSign('sha256').update(message).sign(privateKey, 'base64');
    return {
      'paypal-auth-algo': AUTH_ALGO,
      'paypal-cert-url': certUrl,
      'paypal-transmission-id': transmissionId,
      'paypal-transmission-sig': signature,
      'paypal-transmission-time': transmissionTime,
    };
  }

  function representation(refund: PayPalRefund): Record<string, unknown> {
    const captureId = refund.captureId;
    return {
      id: refund.id,
      status: refund.status,
      ...(refund.status_details !== undefined ? { status_details: refund.status_details } : {}),
      amount: refund.amount,
      ...(refund.custom_id !== undefined ? { custom_id: refund.custom_id } : {}),
      create_time: refund.create_time,
      update_time: refund.update_time,
      links: [
        { href: `${serverUrl()}/v2/payments/refunds/${refund.id}`, rel: 'self', method: 'GET' },
        { href: `${serverUrl()}/v2/payments/captures/${captureId}`, rel: 'up', method: 'GET' },
      ],
    };
  }

  function emitFor(refund: PayPalRefund): void {
    const type =
      refund.status === 'COMPLETED'
        ? 'PAYMENT.CAPTURE.REFUNDED'
        : refund.status === 'PENDING'
          ? 'PAYMENT.REFUND.PENDING'
          : `PAYMENT.REFUND.${refund.status}`;
    const nowMs = clock();
    const id = nextId('WH-');
    const payload = JSON.stringify({
      id,
      event_version: '1.0',
      create_time: new Date(nowMs).toISOString(),
      resource_type: 'refund',
      resource_version: '2.0',
      event_type: type,
      summary: `A ${refund.amount.value} ${refund.amount.currency_code} refund, ${refund.status}`,
      resource: representation(refund),
    });
    const event = { id, type, payload, headers: sign(payload, nowMs) };
    publishEvent(events, event, { headers: event.headers, body: payload }, webhooks);
  }

  function paypalError(status: number, name: string, issue: string, description: string): Reply {
    return {
      status,
      body: {
        name,
        message: description,
        debug_id: `dbg${String(sequence)}`,
        details: [{ issue, description }],
      },
    };
  }

  /** Answers PayPal's error for a request body that is not JSON. */
  function sendMalformedJson(res: ServerResponse): void {
    const reply = paypalError(
      400,
      'INVALID_REQUEST',
      'MALFORMED_REQUEST_JSON',
      'The request JSON is not well formed.',
    );
    sendJson(res, reply.status, reply.body);
  }

  function refundCapture(captureId: string, body: RefundRequestBody, key: string | null): Reply {
    const capture = findCapture(captureId);
    if (capture === undefined) {
      return paypalError(
        404,
        'RESOURCE_NOT_FOUND',
        'INVALID_RESOURCE_ID',
        'Specified resource ID does not exist.',
      );
    }
    const remaining = capture.amount - capture.refunded;
    let amount = remaining;
    if (body.amount !== undefined) {
      if (body.amount.currency_code !== capture.currency) {
        return paypalError(
          422,
          'UNPROCESSABLE_ENTITY',
          'CURRENCY_MISMATCH',
          'Currency of refund must be the same as currency of capture.',
        );
      }
      const parsed =
        typeof body.amount.value === 'string'
          ? paypalValueToMinor(body.amount.value, capture.currency)
          : null;
      if (parsed === null || parsed <= 0) {
        return paypalError(
          400,
          'INVALID_REQUEST',
          'INVALID_PARAMETER_VALUE',
          'amount/value is invalid.',
        );
      }
      amount = parsed;
    }
    if (captureId.includes('refund_declined')) {
      return paypalError(
        422,
        'UNPROCESSABLE_ENTITY',
        'REFUND_NOT_ALLOWED',
        'Refund cannot be issued for this capture.',
      );
    }
    if (captureId.includes('disputed')) {
      return paypalError(
        422,
        'UNPROCESSABLE_ENTITY',
        'REFUND_NOT_PERMITTED_DUE_TO_CHARGEBACK',
        'Refunds not allowed on this capture due to a chargeback on the card or bank.',
      );
    }
    if (remaining === 0) {
      return paypalError(
        422,
        'UNPROCESSABLE_ENTITY',
        'CAPTURE_FULLY_REFUNDED',
        'The capture has already been fully refunded.',
      );
    }
    if (amount > remaining) {
      return paypalError(
        422,
        'UNPROCESSABLE_ENTITY',
        'REFUND_AMOUNT_EXCEEDED',
        'The refund amount must be less than or equal to the capture amount that has not yet been refunded.',
      );
    }
    const status = captureId.includes('refund_fails')
      ? 'FAILED'
      : captureId.includes('refund_pending')
        ? 'PENDING'
        : 'COMPLETED';
    const nowMs = clock();
    const at = new Date(nowMs).toISOString();
    const refund: PayPalRefund = {
      id: nextId('RF'),
      status,
      ...(status === 'PENDING' ? { status_details: { reason: 'ECHECK' } } : {}),
      amount: {
        currency_code: capture.currency,
        value: paypalAmountValue(amount, capture.currency) ?? String(amount),
      },
      ...(typeof body.custom_id === 'string' ? { custom_id: body.custom_id } : {}),
      create_time: at,
      update_time: at,
      captureId,
      amountMinor: amount,
    };
    if (status !== 'FAILED') capture.refunded += amount;
    refundById.set(refund.id, refund);
    made.push({
      id: refund.id,
      chargeRef: captureId,
      amountMinor: amount,
      currency: capture.currency,
      status,
      idempotencyKey: key,
      refundId: refund.custom_id ?? null,
      createdAtMs: nowMs,
    });
    emitFor(refund);
    return { status: 201, body: representation(refund) };
  }

  function settleRefund(id: string, status: 'COMPLETED' | 'FAILED'): void {
    const refund = refundById.get(id);
    if (refund === undefined) throw new Error(`no refund ${id}`);
    if (refund.status !== 'PENDING') throw new Error(`refund ${id} is ${refund.status}`);
    refund.status = status;
    delete refund.status_details;
    refund.update_time = new Date(clock()).toISOString();
    if (status === 'FAILED') {
      const capture = captures.get(refund.captureId);
      if (capture !== undefined) capture.refunded -= refund.amountMinor;
    }
    const index = made.findIndex((r) => r.id === id);
    const entry = made[index];
    if (entry !== undefined) made[index] = { ...entry, status };
    emitFor(refund);
  }

  function bearerValid(req: IncomingMessage): boolean {
    const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const expiresAtMs = match?.[1] === undefined ? undefined : tokens.get(match[1]);
    return expiresAtMs !== undefined && clock() < expiresAtMs;
  }

  function issueToken(req: IncomingMessage, body: string): Reply {
    const expected = Buffer.from(
      `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
    );
    const given = Buffer.from(req.headers.authorization ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return {
        status: 401,
        body: { error: 'invalid_client', error_description: 'Client Authentication failed' },
      };
    }
    if (new URLSearchParams(body).get('grant_type') !== 'client_credentials') {
      return {
        status: 400,
        body: { error: 'unsupported_grant_type', error_description: 'unsupported grant_type' },
      };
    }
    stats.tokensIssued += 1;
    const token = `A21AA${String(stats.tokensIssued).padStart(8, '0')}dbl`;
    tokens.set(token, clock() + tokenTtlSec * 1000);
    return {
      status: 200,
      body: {
        scope: 'https://uri.paypal.com/services/payments/refund',
        access_token: token,
        token_type: 'Bearer',
        app_id: 'APP-DOUBLE',
        expires_in: tokenTtlSec,
        nonce: `nonce-${String(stats.tokensIssued)}`,
      },
    };
  }

  function verifySignature(body: VerifyRequestBody): Reply {
    const fields = [
      body.auth_algo,
      body.cert_url,
      body.transmission_id,
      body.transmission_sig,
      body.transmission_time,
      body.webhook_id,
    ];
    if (fields.some((f) => typeof f !== 'string') || typeof body.webhook_event !== 'object') {
      return paypalError(
        400,
        'VALIDATION_ERROR',
        'MISSING_REQUIRED_PARAMETER',
        'A required field is missing.',
      );
    }
    let valid = false;
    if (
      body.auth_algo === AUTH_ALGO &&
      body.cert_url === certUrl &&
      body.webhook_id === webhookId
    ) {
      const payload = JSON.stringify(body.webhook_event);
      const message = `${String(body.transmission_id)}|${String(body.transmission_time)}|${webhookId}|${String(crc32(payload))}`;
      valid = createVerify('sha256')
        .update(message)
        .verify(publicPem, String(body.transmission_sig), 'base64');
    }
    return { status: 200, body: { verification_status: valid ? 'SUCCESS' : 'FAILURE' } };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://double.invalid');
    if (url.pathname.startsWith('/__double/')) {
      await handleControl(req, res, url.pathname.slice('/__double/'.length));
      return;
    }
    stats.requests += 1;
    if (req.method === 'POST' && url.pathname === '/v1/oauth2/token') {
      const reply = issueToken(req, await readBody(req));
      sendJson(res, reply.status, reply.body);
      return;
    }
    if (!bearerValid(req)) {
      sendJson(res, 401, {
        name: 'AUTHENTICATION_FAILURE',
        message:
          'Authentication failed due to invalid authentication credentials or a missing Authorization header.',
        links: [],
      });
      return;
    }
    const refundPath = /^\/v2\/payments\/captures\/([A-Za-z0-9_-]{1,64})\/refund$/.exec(
      url.pathname,
    );
    if (req.method === 'POST' && refundPath?.[1] !== undefined) {
      const captureId = refundPath[1];
      const text = await readBody(req);
      let body: RefundRequestBody;
      try {
        body = (text === '' ? {} : JSON.parse(text)) as RefundRequestBody;
      } catch {
        sendMalformedJson(res);
        return;
      }
      const keyHeader = req.headers['paypal-request-id'];
      const key = typeof keyHeader === 'string' ? keyHeader : null;
      await applyFault(faults.next('write'), res, () => {
        const fingerprint = `${captureId} ${canonicalJson(body)}`;
        if (key !== null) {
          const stored = answers.get(key);
          if (stored !== undefined) {
            if (stored.fingerprint !== fingerprint) {
              return paypalError(
                422,
                'UNPROCESSABLE_ENTITY',
                'PAYPAL_REQUEST_ID_PREVIOUSLY_USED',
                'The PayPal-Request-Id has already been used for another request.',
              );
            }
            stats.replays += 1;
            return stored.reply;
          }
        }
        const reply = refundCapture(captureId, body, key);
        if (key !== null) answers.set(key, { fingerprint, reply });
        return reply;
      });
      return;
    }
    const readPath = /^\/v2\/payments\/refunds\/([A-Za-z0-9_-]{1,64})$/.exec(url.pathname);
    if (req.method === 'GET' && readPath?.[1] !== undefined) {
      const id = readPath[1];
      await applyFault(faults.next('read'), res, () => {
        const refund = refundById.get(id);
        return refund === undefined
          ? paypalError(
              404,
              'RESOURCE_NOT_FOUND',
              'INVALID_RESOURCE_ID',
              'Specified resource ID does not exist.',
            )
          : { status: 200, body: representation(refund) };
      });
      return;
    }
    if (req.method === 'POST' && url.pathname === '/v1/notifications/verify-webhook-signature') {
      let body: VerifyRequestBody;
      try {
        body = JSON.parse(await readBody(req)) as VerifyRequestBody;
      } catch {
        sendMalformedJson(res);
        return;
      }
      const reply = verifySignature(body);
      sendJson(res, reply.status, reply.body);
      return;
    }
    const reply = paypalError(
      404,
      'RESOURCE_NOT_FOUND',
      'INVALID_RESOURCE_ID',
      'No such endpoint.',
    );
    sendJson(res, reply.status, reply.body);
  }

  async function handleControl(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
  ): Promise<void> {
    if (req.method === 'GET' && path === 'cert') {
      res.writeHead(200, { 'content-type': 'application/x-pem-file' });
      res.end(publicPem);
      return;
    }
    const handled = await handleCommonControl(req, res, path, {
      made,
      events,
      stats,
      faults,
      seed: { path: 'captures', add: seedCapture, count: () => captures.size },
      settle: {
        path: /^refunds\/[A-Za-z0-9_-]+\/settle$/,
        statuses: ['COMPLETED', 'FAILED'],
        apply: (id, status) => settleRefund(id, status),
      },
    });
    if (!handled) sendJson(res, 404, { error: 'no such control endpoint' });
  }

  const server = await startServer(handle, {
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
  });
  const serverUrl = (): string => server.url;
  certUrl = `${server.url}/__double/cert`;

  return {
    url: server.url,
    port: server.port,
    clientId,
    clientSecret,
    webhookId,
    seedCapture,
    refunds: () => [...made],
    events: () => [...events],
    sign,
    tokensIssued: () => stats.tokensIssued,
    revokeTokens: () => tokens.clear(),
    queueFaults: (kinds) => faults.enqueue(kinds),
    settleRefund,
    close: () => server.close(),
  };
}

interface RefundRequestBody {
  readonly amount?: { readonly value?: unknown; readonly currency_code?: unknown };
  readonly custom_id?: unknown;
}

interface VerifyRequestBody {
  readonly auth_algo?: unknown;
  readonly cert_url?: unknown;
  readonly transmission_id?: unknown;
  readonly transmission_sig?: unknown;
  readonly transmission_time?: unknown;
  readonly webhook_id?: unknown;
  readonly webhook_event?: unknown;
}

/** JSON with object keys sorted, so equal bodies compare equal whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
