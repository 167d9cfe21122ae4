/**
 * JSON Schemas (draft 2020-12) of the billing facts the seller's billing system feeds us, one
 * per kind, and their Ajv validators (compiled once per process, on first use). Every string
 * and array has a limit, every integer is safe. Each schema carries its own `$defs`, so the
 * OpenAPI generator can include it as a component as it does the case schema.
 *
 * What a schema cannot say (real calendar instants, the order of two instants, card numbers)
 * is checked in parse.ts.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import {
  CHANNELS,
  CHARGEBACK_STATUSES,
  PAYMENT_METHODS,
  PRODUCTS,
  REPORT_CAUSES,
} from '../../engine/index.js';

export const FACT_KINDS = [
  'customer',
  'plan',
  'order',
  'usage',
  'report',
  'incident',
  'chargeback',
  'refund',
  'flags',
] as const;
export type FactKind = (typeof FACT_KINDS)[number];

export const KYC_STATUSES = [
  'not_required',
  'required',
  'submitted',
  'verified',
  'rejected',
] as const;
export type KycStatus = (typeof KYC_STATUSES)[number];

export const REFUND_KINDS = ['requested', 'compensation'] as const;

/** Limits, named with their units. */
export const FACT_LIMITS = {
  idMaxChars: 128,
  emailMaxChars: 254,
  nameMaxChars: 200,
  descriptionMaxChars: 4_000,
  providerMaxChars: 32,
  chargeRefMaxChars: 128,
  servicePeriodMaxDays: 3_660,
} as const;

/** Identifiers travel in URL paths: letters, digits and `._:-`, starting with a letter or digit. */
export const ID_PATTERN = `^[A-Za-z0-9][A-Za-z0-9._:-]{0,${FACT_LIMITS.idMaxChars - 1}}$`;

const INSTANT_PATTERN =
  '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,3})?(Z|[+-][0-9]{2}:[0-9]{2})$';

const defs = {
  id: {
    type: 'string',
    minLength: 1,
    maxLength: FACT_LIMITS.idMaxChars,
    pattern: ID_PATTERN,
  },
  instant: {
    type: 'string',
    maxLength: 29,
    pattern: INSTANT_PATTERN,
    format: 'date-time',
    description: 'RFC 3339 with an explicit offset, at most millisecond precision',
  },
  nullableInstant: {
    oneOf: [{ $ref: '#/$defs/instant' }, { type: 'null' }],
  },
  email: {
    type: 'string',
    minLength: 3,
    maxLength: FACT_LIMITS.emailMaxChars,
    pattern: '^[^\\s@]+@[^\\s@]+$',
    format: 'email',
  },
  name: { type: 'string', minLength: 1, maxLength: FACT_LIMITS.nameMaxChars },
  minor: {
    type: 'integer',
    minimum: 0,
    maximum: Number.MAX_SAFE_INTEGER,
    description: 'money in integer minor units of the currency',
  },
  count: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
  product: { enum: [...PRODUCTS] },
  kycStatus: { enum: [...KYC_STATUSES] },
  servicePeriodDays: { type: 'integer', minimum: 1, maximum: FACT_LIMITS.servicePeriodMaxDays },
} as const;

function factSchema<const S extends object>(name: string, title: string, schema: S) {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `refund-desk/facts/${name}.schema.json`,
    title,
    type: 'object',
    additionalProperties: false,
    ...schema,
    $defs: defs,
  } as const;
}

export const customerSchema = factSchema('customer', 'Customer', {
  required: ['id', 'email', 'name'],
  properties: {
    id: { $ref: '#/$defs/id' },
    email: { $ref: '#/$defs/email' },
    name: { $ref: '#/$defs/name' },
    kycStatus: {
      $ref: '#/$defs/kycStatus',
      description: 'absent: unchanged (not_required for a new customer)',
    },
  },
});

export const planSchema = factSchema('plan', 'Plan', {
  required: ['id', 'product', 'name', 'servicePeriodDays'],
  properties: {
    id: { $ref: '#/$defs/id' },
    product: { $ref: '#/$defs/product' },
    name: { $ref: '#/$defs/name' },
    servicePeriodDays: { $ref: '#/$defs/servicePeriodDays' },
  },
});

export const orderSchema = factSchema('order', 'Order', {
  required: [
    'id',
    'customerId',
    'planId',
    'channel',
    'paymentMethod',
    'provider',
    'chargeRef',
    'amountMinor',
    'currency',
    'purchasedAt',
    'servicePeriodDays',
    'email',
  ],
  properties: {
    id: { $ref: '#/$defs/id' },
    customerId: { $ref: '#/$defs/id' },
    planId: { $ref: '#/$defs/id' },
    product: { $ref: '#/$defs/product', description: "absent: the plan's product" },
    channel: { enum: [...CHANNELS] },
    paymentMethod: { enum: [...PAYMENT_METHODS] },
    provider: {
      type: 'string',
      minLength: 1,
      maxLength: FACT_LIMITS.providerMaxChars,
      pattern: '^[a-z0-9][a-z0-9_.-]*$',
      description: 'the payment provider holding the charge: stripe, paypal, bank, …',
    },
    chargeRef: {
      type: 'string',
      minLength: 1,
      maxLength: FACT_LIMITS.chargeRefMaxChars,
      pattern: '^[A-Za-z0-9][A-Za-z0-9_.:/#-]*$',
      description:
        "the provider's charge or capture reference; never a card number (refused when it looks like one)",
    },
    amountMinor: { $ref: '#/$defs/minor' },
    currency: { type: 'string', maxLength: 3, pattern: '^[A-Z]{3}$', description: 'ISO 4217' },
    promoCreditsMinor: {
      $ref: '#/$defs/minor',
      description: 'promotional value applied to the order; never paid out (absent: 0)',
    },
    purchasedAt: { $ref: '#/$defs/instant' },
    servicePeriodDays: { $ref: '#/$defs/servicePeriodDays' },
    email: {
      $ref: '#/$defs/email',
      description: "where sign-in links for this order's customer go",
    },
  },
});

const usageProperties = {
  asOf: { $ref: '#/$defs/instant' },
  trafficBytes: { $ref: '#/$defs/count' },
  requests: { $ref: '#/$defs/count' },
} as const;

export const usageSchema = factSchema('usage', 'Usage reading of an order', {
  required: ['orderId', 'asOf', 'trafficBytes', 'requests'],
  properties: { orderId: { $ref: '#/$defs/id' }, ...usageProperties },
});

/** POST /v1/orders/{id}/usage: the order is in the path. */
export const usageBodySchema = factSchema('usage-body', 'Usage reading (order in the path)', {
  required: ['asOf', 'trafficBytes', 'requests'],
  properties: usageProperties,
});

export const reportSchema = factSchema('report', 'Unusability report', {
  required: ['id', 'orderId', 'reportedAt', 'cause'],
  properties: {
    id: { $ref: '#/$defs/id' },
    orderId: { $ref: '#/$defs/id' },
    reportedAt: { $ref: '#/$defs/instant' },
    cause: { enum: [...REPORT_CAUSES] },
    remediatedAt: { $ref: '#/$defs/nullableInstant' },
    description: { type: 'string', maxLength: FACT_LIMITS.descriptionMaxChars },
  },
});

export const incidentSchema = factSchema('incident', 'System incident', {
  required: ['id', 'title', 'products', 'widelyImpacting', 'startsAt'],
  properties: {
    id: { $ref: '#/$defs/id' },
    title: { $ref: '#/$defs/name' },
    products: {
      type: 'array',
      minItems: 1,
      maxItems: PRODUCTS.length + 1,
      uniqueItems: true,
      items: { enum: [...PRODUCTS, 'all'] },
    },
    widelyImpacting: { type: 'boolean' },
    startsAt: { $ref: '#/$defs/instant' },
    endsAt: { $ref: '#/$defs/nullableInstant', description: 'absent or null: still open' },
    confirmedAt: {
      $ref: '#/$defs/nullableInstant',
      description: 'when the seller confirmed it; absent or null: not confirmed',
    },
  },
});

export const chargebackSchema = factSchema('chargeback', 'Chargeback or payment dispute', {
  required: ['id', 'orderId', 'status', 'openedAt'],
  properties: {
    id: { $ref: '#/$defs/id' },
    orderId: { $ref: '#/$defs/id' },
    status: { enum: [...CHARGEBACK_STATUSES] },
    openedAt: { $ref: '#/$defs/instant' },
  },
});

export const refundSchema = factSchema('refund', 'Past refund', {
  required: ['id', 'orderId', 'amountMinor', 'kind', 'refundedAt'],
  properties: {
    id: { $ref: '#/$defs/id' },
    orderId: { $ref: '#/$defs/id' },
    amountMinor: {
      $ref: '#/$defs/minor',
      type: 'integer',
      minimum: 1,
      maximum: Number.MAX_SAFE_INTEGER,
    },
    kind: {
      enum: [...REFUND_KINDS],
      description: 'requested: the customer asked; compensation: the seller paid it',
    },
    refundedAt: { $ref: '#/$defs/instant' },
    incidentId: {
      oneOf: [{ $ref: '#/$defs/id' }, { type: 'null' }],
      description: 'the incident this refund compensated, if any',
    },
  },
});

const flagProperties = {
  tosBreach: { type: 'boolean' },
  stressTesting: { type: 'boolean' },
  kycStatus: { $ref: '#/$defs/kycStatus' },
} as const;

/** PATCH /v1/customers/{id}/flags: the customer is in the path; absent flags are unchanged. */
export const flagsBodySchema = factSchema('flags-body', 'Account flags (customer in the path)', {
  minProperties: 1,
  properties: flagProperties,
});

export const flagsSchema = factSchema('flags', 'Account flags of a customer', {
  required: ['customerId'],
  minProperties: 2,
  properties: { customerId: { $ref: '#/$defs/id' }, ...flagProperties },
});

/** The schema of each fact kind as the import file and the use cases carry it. */
export const FACT_SCHEMAS = {
  customer: customerSchema,
  plan: planSchema,
  order: orderSchema,
  usage: usageSchema,
  report: reportSchema,
  incident: incidentSchema,
  chargeback: chargebackSchema,
  refund: refundSchema,
  flags: flagsSchema,
} as const satisfies Record<FactKind, object>;

/** What may be left out of a request body because the path carries it. */
function withoutRequiredId<
  S extends { readonly $id: string; readonly required: readonly string[] },
>(schema: S) {
  return {
    ...schema,
    $id: schema.$id.replace('.schema.json', '-body.schema.json'),
    required: schema.required.filter((key) => key !== 'id'),
  };
}

/**
 * The request body of each write route (for the OpenAPI document): the fact, except that the
 * id the path carries may be left out (`PUT /v1/orders/{id}`, `POST /v1/orders/{id}/usage`,
 * `PATCH /v1/customers/{id}/flags`).
 */
export const FACT_REQUEST_SCHEMAS = {
  customer: withoutRequiredId(customerSchema),
  plan: withoutRequiredId(planSchema),
  order: withoutRequiredId(orderSchema),
  usage: usageBodySchema,
  report: withoutRequiredId(reportSchema),
  incident: withoutRequiredId(incidentSchema),
  chargeback: withoutRequiredId(chargebackSchema),
  refund: withoutRequiredId(refundSchema),
  flags: flagsBodySchema,
} as const satisfies Record<FactKind, object>;

/** One line of `refund-desk import`: `{"type": "...", "data": {...}}`. */
export const importLineSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'refund-desk/facts/import-line.schema.json',
  title: 'One line of an NDJSON import',
  type: 'object',
  additionalProperties: false,
  required: ['type', 'data'],
  properties: {
    type: { enum: [...FACT_KINDS] },
    data: { type: 'object' },
  },
} as const;

type SchemaName = FactKind | 'usage-body' | 'flags-body' | 'import-line';

const SCHEMA_BY_NAME: { readonly [N in SchemaName]: object } = {
  ...FACT_SCHEMAS,
  'usage-body': usageBodySchema,
  'flags-body': flagsBodySchema,
  'import-line': importLineSchema,
};

let ajv: Ajv2020 | undefined;
const compiled = new Map<SchemaName, ValidateFunction>();

/** The validator of one schema, compiled on first use and kept for the life of the process. */
export function factValidator(name: SchemaName): ValidateFunction {
  let validate = compiled.get(name);
  if (validate === undefined) {
    ajv ??= new Ajv2020({ strict: true, allErrors: true, validateFormats: false });
    validate = ajv.compile(SCHEMA_BY_NAME[name]);
    compiled.set(name, validate);
  }
  return validate;
}
