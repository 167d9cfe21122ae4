/**
 * The payout desk's request bodies: JSON Schemas the routes validate with and the OpenAPI
 * document publishes (http/openapi-payouts.ts), so the two cannot drift.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { FieldError, Result } from '../../engine/index.js';
import { toFieldErrors } from '../../engine/json-schema.js';

export const PAYOUT_INPUT_LIMITS = { maxReasonChars: 2_000, maxReferenceChars: 200 } as const;

export const PAYOUT_SCHEMAS = {
  prorataChoice: {
    title: 'The customer’s choice on a pro-rata offer',
    type: 'object',
    additionalProperties: false,
    required: ['choice'],
    properties: {
      choice: {
        enum: ['refund', 'extension'],
        description:
          'refund: the pro-rata refund to the original payment method; extension: the service extension',
      },
    },
  },
  payoutRetry: {
    title: 'Retry a declined payout',
    type: 'object',
    additionalProperties: false,
    required: ['reason'],
    properties: {
      reason: { type: 'string', minLength: 1, maxLength: PAYOUT_INPUT_LIMITS.maxReasonChars },
    },
  },
  payoutMarkPaid: {
    title: 'Mark a bank transfer or manual payout paid',
    type: 'object',
    additionalProperties: false,
    required: ['reference'],
    properties: {
      reference: {
        type: 'string',
        minLength: 1,
        maxLength: PAYOUT_INPUT_LIMITS.maxReferenceChars,
        description: 'The transfer’s reference (bank statement line, transaction hash, …)',
      },
    },
  },
  payoutBatch: {
    title: 'A payout batch: the waiting payouts of one offline method, as a file for finance',
    type: 'object',
    additionalProperties: false,
    required: ['method'],
    properties: {
      method: {
        enum: ['bank_transfer', 'manual'],
        description: 'bank_transfer: paid by the finance team; manual: crypto refunds staff send',
      },
    },
  },
} as const;

export type PayoutSchemaName = keyof typeof PAYOUT_SCHEMAS;

export interface ProrataChoiceInput {
  readonly choice: 'refund' | 'extension';
}
export interface PayoutRetryInput {
  readonly reason: string;
}
export interface PayoutMarkPaidInput {
  readonly reference: string;
}
export interface PayoutBatchInput {
  readonly method: 'bank_transfer' | 'manual';
}

let compiled: Map<PayoutSchemaName, ValidateFunction> | undefined;

export function parsePayoutBody<T>(name: PayoutSchemaName, body: unknown): Result<T, FieldError[]> {
  if (compiled === undefined) {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    compiled = new Map(
      (Object.keys(PAYOUT_SCHEMAS) as PayoutSchemaName[]).map((key) => [
        key,
        ajv.compile(PAYOUT_SCHEMAS[key]),
      ]),
    );
  }
  const validate = compiled.get(name);
  if (validate === undefined) throw new Error(`no schema ${name}`);
  if (!validate(body))
    return { ok: false, error: toFieldErrors(validate.errors ?? []).slice(0, 20) };
  const record = body as Record<string, unknown>;
  const blank = ['reason', 'reference'].filter(
    (key) => typeof record[key] === 'string' && !/\S/.test(record[key]),
  );
  if (blank.length > 0) {
    return {
      ok: false,
      error: blank.map((key) => ({ pointer: `/${key}`, message: 'must not be blank' })),
    };
  }
  return { ok: true, value: body as T };
}
