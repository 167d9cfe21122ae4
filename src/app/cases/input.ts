/**
 * The bodies of the review routes: JSON Schemas (every string and list bounded; the OpenAPI
 * document declares these very objects), then what a schema cannot say (real instants, text
 * that is not blank). Bad input is a value naming each field by JSON pointer.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { parseInstantMs, type FieldError, type Result } from '../../engine/index.js';
import { toFieldErrors } from '../../engine/json-schema.js';
import { INFO_LIMITS } from './info.js';

export const REVIEW_LIMITS = {
  reasonMaxChars: INFO_LIMITS.reasonMaxChars,
  remediationMaxChars: 5_000,
  idMaxChars: 128,
  maxFieldErrors: 50,
} as const;

/** The causes a review can find (the contract's vocabulary, without `undetermined`). */
export const FINDING_CAUSES = [
  'service',
  'target_anti_bot',
  'third_party_tool',
  'account_restriction',
  'user_side',
] as const;
export type FindingCause = (typeof FINDING_CAUSES)[number];

const reason = {
  type: 'string',
  minLength: 1,
  maxLength: REVIEW_LIMITS.reasonMaxChars,
  description: 'a written reason, in words a reviewer or an auditor reads',
} as const;
const amount = {
  type: 'integer',
  minimum: 0,
  maximum: Number.MAX_SAFE_INTEGER,
  description: 'money in integer minor units of the order currency',
} as const;
const instantOrNull = {
  type: ['string', 'null'],
  maxLength: 40,
  description: 'RFC 3339 instant with an explicit offset, or null (not remediated)',
} as const;

function object(
  title: string,
  properties: Record<string, unknown>,
  required: readonly string[] = [],
): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title,
    type: 'object',
    additionalProperties: false,
    required: [...required],
    properties,
  };
}

export const REVIEW_SCHEMAS = {
  finding: object(
    'Review finding on a report',
    {
      reportId: { type: 'string', minLength: 1, maxLength: REVIEW_LIMITS.idMaxChars },
      cause: {
        enum: [...FINDING_CAUSES],
        description:
          'service (the provider), target_anti_bot (the target site blocks), third_party_tool, ' +
          'account_restriction, user_side (the customer’s own setup)',
      },
      remediation: {
        type: 'string',
        minLength: 1,
        maxLength: REVIEW_LIMITS.remediationMaxChars,
        description: 'what was done, or what the customer should do',
      },
      remediatedAt: instantOrNull,
    },
    ['reportId', 'cause', 'remediation'],
  ),
  infoRequest: object(
    'Questions for the customer',
    {
      questions: {
        type: 'array',
        minItems: 1,
        maxItems: INFO_LIMITS.maxQuestions,
        items: { type: 'string', minLength: 1, maxLength: INFO_LIMITS.questionMaxChars },
      },
      reason,
    },
    ['questions'],
  ),
  answer: object(
    'Answer to an information request',
    { answer: { type: 'string', minLength: 1, maxLength: INFO_LIMITS.answerMaxChars } },
    ['answer'],
  ),
  note: object('A written reason (optional)', { reason }),
  kycCompletion: object('KYC result', { result: { enum: ['verified', 'rejected'] }, reason }, [
    'result',
  ]),
  approval: object('Approval of a full refund', {
    reason,
    refundMinor: { ...amount, minimum: 1 },
  }),
  prorataOffer: object('Offer of a pro-rata refund or a service extension', {
    reason,
    refundMinor: amount,
    extensionDays: { type: 'integer', minimum: 0, maximum: 3_660 },
  }),
  denial: object('Denial', { reason }, ['reason']),
  secondApproval: object(
    'Second approval',
    {
      confirm: { type: 'boolean', description: 'true: approve; false: return to review' },
      reason,
    },
    ['confirm'],
  ),
} as const;

export type ReviewSchemaName = keyof typeof REVIEW_SCHEMAS;

let compiled: Map<ReviewSchemaName, ValidateFunction> | undefined;

function validatorOf(name: ReviewSchemaName): ValidateFunction {
  if (compiled === undefined) {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    compiled = new Map(
      (Object.keys(REVIEW_SCHEMAS) as ReviewSchemaName[]).map((key) => [
        key,
        ajv.compile(REVIEW_SCHEMAS[key]),
      ]),
    );
  }
  const validate = compiled.get(name);
  if (validate === undefined) throw new Error(`no schema ${name}`);
  return validate;
}

function notBlank(body: Record<string, unknown>, keys: readonly string[]): FieldError[] {
  return keys
    .filter((key) => typeof body[key] === 'string' && !/\S/.test(body[key]))
    .map((key) => ({ pointer: `/${key}`, message: 'must not be blank' }));
}

/** Validates a parsed JSON body against the named schema (plus: no blank text). */
export function parseReviewBody<T>(name: ReviewSchemaName, body: unknown): Result<T, FieldError[]> {
  const validate = validatorOf(name);
  if (!validate(body)) {
    return {
      ok: false,
      error: toFieldErrors(validate.errors ?? []).slice(0, REVIEW_LIMITS.maxFieldErrors),
    };
  }
  const record = body as Record<string, unknown>;
  const errors = notBlank(record, ['reason', 'remediation', 'answer']);
  const questions = record['questions'];
  if (Array.isArray(questions)) {
    questions.forEach((q, i) => {
      if (typeof q === 'string' && !/\S/.test(q)) {
        errors.push({ pointer: `/questions/${i}`, message: 'must not be blank' });
      }
    });
  }
  const remediatedAt = record['remediatedAt'];
  if (typeof remediatedAt === 'string' && parseInstantMs(remediatedAt) === undefined) {
    errors.push({
      pointer: '/remediatedAt',
      message: 'must be an RFC 3339 instant with an explicit offset (Z or ±hh:mm)',
    });
  }
  return errors.length > 0 ? { ok: false, error: errors } : { ok: true, value: body as T };
}

export interface FindingInput {
  readonly reportId: string;
  readonly cause: FindingCause;
  readonly remediation: string;
  readonly remediatedAt?: string | null;
}
export interface InfoRequestInput {
  readonly questions: readonly string[];
  readonly reason?: string;
}
export interface AnswerInput {
  readonly answer: string;
}
export interface NoteInput {
  readonly reason?: string;
}
export interface KycCompletionInput {
  readonly result: 'verified' | 'rejected';
  readonly reason?: string;
}
export interface ApprovalInput {
  readonly reason?: string;
  readonly refundMinor?: number;
}
export interface ProrataOfferInput {
  readonly reason?: string;
  readonly refundMinor?: number;
  readonly extensionDays?: number;
}
export interface DenialInput {
  readonly reason: string;
}
export interface SecondApprovalInput {
  readonly confirm: boolean;
  readonly reason?: string;
}
