/**
 * A local Stripe: the subset of the API the card adapter uses, over real HTTP, with faults.
 *
 * - `POST /v1/refunds` (form-encoded: charge | payment_intent, amount, metadata[…]) honouring
 *   `Idempotency-Key`: the same key with the same parameters replays the first answer (with
 *   `Idempotent-Replayed: true`), different parameters are a 400 `idempotency_error`;
 * - `GET /v1/refunds?charge=…|payment_intent=…&limit=&starting_after=` and `GET /v1/refunds/:id`;
 * - webhook events (`refund.created`, `refund.updated`, `charge.refunded`) signed with Stripe's
 *   scheme (`Stripe-Signature: t=…,v1=HMAC-SHA256(secret, "t.payload")`), posted to a URL and
 *   kept for `GET /__double/events`.
 *
 * Declines: an amount above the charge's unrefunded amount (`amount_too_large`), a fully
 * refunded charge (`charge_already_refunded`), an unknown charge (`resource_missing`), and magic
 * charge ids: containing `refund_declined` → 402 `card_declined`; `disputed` → 400
 * `charge_disputed`; `refund_fails` → a refund with status `failed`; `refund_pending` → status
 * `pending` (settle it with `POST /__double/refunds/:id/settle`).
 *
 * Inspection and control (`/__double/…`): `GET refunds` (every refund actually made), `POST
 * charges` (seed), `POST faults` ({queue: FaultKind[]}), `GET stats`, `GET events`.
 */
import { createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
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

export interface StripeDoubleOptions {
  /** 0: any free port. */
  readonly port?: number;
  readonly host?: string;
  /** The secret key clients must send (`Authorization: Bearer …`). */
  readonly apiKey?: string;
  /** The webhook signing secret (`whsec_…`). */
  readonly webhookSecret?: string;
  /** Where events are posted; none: events are only kept for `GET /__double/events`. */
  readonly webhookUrl?: string;
  /** Probability that an event is delivered twice. */
  readonly webhookDuplicateRate?: number;
  readonly faults?: Partial<FaultRates>;
  /** A charge every unknown `ch_…`/`pi_…` reference gets on first use; none: unknown refs 400. */
  readonly autoCharge?: { readonly amountMinor: number; readonly currency: string };
  /** The double's clock (epoch ms) for `created` and webhook timestamps. */
  readonly clock?: () => number;
}

export interface SeededCharge {
  readonly id: string;
  readonly amountMinor: number;
  /** ISO 4217; stored lower case as Stripe does. */
  readonly currency: string;
  readonly paymentIntentId?: string;
}

/** One refund the double actually made. */
export interface DoubleRefund {
  readonly id: string;
  readonly chargeRef: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly status: string;
  /** The key of the request that created it (null if it had none). */
  readonly idempotencyKey: string | null;
  /** Our refund's id as sent in metadata.refund_id / custom_id (null if absent). */
  readonly refundId: string | null;
  readonly createdAtMs: number;
}

export interface SignedEvent {
  readonly id: string;
  readonly type: string;
  readonly payload: string;
  /** The signature header's value. */
  readonly signature: string;
}

interface Charge {
  readonly id: string;
  readonly amount: number;
  readonly currency: string;
  readonly paymentIntent: string | null;
  amountRefunded: number;
}

interface StripeRefund {
  id: string;
  object: 'refund';
  amount: number;
  currency: string;
  charge: string;
  payment_intent: string | null;
  status: 'pending' | 'succeeded' | 'failed' | 'canceled';
  failure_reason: string | null;
  metadata: Record<string, string>;
  created: number;
  reason: string | null;
  balance_transaction: null;
}

interface StoredAnswer {
  readonly fingerprint: string;
  readonly reply: Reply;
}

export interface StripeDouble {
  readonly url: string;
  readonly port: number;
  readonly apiKey: string;
  readonly webhookSecret: string;
  seedCharge(charge: SeededCharge): void;
  /** Every refund actually made, in the order made. */
  refunds(): readonly DoubleRefund[];
  events(): readonly SignedEvent[];
  queueFaults(faults: readonly FaultKind[]): void;
  settleRefund(refundId: string, status: 'succeeded' | 'failed', failureReason?: string): void;
  close(): Promise<void>;
}

const MAX_LIST_LIMIT = 100;
const MAX_CHARGES = 1_000_000;

export async function startStripeDouble(options: StripeDoubleOptions = {}): Promise<StripeDouble> {
  const apiKey = options.apiKey ?? 'sk_test_double';
  const webhookSecret = options.webhookSecret ?? 'whsec_double';
  const clock = options.clock ?? (() => Date.now());
  const faults = new FaultPlan({ ...NO_FAULTS, ...options.faults });
  const random = mulberry32((options.faults?.seed ?? 1) ^ 0x5bd1e995);
  const charges = new Map<string, Charge>();
  const chargeByIntent = new Map<string, string>();
  const refunds: StripeRefund[] = [];
  const refundById = new Map<string, StripeRefund>();
  const made: DoubleRefund[] = [];
  const answers = new Map<string, StoredAnswer>();
  const events: SignedEvent[] = [];
  const stats = { requests: 0, replays: 0, webhooksSent: 0, webhooksFailed: 0 };
  const webhooks: WebhookTarget = {
    url: options.webhookUrl,
    duplicateRate: options.webhookDuplicateRate ?? 0,
    random,
    stats,
  };
  let sequence = 0;

  function seedCharge(charge: SeededCharge): void {
    if (charges.size >= MAX_CHARGES) throw new Error(`at most ${MAX_CHARGES} charges`);
    if (!Number.isSafeInteger(charge.amountMinor) || charge.amountMinor <= 0) {
      throw new Error('amountMinor must be a positive safe integer');
    }
    charges.set(charge.id, {
      id: charge.id,
      amount: charge.amountMinor,
      currency: charge.currency.toLowerCase(),
      paymentIntent: charge.paymentIntentId ?? null,
      amountRefunded: 0,
    });
    if (charge.paymentIntentId !== undefined) chargeByIntent.set(charge.paymentIntentId, charge.id);
  }

  function findCharge(ref: string, field: 'charge' | 'payment_intent'): Charge | undefined {
    const id = field === 'charge' ? ref : chargeByIntent.get(ref);
    const found = id === undefined ? undefined : charges.get(id);
    if (found !== undefined || options.autoCharge === undefined) return found;
    const chargeId = field === 'charge' ? ref : `ch_auto_${ref}`;
    seedCharge({
      id: chargeId,
      amountMinor: options.autoCharge.amountMinor,
      currency: options.autoCharge.currency,
      ...(field === 'payment_intent' ? { paymentIntentId: ref } : {}),
    });
    return charges.get(chargeId);
  }

  function nextId(prefix: string): string {
    sequence += 1;
    return `${prefix}_dbl${String(sequence).padStart(10, '0')}`;
  }

  function signature(payload: string, timestampSec: number): string {
    const mac = createHmac('sha256', webhookSecret)
      .update(`${String(timestampSec)}.${payload}`)
      .digest('hex');
    return `t=${String(timestampSec)},v1=${mac}`;
  }

  function emit(type: string, object: unknown, idempotencyKey: string | null): void {
    const nowMs = clock();
    const id = nextId('evt');
    const payload = JSON.stringify({
      id,
      object: 'event',
      api_version: '2026-10-28.endive',
      created: Math.floor(nowMs / 1000),
      type,
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: idempotencyKey },
      data: { object },
    });
    const event = { id, type, payload, signature: signature(payload, Math.floor(nowMs / 1000)) };
    publishEvent(
      events,
      event,
      { headers: { 'stripe-signature': event.signature }, body: payload },
      webhooks,
    );
  }

  function stripeError(
    status: number,
    type: string,
    message: string,
    extra: Record<string, string> = {},
  ): Reply {
    return { status, body: { error: { type, message, ...extra } } };
  }

  function createRefund(params: URLSearchParams, key: string | null): Reply {
    const chargeRef = params.get('charge');
    const intentRef = params.get('payment_intent');
    if ((chargeRef === null) === (intentRef === null)) {
      return stripeError(
        400,
        'invalid_request_error',
        'Pass exactly one of charge or payment_intent.',
        {
          code: 'parameter_missing',
        },
      );
    }
    const field = chargeRef !== null ? 'charge' : 'payment_intent';
    const ref = chargeRef ?? intentRef ?? '';
    const charge = findCharge(ref, field);
    if (charge === undefined) {
      return stripeError(400, 'invalid_request_error', `No such ${field}: '${ref}'`, {
        code: 'resource_missing',
        param: field,
      });
    }
    const amountText = params.get('amount');
    const remaining = charge.amount - charge.amountRefunded;
    let amount = remaining;
    if (amountText !== null) {
      if (!/^[1-9]\d{0,14}$/.test(amountText)) {
        return stripeError(400, 'invalid_request_error', 'Invalid positive integer', {
          code: 'parameter_invalid_integer',
          param: 'amount',
        });
      }
      amount = Number(amountText);
    }
    if (ref.includes('refund_declined')) {
      return stripeError(402, 'card_error', 'Your card was declined.', {
        code: 'card_declined',
        decline_code: 'generic_decline',
      });
    }
    if (ref.includes('disputed')) {
      return stripeError(
        400,
        'invalid_request_error',
        `Charge ${charge.id} has been charged back; cannot issue a refund.`,
        { code: 'charge_disputed' },
      );
    }
    if (remaining === 0) {
      return stripeError(
        400,
        'invalid_request_error',
        `Charge ${charge.id} has already been refunded.`,
        { code: 'charge_already_refunded' },
      );
    }
    if (amount > remaining) {
      return stripeError(
        400,
        'invalid_request_error',
        `Refund amount (${String(amount)}) is greater than unrefunded amount on charge (${String(remaining)})`,
        { code: 'amount_too_large', param: 'amount' },
      );
    }
    const metadata: Record<string, string> = {};
    for (const [name, value] of params) {
      const m = /^metadata\[([^\]]{1,40})\]$/.exec(name);
      if (m?.[1] !== undefined) metadata[m[1]] = value;
    }
    const status = ref.includes('refund_fails')
      ? 'failed'
      : ref.includes('refund_pending')
        ? 'pending'
        : 'succeeded';
    const nowMs = clock();
    const refund: StripeRefund = {
      id: nextId('re'),
      object: 'refund',
      amount,
      currency: charge.currency,
      charge: charge.id,
      payment_intent: charge.paymentIntent,
      status,
      failure_reason: status === 'failed' ? 'expired_or_canceled_card' : null,
      metadata,
      created: Math.floor(nowMs / 1000),
      reason: params.get('reason'),
      balance_transaction: null,
    };
    if (status !== 'failed') charge.amountRefunded += amount;
    refunds.push(refund);
    refundById.set(refund.id, refund);
    made.push({
      id: refund.id,
      chargeRef: ref,
      amountMinor: amount,
      currency: charge.currency.toUpperCase(),
      status,
      idempotencyKey: key,
      refundId: metadata['refund_id'] ?? null,
      createdAtMs: nowMs,
    });
    emit('refund.created', { ...refund }, key);
    if (status === 'succeeded') emit('charge.refunded', chargeObject(charge), key);
    if (status === 'failed') emit('refund.failed', { ...refund }, key);
    return { status: 200, body: { ...refund } };
  }

  function chargeObject(charge: Charge): unknown {
    return {
      id: charge.id,
      object: 'charge',
      amount: charge.amount,
      amount_refunded: charge.amountRefunded,
      currency: charge.currency,
      payment_intent: charge.paymentIntent,
      refunded: charge.amountRefunded === charge.amount,
    };
  }

  function settleRefund(id: string, status: 'succeeded' | 'failed', failureReason?: string): void {
    const refund = refundById.get(id);
    if (refund === undefined) throw new Error(`no refund ${id}`);
    if (refund.status !== 'pending') throw new Error(`refund ${id} is ${refund.status}`);
    refund.status = status;
    const charge = charges.get(refund.charge);
    if (status === 'failed') {
      refund.failure_reason = failureReason ?? 'declined';
      if (charge !== undefined) charge.amountRefunded -= refund.amount;
    }
    const index = made.findIndex((r) => r.id === id);
    const entry = made[index];
    if (entry !== undefined) made[index] = { ...entry, status };
    emit('refund.updated', { ...refund }, null);
    if (status === 'failed') emit('refund.failed', { ...refund }, null);
    if (status === 'succeeded' && charge !== undefined) {
      emit('charge.refunded', chargeObject(charge), null);
    }
  }

  function listRefunds(query: URLSearchParams): Reply {
    const chargeRef = query.get('charge');
    const intentRef = query.get('payment_intent');
    const limitText = query.get('limit') ?? '10';
    const limit = /^\d{1,3}$/.test(limitText) ? Number(limitText) : NaN;
    if (!(limit >= 1 && limit <= MAX_LIST_LIMIT)) {
      return stripeError(400, 'invalid_request_error', 'limit must be within 1..100', {
        param: 'limit',
      });
    }
    const matching = refunds
      .filter(
        (r) =>
          (chargeRef === null || r.charge === chargeRef) &&
          (intentRef === null || r.payment_intent === intentRef),
      )
      .reverse();
    const after = query.get('starting_after');
    const start = after === null ? 0 : matching.findIndex((r) => r.id === after) + 1;
    const page = matching.slice(start, start + limit);
    return {
      status: 200,
      body: {
        object: 'list',
        url: '/v1/refunds',
        has_more: start + limit < matching.length,
        data: page.map((r) => ({ ...r })),
      },
    };
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    stats.requests += 1;
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      const reply = stripeError(401, 'invalid_request_error', 'Invalid API Key provided.');
      sendJson(res, reply.status, reply.body);
      return;
    }
    if (req.method === 'POST' && url.pathname === '/v1/refunds') {
      const body = await readBody(req);
      const params = new URLSearchParams(body);
      const keyHeader = req.headers['idempotency-key'];
      const key = typeof keyHeader === 'string' ? keyHeader : null;
      await applyFault(faults.next('write'), res, () => {
        const fingerprint = [...params]
          .map(([k, v]) => `${k}=${v}`)
          .sort()
          .join('&');
        if (key !== null) {
          const stored = answers.get(key);
          if (stored !== undefined) {
            if (stored.fingerprint !== fingerprint) {
              return stripeError(
                400,
                'idempotency_error',
                `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
              );
            }
            stats.replays += 1;
            return {
              ...stored.reply,
              headers: { 'idempotent-replayed': 'true', 'idempotency-key': key },
            };
          }
        }
        const reply = createRefund(params, key);
        if (key !== null) answers.set(key, { fingerprint, reply });
        return key === null ? reply : { ...reply, headers: { 'idempotency-key': key } };
      });
      return;
    }
    if (req.method === 'GET' && url.pathname === '/v1/refunds') {
      await applyFault(faults.next('read'), res, () => listRefunds(url.searchParams));
      return;
    }
    const one = /^\/v1\/refunds\/([A-Za-z0-9_]{1,64})$/.exec(url.pathname);
    if (req.method === 'GET' && one?.[1] !== undefined) {
      const id = one[1];
      await applyFault(faults.next('read'), res, () => {
        const refund = refundById.get(id);
        return refund === undefined
          ? stripeError(404, 'invalid_request_error', `No such refund: '${id}'`, {
              code: 'resource_missing',
              param: 'id',
            })
          : { status: 200, body: { ...refund } };
      });
      return;
    }
    const reply = stripeError(
      404,
      'invalid_request_error',
      `Unrecognized request URL (${req.method ?? ''}: ${url.pathname}).`,
    );
    sendJson(res, reply.status, reply.body);
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname.slice('/__double/'.length);
    const handled = await handleCommonControl(req, res, path, {
      made,
      events,
      stats,
      faults,
      seed: { path: 'charges', add: seedCharge, count: () => charges.size },
      settle: {
        path: /^refunds\/[A-Za-z0-9_]+\/settle$/,
        statuses: ['succeeded', 'failed'],
        apply: (id, status, body) => settleRefund(id, status, body.failureReason),
      },
    });
    if (!handled) sendJson(res, 404, { error: 'no such control endpoint' });
  }

  const server = await startServer(
    async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://double.invalid');
      if (url.pathname.startsWith('/__double/')) await handleControl(req, res, url);
      else await handleApi(req, res, url);
    },
    { port: options.port ?? 0, host: options.host ?? '127.0.0.1' },
  );

  return {
    url: server.url,
    port: server.port,
    apiKey,
    webhookSecret,
    seedCharge,
    refunds: () => [...made],
    events: () => [...events],
    queueFaults: (kinds) => faults.enqueue(kinds),
    settleRefund,
    close: () => server.close(),
  };
}
