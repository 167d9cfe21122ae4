/** Vendored from shared/spec/case.schema.json (test/spec-sync.test.ts keeps them equal). */
export const caseSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'refund-desk/case.schema.json',
  title: 'Refund case: every fact one decision needs',
  type: 'object',
  additionalProperties: false,
  required: ['evaluatedAt', 'order', 'usage', 'request'],
  properties: {
    evaluatedAt: {
      $ref: '#/$defs/instant',
      description: 'when the decision is made; no clock is read',
    },
    order: {
      type: 'object',
      additionalProperties: false,
      required: [
        'id',
        'customerId',
        'planId',
        'product',
        'channel',
        'paymentMethod',
        'amountCents',
        'currency',
        'purchasedAt',
        'servicePeriodDays',
      ],
      properties: {
        id: {
          $ref: '#/$defs/id',
        },
        customerId: {
          $ref: '#/$defs/id',
        },
        planId: {
          $ref: '#/$defs/id',
        },
        product: {
          $ref: '#/$defs/product',
        },
        channel: {
          enum: ['official_site', 'designated_link', 'reseller', 'marketplace'],
        },
        paymentMethod: {
          enum: ['card', 'paypal', 'bank', 'crypto'],
        },
        amountCents: {
          type: 'integer',
          minimum: 0,
          description: 'cash paid through the payment method, in minor units',
        },
        currency: {
          type: 'string',
          pattern: '^[A-Z]{3}$',
        },
        promoCreditsCents: {
          type: 'integer',
          minimum: 0,
          default: 0,
          description: 'promotional value applied to the order; never paid out',
        },
        purchasedAt: {
          $ref: '#/$defs/instant',
        },
        servicePeriodDays: {
          type: 'integer',
          minimum: 1,
          maximum: 3660,
        },
        refundedCents: {
          type: 'integer',
          minimum: 0,
          default: 0,
          description: 'money already refunded on this order (any reason), in minor units',
        },
        compensatedIncidentIds: {
          type: 'array',
          default: [],
          items: {
            $ref: '#/$defs/id',
          },
          uniqueItems: true,
          description: 'incidents already compensated on this order (refund or extension)',
        },
      },
    },
    priorOrders: {
      type: 'array',
      default: [],
      description: "the customer's other orders, any plan",
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'planId', 'purchasedAt'],
        properties: {
          id: {
            $ref: '#/$defs/id',
          },
          planId: {
            $ref: '#/$defs/id',
          },
          purchasedAt: {
            $ref: '#/$defs/instant',
          },
          refundedAt: {
            oneOf: [
              {
                $ref: '#/$defs/instant',
              },
              {
                type: 'null',
              },
            ],
            default: null,
          },
          refundKind: {
            enum: ['requested', 'compensation'],
            default: 'requested',
            description:
              'requested: the customer asked for the refund; compensation: the seller paid it for an incident or as goodwill',
          },
        },
      },
    },
    usage: {
      type: 'object',
      additionalProperties: false,
      required: ['trafficBytes', 'requests'],
      properties: {
        trafficBytes: {
          type: 'integer',
          minimum: 0,
        },
        requests: {
          type: 'integer',
          minimum: 0,
        },
      },
      description: 'metered usage of the order as of request.submittedAt',
    },
    reports: {
      type: 'array',
      default: [],
      description: "the customer's reports that this order's service was unusable",
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['reportedAt', 'cause'],
        properties: {
          reportedAt: {
            $ref: '#/$defs/instant',
          },
          cause: {
            enum: [
              'service',
              'target_anti_bot',
              'third_party_tool',
              'account_restriction',
              'user_side',
              'undetermined',
            ],
          },
          remediatedAt: {
            oneOf: [
              {
                $ref: '#/$defs/instant',
              },
              {
                type: 'null',
              },
            ],
            default: null,
          },
        },
      },
    },
    incidents: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'confirmedAt', 'startsAt', 'products', 'widelyImpacting'],
        properties: {
          id: {
            $ref: '#/$defs/id',
          },
          confirmedAt: {
            oneOf: [
              {
                $ref: '#/$defs/instant',
              },
              {
                type: 'null',
              },
            ],
            description: 'when the seller confirmed the incident; null: not confirmed',
          },
          startsAt: {
            $ref: '#/$defs/instant',
          },
          endsAt: {
            oneOf: [
              {
                $ref: '#/$defs/instant',
              },
              {
                type: 'null',
              },
            ],
            default: null,
          },
          products: {
            type: 'array',
            minItems: 1,
            items: {
              oneOf: [
                {
                  $ref: '#/$defs/product',
                },
                {
                  const: 'all',
                },
              ],
            },
          },
          widelyImpacting: {
            type: 'boolean',
          },
        },
      },
    },
    chargebacks: {
      type: 'array',
      default: [],
      description: 'chargebacks and payment disputes on this order',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['status'],
        properties: {
          status: {
            enum: ['open', 'withdrawn', 'won', 'lost'],
            description:
              "won/lost from the seller's side: lost means the card network returned the payment to the customer",
          },
        },
      },
    },
    account: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        tosBreach: {
          type: 'boolean',
          default: false,
        },
        stressTesting: {
          type: 'boolean',
          default: false,
        },
      },
    },
    request: {
      type: 'object',
      additionalProperties: false,
      required: ['submittedAt'],
      properties: {
        submittedAt: {
          $ref: '#/$defs/instant',
        },
        legallyRequired: {
          type: 'boolean',
          default: false,
          description: 'staff recorded that applicable law requires a refund: a person decides',
        },
      },
    },
  },
  $defs: {
    instant: {
      type: 'string',
      pattern:
        '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,3})?(Z|[+-][0-9]{2}:[0-9]{2})$',
      format: 'date-time',
      description: 'RFC 3339 with an explicit offset, at most millisecond precision',
    },
    id: {
      type: 'string',
      minLength: 1,
      maxLength: 128,
    },
    product: {
      enum: [
        'dynamic_residential',
        'static_isp',
        'datacenter',
        'mobile_dynamic',
        'mobile_static',
        'unlimited',
      ],
    },
  },
} as const;
