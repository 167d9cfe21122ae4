/**
 * Building blocks of the OpenAPI document (openapi.ts): schemas as components, problem
 * responses from the problem table, and operations with their security, parameters and
 * Idempotency-Key.
 */
import { PROBLEM_MEDIA_TYPE, PROBLEMS, type ProblemCode } from './problems.js';

export type Json =
  null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

export const JSON_SCHEMA_2020_12 = 'https://json-schema.org/draft/2020-12/schema';

/**
 * Copies `schema` as the component `name`: no `$schema`/`$id` at its root, and its internal
 * references (`#/$defs/...`) pointed into the component, so they resolve against the document
 * in JSON Schema 2020-12 tools and in tools that ignore `$id` alike.
 */
export function asComponent(schema: unknown, name: string): Json {
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

export const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });

/** A closed object schema whose every property is required. */
export function record(properties: Record<string, Json>, description?: string): Json {
  return {
    type: 'object',
    ...(description === undefined ? {} : { description }),
    additionalProperties: false,
    required: Object.keys(properties),
    properties,
  };
}

/** Request-body schemas as components, each under its component name. */
export function bodyComponents<N extends string>(
  schemas: { readonly [K in N]: unknown },
  componentNames: { readonly [K in N]: string },
): Record<string, Json> {
  return Object.fromEntries(
    (Object.keys(componentNames) as N[]).map((name) => [
      componentNames[name],
      asComponent(schemas[name], componentNames[name]),
    ]),
  );
}

/** The `limit` query parameter of a paged list. */
export function limitParameter(limits: {
  readonly defaultLimit: number;
  readonly maxLimit: number;
}): Json {
  return {
    name: 'limit',
    in: 'query',
    required: false,
    schema: {
      type: 'integer',
      minimum: 1,
      maximum: limits.maxLimit,
      default: limits.defaultLimit,
    },
  };
}

export function jsonContent(schema: Json): Record<string, Json> {
  return { 'application/json': { schema } };
}

/** Every 429 says when to try again. */
const RETRY_AFTER: Json = {
  description: 'Seconds until the request may be made again.',
  required: true,
  schema: { type: 'integer', minimum: 1 },
};

/**
 * The error responses of an operation, grouped by status, from the problem table. Each names
 * its codes in its description and narrows the Problem schema's `code` to them.
 */
export function problemResponses(codes: readonly ProblemCode[]): Record<string, Json> {
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of new Set(codes)) {
    const status = PROBLEMS[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, Json> = {};
  for (const [status, group] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[String(status)] = {
      description: group.map((code) => `${code}: ${PROBLEMS[code].title}`).join('; '),
      ...(status === 429 ? { headers: { 'Retry-After': RETRY_AFTER } } : {}),
      content: {
        [PROBLEM_MEDIA_TYPE]: {
          schema: { $ref: '#/components/schemas/Problem', properties: { code: { enum: group } } },
        },
      },
    };
  }
  return responses;
}

/** Security requirements: each entry is one way in (scheme → role or scope names). */
export type Security = ReadonlyArray<Readonly<Record<string, readonly string[]>>>;

/** What an operation is, apart from what its method and path add (path parameters, keys). */
export interface OperationSpec {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly security: Security;
  readonly parameters?: readonly Json[];
  readonly requestBody?: Json;
  /** The successful responses by status. */
  readonly responses: Readonly<Record<string, Json>>;
  /** The problems it can answer (beyond those every operation can). */
  readonly problems: readonly ProblemCode[];
}

export type Method = 'get' | 'put' | 'post' | 'patch' | 'delete';

export interface Route {
  readonly method: Method;
  /** OpenAPI template: `/v1/orders/{id}`. */
  readonly path: string;
  readonly spec: OperationSpec;
}

/** Problems any operation can answer: another method on its path, and a server error. */
const EVERY_OPERATION: readonly ProblemCode[] = ['method_not_allowed', 'internal'];

/** What the Idempotency-Key layer adds to a POST. */
const IDEMPOTENCY_PROBLEMS: readonly ProblemCode[] = [
  'invalid_idempotency_key',
  'payload_too_large',
  'idempotency_key_reused',
  'idempotency_key_in_flight',
];

export interface PathOptions {
  /** POSTs under /v1/ honour Idempotency-Key (when the desk is served). */
  readonly idempotentPosts: boolean;
}

function pathParameters(path: string): Json[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map(([, name = '']) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string', minLength: 1 },
  }));
}

function operation(route: Route, options: PathOptions): Json {
  const { spec } = route;
  const idempotent =
    options.idempotentPosts && route.method === 'post' && route.path.startsWith('/v1/');
  const parameters = [
    ...pathParameters(route.path),
    ...(spec.parameters ?? []),
    ...(idempotent ? [{ $ref: '#/components/parameters/IdempotencyKey' }] : []),
  ];
  const successes: Record<string, Json> = {};
  for (const [status, response] of Object.entries(spec.responses)) {
    const base = response as Record<string, Json>;
    const headers = (base['headers'] ?? {}) as Record<string, Json>;
    successes[status] = idempotent
      ? {
          ...base,
          headers: {
            ...headers,
            'Idempotent-Replayed': { $ref: '#/components/headers/IdempotentReplayed' },
          },
        }
      : response;
  }
  const problems = [
    ...spec.problems,
    ...(idempotent ? IDEMPOTENCY_PROBLEMS : []),
    ...EVERY_OPERATION,
  ];
  return {
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    tags: [...spec.tags],
    security: spec.security.map((entry) =>
      Object.fromEntries(Object.entries(entry).map(([scheme, roles]) => [scheme, [...roles]])),
    ),
    ...(parameters.length === 0 ? {} : { parameters }),
    ...(spec.requestBody === undefined ? {} : { requestBody: spec.requestBody }),
    responses: { ...successes, ...problemResponses(problems) },
  };
}

/** The `paths` object of the routes, in the order given. */
export function pathsOf(routes: readonly Route[], options: PathOptions): Record<string, Json> {
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of routes) {
    const item = (paths[route.path] ??= {});
    if (item[route.method] !== undefined) {
      throw new Error(`OpenAPI: ${route.method} ${route.path} is described twice`);
    }
    item[route.method] = operation(route, options);
  }
  return paths;
}
