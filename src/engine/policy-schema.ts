/** The schema of a policy document (YAML or JSON). Compiled ahead of time into generated/. */
import { CHANNELS, PAYMENT_METHODS, PRODUCTS, REPORT_CAUSES } from './types.js';

const SIZE_PATTERN = '^[0-9]+(\\.[0-9]+)? ?(B|kB|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$';

const clauseSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['title', 'text'],
  properties: { title: { type: 'string', minLength: 1 }, text: { type: 'string', minLength: 1 } },
} as const;

const daysSchema = { type: 'integer', minimum: 0, maximum: 36_600 } as const;

export const policySchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'refund-desk/policy.schema.json',
  title: 'Refund policy document',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'version', 'title', 'effectiveFrom', 'clauses', 'parameters'],
  properties: {
    $comment: { type: 'string' },
    id: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' },
    version: { type: 'integer', minimum: 1 },
    title: { type: 'string', minLength: 1 },
    effectiveFrom: { type: 'string', description: 'RFC 3339 instant the version takes effect' },
    preamble: { type: 'string' },
    clauses: {
      type: 'object',
      additionalProperties: false,
      required: ['2', '3', '4'],
      properties: Object.fromEntries(
        ['1', '2', '3', '4', '5', '6', '7'].map((id) => [id, clauseSchema]),
      ),
    },
    parameters: {
      type: 'object',
      additionalProperties: false,
      required: [
        'officialChannels',
        'nonRefundablePaymentMethods',
        'requestWindowDays',
        'technicalBasisRequired',
        'firstPeriodDays',
        'remediationDays',
        'excludedCauses',
        'repeatRefunds',
        'usageCaps',
        'decisionTargetBusinessDays',
        'decisionDeadlineBusinessDays',
      ],
      properties: {
        officialChannels: { type: 'array', uniqueItems: true, items: { enum: [...CHANNELS] } },
        nonRefundablePaymentMethods: {
          type: 'array',
          uniqueItems: true,
          items: { enum: [...PAYMENT_METHODS] },
        },
        requestWindowDays: daysSchema,
        technicalBasisRequired: { type: 'boolean' },
        firstPeriodDays: daysSchema,
        remediationDays: daysSchema,
        excludedCauses: {
          type: 'array',
          uniqueItems: true,
          items: { enum: REPORT_CAUSES.filter((cause) => cause !== 'service') },
        },
        repeatRefunds: {
          type: 'object',
          additionalProperties: false,
          required: ['count', 'lookbackDays'],
          properties: {
            count: { type: 'integer', minimum: 1, maximum: 1000 },
            lookbackDays: daysSchema,
          },
        },
        usageCaps: {
          type: 'object',
          additionalProperties: false,
          required: [...PRODUCTS],
          properties: Object.fromEntries(
            PRODUCTS.map((product) => [
              product,
              {
                type: 'object',
                additionalProperties: false,
                required: ['traffic', 'requests'],
                properties: {
                  traffic: {
                    description:
                      'bytes, or a size such as "500 MB" (SI: 1 MB = 10^6 bytes; IEC: 1 MiB = 2^20)',
                    oneOf: [
                      { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
                      { type: 'string', pattern: SIZE_PATTERN },
                    ],
                  },
                  requests: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
                },
              },
            ]),
          ),
        },
        decisionTargetBusinessDays: { type: 'integer', minimum: 1, maximum: 365 },
        decisionDeadlineBusinessDays: { type: 'integer', minimum: 1, maximum: 365 },
      },
    },
  },
} as const;
