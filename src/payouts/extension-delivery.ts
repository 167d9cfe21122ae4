/**
 * Delivers chosen service extensions to the seller's provisioning system: an HTTP POST of a JSON
 * command, signed exactly as our case webhooks are (app/webhooks/signing.ts: `Refund-Desk-Signature:
 * t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`; the seller verifies with
 * `verifySignature`), with the command's id as `Idempotency-Key` so a re-sent command is the
 * same command.
 *
 * 2xx → acknowledged (the body is kept as the acknowledgement); 4xx other than 408 and 429 →
 * refused; anything else (5xx, 408, 429, time-out, connection error) → tried again after a
 * back-off, and refused once `maxAttempts` are spent without an acknowledgement.
 */
import type { DeskDeps } from '../app/context.js';
import {
  beginExtensionAttempt,
  claimExtensions,
  finishExtensionAttempt,
  type ExtensionAnswer,
} from '../app/payouts/extensions.js';
import { SIGNATURE_HEADER, signWebhook } from '../app/webhooks/signing.js';
import type { ExtensionCommandTable } from '../store/schema.js';

export interface ExtensionTarget {
  /** The seller's provisioning endpoint. */
  readonly url: string;
  readonly secret: string;
  readonly timeoutMs?: number;
}

export interface ExtensionDeliveryOptions {
  readonly workerId: string;
  readonly target: ExtensionTarget;
  readonly batchSize?: number;
  readonly leaseMs?: number;
  /** Attempts without an answer before the extension counts as failed (1..50). */
  readonly maxAttempts?: number;
  readonly backoffBaseMs?: number;
}

export const EXTENSION_DEFAULTS = {
  batchSize: 20,
  leaseMs: 60_000,
  maxAttempts: 8,
  timeoutMs: 10_000,
} as const;

/** The command's body, as signed and sent. */
export function extensionBody(command: ExtensionCommandTable, nowMs: number): string {
  return JSON.stringify({
    type: 'service_extension.granted',
    commandId: command.id,
    requestId: command.requestId,
    orderId: command.orderId,
    extensionDays: command.extensionDays,
    attempt: command.attempts,
    sentAt: new Date(nowMs).toISOString(),
  });
}

const MAX_ACK_CHARS = 2_000;

async function send(
  target: ExtensionTarget,
  command: ExtensionCommandTable,
  nowMs: number,
): Promise<ExtensionAnswer> {
  const body = extensionBody(command, nowMs);
  let response: Response;
  try {
    response = await fetch(target.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': command.id,
        [SIGNATURE_HEADER]: signWebhook(target.secret, body, nowMs),
      },
      body,
      signal: AbortSignal.timeout(target.timeoutMs ?? EXTENSION_DEFAULTS.timeoutMs),
    });
  } catch (error) {
    return { kind: 'no_answer', reason: error instanceof Error ? error.message : String(error) };
  }
  const text = (await response.text().catch(() => '')).slice(0, MAX_ACK_CHARS);
  if (response.ok) return { kind: 'acknowledged', acknowledgement: text };
  if (response.status >= 400 && response.status < 500 && ![408, 429].includes(response.status)) {
    return { kind: 'rejected', reason: `HTTP ${response.status}: ${text.slice(0, 300)}` };
  }
  return { kind: 'no_answer', reason: `HTTP ${response.status}` };
}

/** Delivers one batch of due extension commands; returns how many were sent. */
export async function deliverExtensions(
  deps: DeskDeps,
  options: ExtensionDeliveryOptions,
): Promise<number> {
  const claimed = await claimExtensions(deps, {
    workerId: options.workerId,
    limit: options.batchSize ?? EXTENSION_DEFAULTS.batchSize,
    leaseMs: options.leaseMs ?? EXTENSION_DEFAULTS.leaseMs,
  });
  const maxAttempts = Math.min(
    Math.max(1, options.maxAttempts ?? EXTENSION_DEFAULTS.maxAttempts),
    50,
  );
  let sent = 0;
  for (const claim of claimed) {
    const command = await beginExtensionAttempt(deps, claim.id, options.workerId);
    if (command === undefined) continue;
    const answer = await send(options.target, command, deps.clock.nowMs());
    await finishExtensionAttempt(deps, {
      commandId: command.id,
      answer,
      maxAttempts,
      ...(options.backoffBaseMs === undefined ? {} : { backoffBaseMs: options.backoffBaseMs }),
    });
    sent += 1;
  }
  return sent;
}
