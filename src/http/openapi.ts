/**
 * The OpenAPI 3.1 description of the HTTP API, generated from the very schema objects that
 * validate requests (the engine's case and decision schemas, the billing-fact, refund-request
 * and auth body schemas) and from the problem table.
 *
 * It describes exactly the routes the app serves: the stateless ones always, the case desk's
 * (openapi-desk.ts) when the app serves a desk. The tests compare its operations with the
 * routes the app registers.
 *
 * Each schema keeps its own `$defs`; its internal `#/$defs/...` references are rewritten to
 * point into its component (`#/components/schemas/Case/$defs/...`) and its `$id` is dropped,
 * so every reference resolves against the document itself, in JSON Schema 2020-12 tools and
 * in tools that ignore `$id` alike.
 */
import { REQUEST_STATES } from '../domain/request-state.js';
import { caseSchema, decisionSchema } from '../engine/index.js';
import {
  DESK_TAGS,
  HEADERS,
  PARAMETERS,
  SECURITY_SCHEMES,
  deskRoutes,
  requestBodySchemas,
} from './openapi-desk.js';
import {
  asComponent,
  jsonContent,
  JSON_SCHEMA_2020_12,
  pathsOf,
  ref,
  type Json,
  type Route,
} from './openapi-kit.js';
import { VIEW_SCHEMAS } from './openapi-views.js';
import { PROBLEM_CODES } from './problems.js';

export type { Json } from './openapi-kit.js';

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
      description:
        'for codes about the input (invalid_case, invalid_request, …): one entry per field',
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
    state: {
      enum: [...REQUEST_STATES],
      description:
        'for request_state_conflict and illegal_transition: the state of the request that refused the change',
    },
  },
};

const healthSchema: Json = {
  type: 'object',
  additionalProperties: false,
  required: ['status'],
  properties: { status: { const: 'ok' } },
};

export interface OpenApiOptions {
  /** The body limit the app enforces on POST /v1/decisions, stated in its description. */
  readonly maxBodyBytes: number;
  /** The app serves the case desk: its routes are described, and POSTs take Idempotency-Key. */
  readonly desk?: boolean;
}

function statelessRoutes(options: OpenApiOptions): Route[] {
  return [
    {
      method: 'post',
      path: '/v1/decisions',
      spec: {
        operationId: 'decide',
        summary: 'Decide one refund case',
        tags: ['decisions'],
        security: [],
        requestBody: {
          required: true,
          description: `A case, at most ${options.maxBodyBytes} bytes.`,
          content: jsonContent(ref('Case')),
        },
        responses: {
          '200': {
            description: 'The decision, byte for byte as `refund-desk decide` prints it',
            content: jsonContent(ref('Decision')),
          },
        },
        problems: ['invalid_case', 'invalid_json', 'payload_too_large', 'unsupported_media_type'],
      },
    },
    {
      method: 'get',
      path: '/openapi.json',
      spec: {
        operationId: 'getOpenApiDocument',
        summary: 'This document',
        tags: ['meta'],
        security: [],
        responses: {
          '200': { description: 'OpenAPI 3.1 document', content: jsonContent({ type: 'object' }) },
        },
        problems: [],
      },
    },
    {
      method: 'get',
      path: '/healthz',
      spec: {
        operationId: 'health',
        summary: 'Liveness',
        tags: ['meta'],
        security: [],
        responses: {
          '200': { description: 'The service is up', content: jsonContent(ref('Health')) },
        },
        problems: [],
      },
    },
  ];
}

export function buildOpenApiDocument(options: OpenApiOptions): Json {
  const desk = options.desk === true;
  const routes = [...statelessRoutes(options), ...(desk ? deskRoutes() : [])];
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: JSON_SCHEMA_2020_12,
    info: {
      title: 'Refund Desk API',
      version: '1',
      description:
        'Refund decisions under a versioned refund policy: the same evaluator as the CLI' +
        (desk ? ', and the case desk: people, billing facts and refund requests' : '') +
        '. Errors are RFC 9457 problem details with a stable `code`.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    tags: [
      { name: 'decisions', description: 'Stateless decisions' },
      ...(desk ? DESK_TAGS : []),
      { name: 'meta', description: 'The service itself' },
    ],
    paths: pathsOf(routes, { idempotentPosts: desk }),
    components: {
      schemas: {
        Case: asComponent(caseSchema, 'Case'),
        Decision: asComponent(decisionSchema, 'Decision'),
        Problem: problemSchema,
        Health: healthSchema,
        ...(desk ? { ...requestBodySchemas(), ...VIEW_SCHEMAS } : {}),
      },
      ...(desk
        ? { parameters: PARAMETERS, headers: HEADERS, securitySchemes: SECURITY_SCHEMES }
        : {}),
    },
  };
}
