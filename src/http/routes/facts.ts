/**
 * Billing facts over HTTP, fed by the seller's billing system:
 *
 * - `PUT /v1/customers/:id`, `/v1/plans/:id`, `/v1/orders/:id`, `/v1/reports/:id`,
 *   `/v1/incidents/:id`, `/v1/chargebacks/:id`, `/v1/refunds/:id`: create (201) or replace (200)
 *   the fact with that id. The body may omit `id`; when it carries one, it must be the path's.
 * - `POST /v1/orders/:id/usage`: a usage reading of the order, by its `asOf` (201 new, 200 replaced).
 * - `PATCH /v1/customers/:id/flags`: account flags (ToS breach, stress testing, KYC status).
 * - `GET /v1/customers/:id`, `GET /v1/orders/:id` (the order with its facts).
 *
 * Writing needs an API key with `facts:write` (or a staff admin); reading needs `facts:read`
 * (or any staff). Customers never use these routes: a customer gets 404 for anything that is
 * not theirs (existence does not leak) and 403 for their own records and for every write.
 * Errors: 400 `invalid_request` (one error per field, JSON pointers into the body; card numbers
 * are refused here), 422 `unknown_reference` (a customer, plan, order or incident the fact names
 * is not stored), 422 `inconsistent_facts` (it contradicts stored facts), 404 for the path's
 * own order or customer.
 */
import type { Context, Hono } from 'hono';
import type { DeskDeps } from '../../app/context.js';
import { getCustomer, getOrderFacts } from '../../app/facts/read.js';
import { ID_PATTERN, type FactKind } from '../../app/facts/schemas.js';
import { writeFact, type FactError } from '../../app/facts/write.js';
import type { AuthEnv } from '../auth.js';
import { ProblemException, requireActor, requireScope } from '../guards.js';
import { limitBody as limitBodyTo, readJsonBody } from '../media.js';
import { invalidFieldsDetail, methodNotAllowed } from '../problems.js';

/** A fact is well under a kilobyte; a report's description is at most 4,000 characters. */
export const MAX_FACT_BODY_BYTES = 64 * 1024;

type Ctx = Context<AuthEnv>;

const idPattern = new RegExp(ID_PATTERN);

const limitBody = limitBodyTo(MAX_FACT_BODY_BYTES);

const LABEL: { readonly [K in FactKind]: string } = {
  customer: 'customer',
  plan: 'plan',
  order: 'order',
  usage: 'usage reading',
  report: 'report',
  incident: 'incident',
  chargeback: 'chargeback',
  refund: 'refund',
  flags: 'account flags',
};

function factProblem(kind: FactKind, error: FactError): ProblemException {
  const count = error.errors.length;
  switch (error.code) {
    case 'invalid':
      return new ProblemException(
        'invalid_request',
        invalidFieldsDetail(LABEL[kind], count),
        error.errors,
      );
    case 'unknown_reference':
      return new ProblemException(
        'unknown_reference',
        `The ${LABEL[kind]} names ${count === 1 ? 'a fact' : 'facts'} not stored; see errors.`,
        error.errors,
      );
    case 'inconsistent':
      return new ProblemException(
        'inconsistent_facts',
        `The ${LABEL[kind]} contradicts the stored facts; see errors.`,
        error.errors,
      );
  }
}

function notFound(what: string, id: string): ProblemException {
  return new ProblemException('not_found', `No ${what} ${id}.`);
}

const NO_STORE = { 'cache-control': 'no-store' } as const;

/**
 * Who may read facts: any staff, or an API key with `facts:read`. A customer is answered by
 * `customerAnswer`: 404 unless the object is theirs, then 403.
 */
function requireFactsReader(c: Ctx): { readonly customerId?: string } {
  const actor = requireActor(c);
  if (actor.kind === 'staff') return {};
  if (actor.kind === 'api_key' && actor.scopes.includes('facts:read')) return {};
  if (actor.kind === 'customer') return { customerId: actor.id };
  throw new ProblemException(
    'forbidden',
    'This needs an API key with the facts:read scope or staff.',
  );
}

function customerAnswer(
  reader: { readonly customerId?: string },
  ownerId: string | undefined,
  what: string,
  id: string,
): void {
  if (reader.customerId === undefined) return;
  if (ownerId !== undefined && ownerId === reader.customerId) {
    throw new ProblemException('forbidden', 'Billing facts are read by staff and systems only.');
  }
  throw notFound(what, id);
}

export function registerFactRoutes(app: Hono<AuthEnv>, deps: DeskDeps): void {
  /**
   * Reads the body, puts the path's id in `key` (refusing a different one in the body), writes.
   * `pathIsParent`: the id names the order/customer the fact belongs to (missing → 404).
   */
  async function write(c: Ctx, kind: FactKind, key: string, pathIsParent: boolean) {
    requireScope(c, 'facts:write');
    const id = c.req.param('id') ?? '';
    const body = await readJsonBody(c);
    let input = body;
    if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
      const given = (body as Record<string, unknown>)[key];
      if (given !== undefined && given !== id) {
        throw new ProblemException('invalid_request', `The ${LABEL[kind]} names another id.`, [
          { pointer: `/${key}`, message: `must equal the id in the path (${id}) or be left out` },
        ]);
      }
      input = { ...body, [key]: id };
    }
    if (pathIsParent && !idPattern.test(id))
      throw notFound(key === 'orderId' ? 'order' : 'customer', id);
    const result = await writeFact(deps, c.get('origin'), kind, input);
    if (!result.ok) {
      const parentMissing =
        pathIsParent &&
        result.error.code === 'unknown_reference' &&
        result.error.errors.some((e) => e.pointer === `/${key}`);
      if (parentMissing) throw notFound(key === 'orderId' ? 'order' : 'customer', id);
      throw factProblem(kind, result.error);
    }
    return c.json(result.value.value, result.value.status === 'created' ? 201 : 200, NO_STORE);
  }

  const puts: ReadonlyArray<readonly [string, FactKind]> = [
    ['/v1/plans/:id', 'plan'],
    ['/v1/reports/:id', 'report'],
    ['/v1/incidents/:id', 'incident'],
    ['/v1/chargebacks/:id', 'chargeback'],
    ['/v1/refunds/:id', 'refund'],
  ];
  for (const [path, kind] of puts) {
    app.put(path, limitBody, (c) => write(c, kind, 'id', false));
    app.all(path, methodNotAllowed('PUT'));
  }

  app.put('/v1/customers/:id', limitBody, (c) => write(c, 'customer', 'id', false));
  app.get('/v1/customers/:id', async (c) => {
    const reader = requireFactsReader(c);
    const id = c.req.param('id');
    if (reader.customerId !== undefined) customerAnswer(reader, id, 'customer', id);
    const customer = idPattern.test(id) ? await getCustomer(deps.store.db, id) : undefined;
    if (customer === undefined) throw notFound('customer', id);
    return c.json(customer, 200, NO_STORE);
  });
  app.all('/v1/customers/:id', methodNotAllowed('GET, HEAD, PUT'));

  app.patch('/v1/customers/:id/flags', limitBody, (c) => write(c, 'flags', 'customerId', true));
  app.all('/v1/customers/:id/flags', methodNotAllowed('PATCH'));

  app.put('/v1/orders/:id', limitBody, (c) => write(c, 'order', 'id', false));
  app.get('/v1/orders/:id', async (c) => {
    const reader = requireFactsReader(c);
    const id = c.req.param('id');
    const facts = idPattern.test(id) ? await getOrderFacts(deps.store.db, id) : undefined;
    customerAnswer(reader, facts?.order.customerId, 'order', id);
    if (facts === undefined) throw notFound('order', id);
    return c.json(facts, 200, NO_STORE);
  });
  app.all('/v1/orders/:id', methodNotAllowed('GET, HEAD, PUT'));

  app.post('/v1/orders/:id/usage', limitBody, (c) => write(c, 'usage', 'orderId', true));
  app.all('/v1/orders/:id/usage', methodNotAllowed('POST'));
}
