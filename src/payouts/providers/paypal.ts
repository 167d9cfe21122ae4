/**
 * PayPal refunds: a refund of the original capture (`POST /v2/payments/captures/{id}/refund`)
 * with `PayPal-Request-Id` = our idempotency key, so PayPal answers every retry with the first
 * request's response instead of refunding again. OAuth2 client-credentials tokens are cached
 * until shortly before they expire (by the injected clock). Plain `fetch` (undici) with a
 * time-out; what PayPal did not tell us is `unknown`.
 *
 * `lookup` reads the refund by its PayPal id when an earlier outcome gave one; otherwise it
 * repeats the original request with the same `PayPal-Request-Id`, which PayPal answers with
 * the original response (PayPal offers no read by request id or custom id). That repeat can
 * only ever be the one refund the key stands for: it never pays twice.
 */
import type { Clock } from '../../app/context.js';
import type {
  LookupOutcome,
  PayoutProvider,
  ProviderOutcome,
  RefundInstruction,
} from '../../app/payouts/provider.js';
import { decimalAmount, parseAmount } from './amounts.js';

export interface PayPalConfig {
  /** e.g. https://api-m.paypal.com, or the local double's URL. */
  readonly baseUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Per-request time-out (each of token and API call). */
  readonly timeoutMs: number;
  readonly clock: Clock;
  /** A token is renewed this long before it expires (default 60 s). */
  readonly tokenRefreshMarginMs?: number;
}

/** An HTTP answer from PayPal, or none (time-out, reset, refused connection). */
export type PayPalAnswer =
  | { readonly kind: 'answer'; readonly status: number; readonly body: unknown }
  | { readonly kind: 'no_answer'; readonly reason: string };

const DEFAULT_REFRESH_MARGIN_MS = 60_000;
const MAX_RESPONSE_BYTES = 1024 * 1024;
/** PayPal writes these currencies without decimals although ISO 4217 gives them two. */
const PAYPAL_WHOLE_UNIT_CURRENCIES = new Set(['HUF', 'TWD']);

/** The amount text PayPal takes, or null when PayPal cannot express it. */
export function paypalAmountValue(amountMinor: number, currency: string): string | null {
  if (PAYPAL_WHOLE_UNIT_CURRENCIES.has(currency)) {
    return amountMinor % 100 === 0 ? String(amountMinor / 100) : null;
  }
  return decimalAmount(amountMinor, currency);
}

/** Minor units of a PayPal amount text, or null when unreadable. */
export function paypalValueToMinor(value: string, currency: string): number | null {
  if (PAYPAL_WHOLE_UNIT_CURRENCIES.has(currency) && /^\d{1,15}$/.test(value)) {
    return Number(value) * 100;
  }
  return parseAmount(value, currency);
}

/** Token cache and authenticated JSON requests; shared by the refund adapter and webhooks. */
export class PayPalClient {
  private token: { readonly value: string; readonly renewAtMs: number } | null = null;
  private pendingToken: Promise<string | PayPalAnswer> | null = null;
  /** How many tokens were fetched (for tests of the cache). */
  tokensFetched = 0;

  constructor(readonly config: PayPalConfig) {
    if (!Number.isSafeInteger(config.timeoutMs) || config.timeoutMs <= 0) {
      throw new Error('timeoutMs must be a positive integer');
    }
  }

  /**
   * An authenticated request; a 401 (token revoked or expired early) drops the cached token
   * and is sent once more with a new one — PayPal did nothing on a 401.
   */
  async request(
    method: 'GET' | 'POST',
    path: string,
    options: { readonly body?: string; readonly headers?: Readonly<Record<string, string>> } = {},
  ): Promise<PayPalAnswer> {
    for (let attempt = 0; ; attempt += 1) {
      const token = await this.accessToken();
      if (typeof token !== 'string') return token;
      const answer = await this.send(
        method,
        path,
        {
          authorization: `Bearer ${token}`,
          ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
        options.body,
      );
      if (answer.kind === 'answer' && answer.status === 401 && attempt === 0) {
        this.token = null;
        continue;
      }
      return answer;
    }
  }

  /** The cached token, or a new one; a `PayPalAnswer` when none could be had. */
  async accessToken(): Promise<string | PayPalAnswer> {
    const nowMs = this.config.clock.nowMs();
    if (this.token !== null && nowMs < this.token.renewAtMs) return this.token.value;
    if (this.pendingToken === null) {
      this.pendingToken = this.fetchToken().finally(() => {
        this.pendingToken = null;
      });
    }
    return this.pendingToken;
  }

  private async fetchToken(): Promise<string | PayPalAnswer> {
    const requestedAtMs = this.config.clock.nowMs();
    const basic = Buffer.from(`${this.config.clientId}:${this.config.clientSecret}`).toString(
      'base64',
    );
    const answer = await this.send(
      'POST',
      '/v1/oauth2/token',
      {
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      'grant_type=client_credentials',
    );
    if (answer.kind === 'no_answer') return answer;
    const body = answer.body as { access_token?: unknown; expires_in?: unknown } | null;
    if (
      answer.status !== 200 ||
      typeof body?.access_token !== 'string' ||
      typeof body.expires_in !== 'number' ||
      !Number.isSafeInteger(body.expires_in)
    ) {
      return {
        kind: 'no_answer',
        reason: `PayPal refused a token (HTTP ${String(answer.status)})`,
      };
    }
    this.tokensFetched += 1;
    const margin = this.config.tokenRefreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS;
    // Counted from when we asked, so a slow answer never makes us keep a token too long.
    const renewAtMs = requestedAtMs + Math.max(0, body.expires_in * 1000 - margin);
    this.token = { value: body.access_token, renewAtMs };
    return body.access_token;
  }

  private async send(
    method: string,
    path: string,
    headers: Readonly<Record<string, string>>,
    body: string | undefined,
  ): Promise<PayPalAnswer> {
    const url = new URL(path, this.config.baseUrl);
    try {
      const response = await fetch(url, {
        method,
        headers: { accept: 'application/json', ...headers },
        ...(body !== undefined ? { body } : {}),
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
      const text = await response.text();
      if (Buffer.byteLength(text) > MAX_RESPONSE_BYTES) {
        return {
          kind: 'no_answer',
          reason: `PayPal answered more than ${String(MAX_RESPONSE_BYTES)} bytes`,
        };
      }
      let parsed: unknown = null;
      try {
        parsed = text === '' ? null : JSON.parse(text);
      } catch {
        parsed = null;
      }
      return { kind: 'answer', status: response.status, body: parsed };
    } catch (error) {
      return { kind: 'no_answer', reason: describeFetchError(error, this.config.timeoutMs) };
    }
  }
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError' || error.name === 'AbortError') {
      return `no answer from PayPal within ${String(timeoutMs)} ms`;
    }
    const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
    const code = typeof cause?.code === 'string' ? ` (${cause.code})` : '';
    return `connection to PayPal failed${code}: ${error.message}`;
  }
  return `connection to PayPal failed: ${String(error)}`;
}

interface PayPalRefundBody {
  readonly id?: unknown;
  readonly status?: unknown;
  readonly status_details?: { readonly reason?: unknown };
}

interface PayPalErrorBody {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly details?: readonly { readonly issue?: unknown; readonly description?: unknown }[];
}

/** A PayPal refund resource's status as an outcome. */
export function paypalRefundOutcome(body: unknown): ProviderOutcome {
  const refund = body as PayPalRefundBody | null;
  const id = refund?.id;
  const status = refund?.status;
  if (typeof id !== 'string' || typeof status !== 'string') {
    return { kind: 'unknown', reason: 'PayPal answered without a refund id and status' };
  }
  switch (status) {
    case 'COMPLETED':
      return { kind: 'succeeded', providerRefundId: id };
    case 'PENDING':
      return { kind: 'pending', providerRefundId: id };
    case 'FAILED':
    case 'CANCELLED': {
      const reason = refund?.status_details?.reason;
      return {
        kind: 'declined',
        code: typeof reason === 'string' ? reason : status,
        reason: `PayPal refund ${id} ${status.toLowerCase()}${typeof reason === 'string' ? `: ${reason}` : ''}`,
      };
    }
    default:
      return { kind: 'unknown', reason: `PayPal refund ${id} has status ${status}` };
  }
}

/** An answer to a refund request as an outcome. */
function answerOutcome(answer: PayPalAnswer): ProviderOutcome {
  if (answer.kind === 'no_answer') return { kind: 'unknown', reason: answer.reason };
  const { status, body } = answer;
  if (status === 200 || status === 201) return paypalRefundOutcome(body);
  const error = body as PayPalErrorBody | null;
  const name = typeof error?.name === 'string' ? error.name : `HTTP_${String(status)}`;
  const first = error?.details?.[0];
  const issue = typeof first?.issue === 'string' ? first.issue : name;
  const description =
    typeof first?.description === 'string'
      ? first.description
      : typeof error?.message === 'string'
        ? error.message
        : `PayPal answered HTTP ${String(status)}`;
  // Left open: PayPal failed, throttled, rejected our credentials, or saw this request id
  // used with another body (an earlier request under this key may have paid).
  if (
    status >= 500 ||
    status === 401 ||
    status === 408 ||
    status === 409 ||
    status === 429 ||
    issue === 'PAYPAL_REQUEST_ID_PREVIOUSLY_USED'
  ) {
    return { kind: 'unknown', reason: `${issue}: ${description}` };
  }
  return { kind: 'declined', code: issue, reason: description };
}

const CAPTURE_ID = /^[A-Za-z0-9_-]{1,64}$/;

export class PayPalProvider implements PayoutProvider {
  readonly method = 'paypal' as const;

  constructor(readonly client: PayPalClient) {}

  async refund(instruction: RefundInstruction): Promise<ProviderOutcome> {
    const request = refundRequest(instruction);
    if ('kind' in request) return request;
    return answerOutcome(await this.client.request('POST', request.path, request.options));
  }

  async lookup(instruction: RefundInstruction): Promise<LookupOutcome> {
    if (instruction.providerRefundId !== undefined) {
      const id = instruction.providerRefundId;
      if (!CAPTURE_ID.test(id)) return { kind: 'not_found' };
      const answer = await this.client.request('GET', `/v2/payments/refunds/${id}`);
      if (answer.kind === 'no_answer') return { kind: 'unknown', reason: answer.reason };
      if (answer.status === 404) return { kind: 'not_found' };
      if (answer.status !== 200) {
        return {
          kind: 'unknown',
          reason: `reading PayPal refund ${id}: HTTP ${String(answer.status)}`,
        };
      }
      return paypalRefundOutcome(answer.body);
    }
    const request = refundRequest(instruction);
    if ('kind' in request) return { kind: 'not_found' };
    // The same PayPal-Request-Id: PayPal replays the original answer.
    return answerOutcome(await this.client.request('POST', request.path, request.options));
  }
}

function refundRequest(instruction: RefundInstruction):
  | {
      readonly path: string;
      readonly options: { body: string; headers: Readonly<Record<string, string>> };
    }
  | Extract<ProviderOutcome, { kind: 'declined' }> {
  if (!CAPTURE_ID.test(instruction.chargeRef)) {
    return {
      kind: 'declined',
      code: 'unsupported_charge_ref',
      reason: `the capture reference ${instruction.chargeRef} is not a PayPal capture id`,
    };
  }
  const value = paypalAmountValue(instruction.amountMinor, instruction.currency);
  if (value === null) {
    return {
      kind: 'declined',
      code: 'DECIMAL_PRECISION',
      reason: `PayPal takes ${instruction.currency} in whole units only`,
    };
  }
  return {
    path: `/v2/payments/captures/${instruction.chargeRef}/refund`,
    options: {
      body: JSON.stringify({
        amount: { value, currency_code: instruction.currency },
        custom_id: instruction.refundId,
      }),
      headers: {
        'paypal-request-id': instruction.idempotencyKey,
        prefer: 'return=representation',
      },
    },
  };
}
