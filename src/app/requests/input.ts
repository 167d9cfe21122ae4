/**
 * The body of a refund request as the customer sends it: its JSON Schema (draft 2020-12, every
 * string and list bounded), then what a schema cannot say (real instants, strict CIDRs,
 * hostnames, e-mail and IM handles). Bad input is a value: one error per field, by JSON pointer.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import {
  PAYMENT_METHODS,
  parseInstantMs,
  type FieldError,
  type PaymentMethod,
  type Result,
} from '../../engine/index.js';
import { toFieldErrors } from '../../engine/json-schema.js';
import { checkCidr, checkTargetSite } from './network.js';

export const REQUEST_LIMITS = {
  orderIdMaxChars: 128,
  descriptionMaxChars: 5_000,
  targetSitesMaxItems: 50,
  targetSiteMaxChars: 2_048,
  timestampsMaxItems: 100,
  egressCidrsMaxItems: 100,
  clientConfigMaxChars: 20_000,
  emailMaxChars: 254,
  imMaxChars: 100,
  withdrawReasonMaxChars: 1_000,
  /** Field errors reported for one body, at most. */
  maxFieldErrors: 50,
} as const;

export interface NetworkContext {
  readonly targetSites: readonly string[];
  readonly timestamps: readonly string[];
  readonly egressCidrs: readonly string[];
  readonly clientConfig: string;
}

export interface Contact {
  readonly email: string | null;
  readonly im: string | null;
}

export interface RefundRequestInput {
  readonly orderId: string;
  readonly paymentMethod: PaymentMethod;
  readonly description: string;
  readonly networkContext: NetworkContext;
  readonly contact: Contact;
}

const L = REQUEST_LIMITS;

export const refundRequestSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'Refund request',
  type: 'object',
  additionalProperties: false,
  required: ['orderId', 'paymentMethod', 'description', 'contact'],
  properties: {
    orderId: { type: 'string', minLength: 1, maxLength: L.orderIdMaxChars },
    paymentMethod: {
      enum: [...PAYMENT_METHODS],
      description: "the order's payment method; it must match the order",
    },
    description: { type: 'string', minLength: 1, maxLength: L.descriptionMaxChars },
    networkContext: {
      type: 'object',
      additionalProperties: false,
      properties: {
        targetSites: {
          type: 'array',
          maxItems: L.targetSitesMaxItems,
          items: { type: 'string', minLength: 1, maxLength: L.targetSiteMaxChars },
          description: 'hostnames, IP addresses or http(s)/ws(s) URLs',
        },
        timestamps: {
          type: 'array',
          maxItems: L.timestampsMaxItems,
          items: { type: 'string', maxLength: 40 },
          description: 'RFC 3339 instants with an explicit offset',
        },
        egressCidrs: {
          type: 'array',
          maxItems: L.egressCidrsMaxItems,
          items: { type: 'string', maxLength: 64 },
          description: 'IPv4 or IPv6 CIDR ranges, no host bits set',
        },
        clientConfig: { type: 'string', maxLength: L.clientConfigMaxChars },
      },
    },
    contact: {
      type: 'object',
      additionalProperties: false,
      description: 'an e-mail address, an IM handle such as telegram:@handle, or both',
      properties: {
        email: { type: 'string', maxLength: L.emailMaxChars },
        im: { type: 'string', maxLength: L.imMaxChars },
      },
    },
  },
} as const;

export const withdrawSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'Withdrawal',
  type: 'object',
  additionalProperties: false,
  properties: { reason: { type: 'string', maxLength: L.withdrawReasonMaxChars } },
} as const;

let validators: { request: ValidateFunction; withdraw: ValidateFunction } | undefined;

function compiled(): { request: ValidateFunction; withdraw: ValidateFunction } {
  if (validators === undefined) {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    validators = {
      request: ajv.compile(refundRequestSchema),
      withdraw: ajv.compile(withdrawSchema),
    };
  }
  return validators;
}

const EMAIL =
  /^[^\s@<>(),;:"[\]\\]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
// eslint-disable-next-line no-control-regex
const IM = /^[a-z][a-z0-9_-]{1,31}:[^\s\u0000-\u001f\u007f]+$/;

function schemaErrors(validate: ValidateFunction): FieldError[] {
  return toFieldErrors(validate.errors ?? []).slice(0, L.maxFieldErrors);
}

interface RawBody {
  orderId: string;
  paymentMethod: PaymentMethod;
  description: string;
  networkContext?: Partial<NetworkContext>;
  contact: { email?: string; im?: string };
}

/** Validates a parsed JSON body; returns the request with defaults applied. */
export function parseRefundRequest(body: unknown): Result<RefundRequestInput, FieldError[]> {
  const validate = compiled().request;
  if (!validate(body)) return { ok: false, error: schemaErrors(validate) };
  const raw = body as RawBody;
  const errors: FieldError[] = [];
  if (!/\S/.test(raw.description)) {
    errors.push({ pointer: '/description', message: 'must not be blank' });
  }
  const network = raw.networkContext ?? {};
  const targetSites = network.targetSites ?? [];
  const timestamps = network.timestamps ?? [];
  const egressCidrs = network.egressCidrs ?? [];
  targetSites.forEach((site, i) => {
    const message = checkTargetSite(site);
    if (message !== undefined) {
      errors.push({ pointer: `/networkContext/targetSites/${i}`, message });
    }
  });
  timestamps.forEach((timestamp, i) => {
    if (parseInstantMs(timestamp) === undefined) {
      errors.push({
        pointer: `/networkContext/timestamps/${i}`,
        message:
          'must be an RFC 3339 instant with an explicit offset (Z or ±hh:mm), at most millisecond precision',
      });
    }
  });
  egressCidrs.forEach((cidr, i) => {
    const message = checkCidr(cidr);
    if (message !== undefined)
      errors.push({ pointer: `/networkContext/egressCidrs/${i}`, message });
  });
  const { email, im } = raw.contact;
  if (email === undefined && im === undefined) {
    errors.push({ pointer: '/contact', message: 'must give an email or an im handle (or both)' });
  }
  if (email !== undefined && !EMAIL.test(email)) {
    errors.push({ pointer: '/contact/email', message: 'must be an e-mail address' });
  }
  if (im !== undefined && !IM.test(im)) {
    errors.push({
      pointer: '/contact/im',
      message: 'must be a network and a handle such as telegram:@handle',
    });
  }
  if (errors.length > 0) return { ok: false, error: errors.slice(0, L.maxFieldErrors) };
  return {
    ok: true,
    value: {
      orderId: raw.orderId,
      paymentMethod: raw.paymentMethod,
      description: raw.description,
      networkContext: {
        targetSites,
        timestamps,
        egressCidrs,
        clientConfig: network.clientConfig ?? '',
      },
      contact: { email: email ?? null, im: im ?? null },
    },
  };
}

export interface WithdrawInput {
  readonly reason: string | null;
}

/** Validates the (optional) body of a withdrawal. */
export function parseWithdraw(body: unknown): Result<WithdrawInput, FieldError[]> {
  const validate = compiled().withdraw;
  if (!validate(body)) return { ok: false, error: schemaErrors(validate) };
  return { ok: true, value: { reason: (body as { reason?: string }).reason ?? null } };
}
