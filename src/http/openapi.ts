/**
 * The OpenAPI 3.1 description of the HTTP API, generated from the very schema objects that
 * validate requests (the engine's case and decision schemas) and from the problem table.
 *
 * Each schema keeps its own `$defs`; its internal `#/$defs/...` references are rewritten to
 * point into its component (`#/components/schemas/Case/$defs/...`) and its `$id` is dropped,
 * so every reference resolves against the document itself, in JSON Schema 2020-12 tools and
 * in tools that ignore `$id` alike.
 */
import { caseSchema, decisionSchema } from '../engine/index.js';
import { PROBLEM_CODES, PROBLEM_MEDIA_TYPE, PROBLEMS, type ProblemCode } from './problems.js';

type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

const JSON_SCHEMA_2020_12 = 'https://json-schema.org/draft/2020-12/schema';

/** Copies `schema` as a component: no `$schema`/`$id`, internal refs into the component. */
function asComponent(schema: unknown, name: string): Json {
  const rewrite = (node: unknown, root: boolean): Json => {
    if (Array.isArray(node)) return node.map((item) => rewrite(item, false));
    if (node === null || typeof node !== 'object') return node as Json;
    const out: Record<string, Json> = {};
    for (const [key, value] of Object.entries(node)) {
      if (root && (key === '$schema' || key === '$id')) continue;
      if (key === '$ref' && typeof value === 'string' && value.startsWith('#/$defs/')) {
        out[key] = `#/components/schemas/${name}${value.slice(1)}`;
      } else {
        out[key] = rewrite(value, false);
      }
    }
    return out;
  };
  return rewrite(schema, true);
}

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });

const problemSchema: Json = {
  title: 'Problem details (RFC 9457)',
  type: 'object',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', format: 'uri', description: 'urn:refund-desk:problem:<code>' },
    title: { type: 'string', minLength: 1 },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string', minLength: 1 },
    code: { enum: [...PROBLEM_CODES], description: 'stable machine code' },
    errors: {
      type: 'array',
      minItems: 1,
      description: 'for invalid_case: one entry per invalid field',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['pointer', 'detail'],
        properties: {
          pointer: {
            type: 'string',
            description: 'JSON Pointer (RFC 6901) into the request body; "" is the whole body',
          },
          detail: { type: 'string', minLength: 1 },
        },
      },
    },
  },
};

const healthSchema: Json = {
  type: 'object',
  additionalProperties: false,
  required: ['status'],
  properties: { status: { const: 'ok' } },
};

/** The error responses of an operation, grouped by status, from the problem table. */
function problemResponses(codes: readonly ProblemCode[]): Record<string, Json> {
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of codes) {
    const status = PROBLEMS[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, Json> = {};
  for (const [status, group] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[String(status)] = {
      description: group.map((code) => `${code}: ${PROBLEMS[code].title}`).join('; '),
      content: { [PROBLEM_MEDIA_TYPE]: { schema: ref('Problem') } },
    };
  }
  return responses;
}

export interface OpenApiOptions {
  /** The body limit the app enforces, stated in the description of 413. */
  readonly maxBodyBytes: number;
}

export function buildOpenApiDocument(options: OpenApiOptions): Json {
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: JSON_SCHEMA_2020_12,
    info: {
      title: 'Refund Desk API',
      version: '1',
      description:
        'Refund decisions under a versioned refund policy: the same evaluator as the CLI. ' +
        'Errors are RFC 9457 problem details with a stable `code`.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    paths: {
      '/v1/decisions': {
        post: {
          operationId: 'decide',
          summary: 'Decide one refund case',
          requestBody: {
            required: true,
            description: `A case, at most ${options.maxBodyBytes} bytes.`,
            content: { 'application/json': { schema: ref('Case') } },
          },
          responses: {
            '200': {
              description: 'The decision, byte for byte as `refund-desk decide` prints it',
              content: { 'application/json': { schema: ref('Decision') } },
            },
            ...problemResponses([
              'invalid_case',
              'invalid_json',
              'payload_too_large',
              'unsupported_media_type',
              'method_not_allowed',
              'internal',
            ]),
          },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'getOpenApiDocument',
          summary: 'This document',
          responses: {
            '200': {
              description: 'OpenAPI 3.1 document',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
            ...problemResponses(['method_not_allowed', 'internal']),
          },
        },
      },
      '/healthz': {
        get: {
          operationId: 'health',
          summary: 'Liveness',
          responses: {
            '200': {
              description: 'The service is up',
              content: { 'application/json': { schema: ref('Health') } },
            },
            ...problemResponses(['method_not_allowed', 'internal']),
          },
        },
      },
    },
    components: {
      schemas: {
        Case: asComponent(caseSchema, 'Case'),
        Decision: asComponent(decisionSchema, 'Decision'),
        Problem: problemSchema,
        Health: healthSchema,
      },
    },
  };
}
