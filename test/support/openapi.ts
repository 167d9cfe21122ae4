/**
 * Holds the app to its own OpenAPI document. `checkAgainstOpenApi(app)` wraps `app.request` so
 * that every exchange with a documented operation is checked as it happens:
 *
 * - the status is one the operation documents, with a documented content type;
 * - a JSON body (success or problem) validates against the documented schema, so a problem's
 *   `code` must be one the operation lists for that status;
 * - when the app accepted the request (2xx), the body sent validates against the documented
 *   request body (JSON, or multipart with the `request` part parsed as JSON): the document may
 *   not be stricter than the server.
 *
 * A mismatch throws, failing the test that made the request. Desk apps made by `deskOver` are
 * wrapped, so every desk test also tests the document.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { mediaTypeEssence } from '../../src/http/media.js';

export type JsonObject = { [key: string]: unknown };

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `#/a/b~1c`: a JSON pointer (RFC 6901) fragment to the tokens. */
export function pointer(...tokens: string[]): string {
  return `#/${tokens.map((t) => t.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
}

export const DOC_ID = 'https://refund-desk.test/openapi.json';

export const HTTP_METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

export interface Exchange {
  readonly method: string;
  readonly template: string;
  readonly operationId: string;
  readonly status: number;
}

/** A document loaded into Ajv (2020-12) as one resource, so every `$ref` resolves in it. */
export class OpenApiDocument {
  readonly ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  private readonly templates: ReadonlyArray<{ template: string; pattern: RegExp }>;

  constructor(readonly doc: JsonObject) {
    this.ajv.addSchema(doc, DOC_ID);
    const paths = isObject(doc['paths']) ? doc['paths'] : {};
    this.templates = Object.keys(paths).map((template) => ({
      template,
      pattern: new RegExp(
        `^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`,
      ),
    }));
  }

  /** The errors of `value` against the schema at `ref` (a pointer into the document). */
  errorsAt(ref: string, value: unknown): string | undefined {
    const validate = this.ajv.getSchema(`${DOC_ID}${ref}`);
    if (validate === undefined) return `no schema at ${ref}`;
    return validate(value) ? undefined : this.ajv.errorsText(validate.errors);
  }

  /** The documented operation for a method and a concrete path, if any. */
  operation(
    method: string,
    path: string,
  ): { template: string; method: string; op: JsonObject } | undefined {
    const lower = method === 'HEAD' ? 'get' : method.toLowerCase();
    const paths = this.doc['paths'] as JsonObject;
    for (const { template, pattern } of this.templates) {
      if (!pattern.test(path)) continue;
      const item = paths[template];
      const op = isObject(item) ? item[lower] : undefined;
      if (isObject(op)) return { template, method: lower, op };
    }
    return undefined;
  }

  /** What is wrong with one exchange, as far as the document can tell (empty: nothing). */
  async check(request: Request, response: Response): Promise<string[]> {
    const url = new URL(request.url);
    const found = this.operation(request.method, url.pathname);
    if (found === undefined) return [];
    const { template, method, op } = found;
    const label = `${request.method} ${template} → ${response.status}`;
    const responses = op['responses'] as JsonObject;
    const status = String(response.status);
    const documented = responses[status];
    if (!isObject(documented)) {
      const body = await response.clone().text();
      return [`${label}: status not documented (${Object.keys(responses).join(', ')}): ${body}`];
    }
    const errors: string[] = [];
    const content = documented['content'];
    const contentType = response.headers.get('content-type') ?? undefined;
    if (isObject(content)) {
      const essence = mediaTypeEssence(contentType);
      const key = Object.keys(content).find((k) => mediaTypeEssence(k) === essence);
      if (key === undefined) {
        errors.push(`${label}: content type ${contentType ?? 'none'} not documented`);
      } else if (request.method !== 'HEAD' && /[/+]json$/.test(essence)) {
        const body: unknown = await response.clone().json();
        const wrong = this.errorsAt(
          pointer('paths', template, method, 'responses', status, 'content', key, 'schema'),
          body,
        );
        if (wrong !== undefined) errors.push(`${label}: response body: ${wrong}`);
      }
    } else if (response.body !== null && (await response.clone().text()) !== '') {
      errors.push(`${label}: a body where the document has none`);
    }
    if (response.status < 300) errors.push(...(await this.checkRequestBody(request, found)));
    return errors;
  }

  private async checkRequestBody(
    request: Request,
    { template, method, op }: { template: string; method: string; op: JsonObject },
  ): Promise<string[]> {
    const label = `${request.method} ${template}`;
    const requestBody = op['requestBody'];
    if (!isObject(requestBody)) return []; // the route reads no body (it ignores one sent)
    const text = request.body === null ? '' : await request.clone().text();
    if (text.trim() === '') {
      return requestBody['required'] === true ? [`${label}: accepted without its body`] : [];
    }
    const content = requestBody['content'] as JsonObject;
    const contentType = request.headers.get('content-type') ?? undefined;
    const essence = mediaTypeEssence(contentType);
    const key = Object.keys(content).find((k) => mediaTypeEssence(k) === essence);
    if (key === undefined) return [`${label}: accepted ${essence || 'no content type'} bodies`];
    let value: unknown;
    if (essence === 'multipart/form-data') {
      const form = await request.clone().formData();
      const parts: JsonObject = {};
      for (const name of new Set(form.keys())) {
        const values = await Promise.all(
          form.getAll(name).map(async (part) => (typeof part === 'string' ? part : part.text())),
        );
        parts[name] = name === 'request' ? JSON.parse(values[0] ?? 'null') : values;
      }
      value = parts;
    } else {
      value = JSON.parse(text);
    }
    const ref = pointer('paths', template, method, 'requestBody', 'content', key, 'schema');
    const wrong = this.errorsAt(ref, value);
    return wrong === undefined ? [] : [`${label}: accepted a body the document refuses: ${wrong}`];
  }
}

const loaded = new Map<string, OpenApiDocument>();

/**
 * Wraps `app.request` to check every exchange against the app's own `/openapi.json` (loaded on
 * first use, and shared by apps serving the same document). `onExchange` hears of each one.
 */
export function checkAgainstOpenApi<
  A extends {
    request: (
      input: Request | string | URL,
      init?: RequestInit,
      /** Hono's bindings (`{ incoming }` stands for the Node request: the client's address). */
      env?: object,
    ) => Response | Promise<Response>;
  },
>(app: A, onExchange?: (exchange: Exchange) => void): A {
  const original = app.request.bind(app);
  const request = async (
    input: Request | string | URL,
    init?: RequestInit,
    env?: object,
  ): Promise<Response> => original(input, init, env);
  let document: Promise<OpenApiDocument> | undefined;
  const load = async (): Promise<OpenApiDocument> => {
    const text = await (await request('/openapi.json')).text();
    let doc = loaded.get(text);
    if (doc === undefined) {
      doc = new OpenApiDocument(JSON.parse(text) as JsonObject);
      loaded.set(text, doc);
    }
    return doc;
  };
  const checked = async (
    input: Request | string | URL,
    init?: RequestInit,
    env?: object,
  ): Promise<Response> => {
    const seen =
      input instanceof Request
        ? input.clone()
        : new Request(new URL(String(input), 'http://localhost'), init);
    const response = await request(input, init, env);
    document ??= load();
    const doc = await document;
    const errors = await doc.check(seen, response);
    if (errors.length > 0) throw new Error(`OpenAPI conformance:\n${errors.join('\n')}`);
    const found = doc.operation(seen.method, new URL(seen.url).pathname);
    if (found !== undefined && onExchange !== undefined) {
      onExchange({
        method: found.method,
        template: found.template,
        operationId: String(found.op['operationId']),
        status: response.status,
      });
    }
    return response;
  };
  Object.assign(app, { request: checked });
  return app;
}
