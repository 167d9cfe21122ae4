/** Vendored from shared/spec/decision.schema.json (test/spec-sync.test.ts keeps them equal). */
export const decisionSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'refund-desk/decision.schema.json',
  title: 'Refund decision',
  type: 'object',
  required: [
    'outcome',
    'refundCents',
    'extensionDays',
    'currency',
    'decidableAt',
    'reasons',
    'policyVersion',
  ],
  properties: {
    outcome: {
      enum: ['full_refund', 'prorata', 'pending', 'manual_review', 'denied'],
    },
    refundCents: {
      type: 'integer',
      minimum: 0,
    },
    extensionDays: {
      type: 'integer',
      minimum: 0,
    },
    currency: {
      type: 'string',
      pattern: '^[A-Z]{3}$',
    },
    decidableAt: {
      oneOf: [
        {
          type: 'string',
          pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$',
        },
        {
          type: 'null',
        },
      ],
    },
    reasons: {
      type: 'array',
      items: {
        type: 'object',
        required: ['code', 'clause', 'message'],
        properties: {
          code: {
            enum: [
              'NON_OFFICIAL_CHANNEL',
              'CRYPTO_PAYMENT',
              'WINDOW_EXPIRED',
              'USAGE_CAP_TRAFFIC',
              'USAGE_CAP_REQUESTS',
              'NO_TECHNICAL_BASIS',
              'EXCLUDED_CAUSE',
              'TOS_BREACH',
              'ABUSE_STRESS_TESTING',
              'ABUSE_REPEAT_REFUNDS',
              'ACTIVE_CHARGEBACK',
              'CHARGEBACK_LOST',
              'ALREADY_REFUNDED',
              'LEGAL_REVIEW',
              'AWAITING_REMEDIATION_WINDOW',
              'NEEDS_TECHNICAL_REVIEW',
              'PRORATA_INCIDENT',
              'PROMO_NOT_REFUNDED',
            ],
          },
          clause: {
            enum: ['1', '2', '3', '4', '5', '6', '7'],
          },
          message: {
            type: 'string',
            minLength: 1,
          },
        },
      },
      uniqueItems: true,
    },
    policyVersion: {
      type: 'string',
      minLength: 1,
    },
  },
} as const;
