/**
 * Refund-request intake fixtures: billing facts seeded straight into the store (Kysely), named
 * by the state they build, and the request bodies a customer sends.
 *
 * Incidents are global facts, and the tests of a file share one store per engine, so every
 * desk starts in its own time slot (`freshDesk`): the facts one test seeds never overlap
 * another test's orders. Within a slot an order is purchased 3 days before the clock's now,
 * so a request filed now is inside the 7-day window:
 *
 *   P         order.purchasedAt (the first purchase of its plan)
 *   P + 1 d   a report, or the start of an incident (which ends at P + 2 d)
 *   P + 3 d   now: request.submittedAt = evaluatedAt
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { sql } from 'kysely';
import { afterEach } from 'vitest';
import type { DeskDeps } from '../../src/app/context.js';
import { evidencePath, newStoredName } from '../../src/app/evidence.js';
import { requestHash } from '../../src/app/idempotency.js';
import { newId } from '../../src/app/ids.js';
import type { PaymentMethod, Product } from '../../src/engine/index.js';
import { authenticate, type AuthEnv } from '../../src/http/auth.js';
import { idempotency, type IdempotencyOptions } from '../../src/http/idempotency.js';
import { problem, problemResponse } from '../../src/http/problems.js';
import { registerRequestRoutes } from '../../src/http/routes/requests.js';
import { openStore, type Store } from '../../src/store/connect.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { customerSessionCookie, deskOver, type TestDesk } from './people.js';

export const DAY_MS = 24 * 60 * 60 * 1000;
/** Each desk's slot: far enough apart that no fact of one reaches an order of another. */
const SLOT_MS = 400 * DAY_MS;
let slots = 0;

/** A desk (manual clock, temp evidence folder) whose clock starts in a slot of its own. */
export function freshDesk(store: Store): TestDesk {
  const desk = deskOver(store);
  slots += 1;
  desk.clock.advance(slots * SLOT_MS);
  return desk;
}

/**
 * An app with only the refund-request routes, behind `authenticate` and an idempotency layer
 * with the given options (mounted globally, as app.ts would), for timing-sensitive tests and
 * for server errors without noise on stderr.
 */
/**
 * For a `describeEachEngine` block: `desk()` gives each test a fresh desk over the block's
 * store (disposed after the test), `requestsOn(order)` counts the refund requests on an order,
 * `evidenceOn(order)` counts the evidence rows of its requests and the bytes they hold.
 */
export function useFreshDesks(store: () => Store): {
  desk(): TestDesk;
  requestsOn(order: SeededOrder): Promise<number>;
  evidenceOn(order: SeededOrder): Promise<{ rows: number; contentBytes: number }>;
} {
  const desks: TestDesk[] = [];
  afterEach(() => {
    for (const desk of desks.splice(0)) desk.dispose();
  });
  return {
    desk() {
      const d = freshDesk(store());
      desks.push(d);
      return d;
    },
    async requestsOn(order) {
      const rows = await store()
        .db.selectFrom('refundRequests')
        .select('id')
        .where('orderId', '=', order.orderId)
        .execute();
      return rows.length;
    },
    async evidenceOn(order) {
      const rows = await store()
        .db.selectFrom('evidence')
        .innerJoin('refundRequests', 'refundRequests.id', 'evidence.requestId')
        .select('evidence.content')
        .where('refundRequests.orderId', '=', order.orderId)
        .execute();
      const contentBytes = rows.reduce((sum, row) => sum + (row.content?.byteLength ?? 0), 0);
      return { rows: rows.length, contentBytes };
    },
  };
}

export function requestsAppWith(deps: DeskDeps, options: IdempotencyOptions): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.use('/v1/*', authenticate(deps));
  app.use('/v1/*', idempotency(deps, options));
  registerRequestRoutes(app, deps);
  // As createApp: guard problems are answered as such; anything else is a plain 500 (quietly).
  app.onError((error) =>
    error instanceof HTTPException
      ? error.getResponse()
      : problemResponse(problem('internal', 'An unexpected error occurred.')),
  );
  return app;
}

export interface SeededOrder {
  readonly customerId: string;
  readonly orderId: string;
  readonly planId: string;
  readonly product: Product;
  readonly paymentMethod: PaymentMethod;
  readonly purchasedAtMs: number;
  /** `rd_session=…` of the customer. */
  readonly cookie: string;
}

export interface OrderOptions {
  readonly paymentMethod?: PaymentMethod;
  readonly product?: Product;
  /** Default: 3 days before the clock's now. */
  readonly purchasedAtMs?: number;
  /** Give the order to an existing customer instead of a new one. */
  readonly customerId?: string;
}

/**
 * A customer with one order of dynamic residential proxies bought on the official site, by card,
 * 3 days ago, and nothing else: decided now it is denied (no technical basis, nothing affected).
 */
export async function seedCustomerWithOrder(
  deps: DeskDeps,
  options: OrderOptions = {},
): Promise<SeededOrder> {
  const nowMs = deps.clock.nowMs();
  const { db } = deps.store;
  const customerId = options.customerId ?? newId('cus', nowMs);
  const planId = newId('plan', nowMs);
  const orderId = newId('ord', nowMs);
  const product = options.product ?? 'dynamic_residential';
  const paymentMethod = options.paymentMethod ?? 'card';
  const purchasedAtMs = options.purchasedAtMs ?? nowMs - 3 * DAY_MS;
  if (options.customerId === undefined) {
    await db
      .insertInto('customers')
      .values({
        id: customerId,
        email: `${customerId}@example.com`,
        name: 'Ada Customer',
        tosBreach: 0,
        stressTesting: 0,
        kycStatus: 'not_required',
        createdAtMs: nowMs,
        updatedAtMs: nowMs,
      })
      .execute();
  }
  await db
    .insertInto('plans')
    .values({ id: planId, product, name: 'res-5gb', servicePeriodDays: 30, createdAtMs: nowMs })
    .execute();
  await db
    .insertInto('orders')
    .values({
      id: orderId,
      customerId,
      planId,
      product,
      channel: 'official_site',
      paymentMethod,
      provider: paymentMethod === 'crypto' ? 'coinpay' : 'stripe',
      chargeRef: `ch_${orderId}`,
      amountMinor: 6_000,
      currency: 'USD',
      promoCreditsMinor: 0,
      purchasedAtMs,
      servicePeriodDays: 30,
      email: `${customerId}@example.com`,
      createdAtMs: nowMs,
    })
    .execute();
  await db
    .insertInto('usageReadings')
    .values({ orderId, asOfMs: purchasedAtMs + DAY_MS, trafficBytes: 10_000_000, requests: 100 })
    .execute();
  const cookie = await customerSessionCookie(deps, customerId);
  return { customerId, orderId, planId, product, paymentMethod, purchasedAtMs, cookie };
}

async function seedReport(
  deps: DeskDeps,
  order: SeededOrder,
  cause: 'service' | 'undetermined',
): Promise<void> {
  const nowMs = deps.clock.nowMs();
  await deps.store.db
    .insertInto('reports')
    .values({
      id: newId('rep', nowMs),
      orderId: order.orderId,
      reportedAtMs: order.purchasedAtMs + DAY_MS,
      cause,
      remediatedAtMs: null,
      description: 'proxies time out',
      createdAtMs: nowMs,
      updatedAtMs: nowMs,
    })
    .execute();
}

async function seedIncident(
  deps: DeskDeps,
  order: SeededOrder,
  widelyImpacting: boolean,
): Promise<void> {
  const nowMs = deps.clock.nowMs();
  await deps.store.db
    .insertInto('incidents')
    .values({
      id: newId('inc', nowMs),
      title: 'Gateway outage',
      productsJson: JSON.stringify([order.product]),
      widelyImpacting: widelyImpacting ? 1 : 0,
      startsAtMs: order.purchasedAtMs + DAY_MS,
      endsAtMs: order.purchasedAtMs + 2 * DAY_MS,
      confirmedAtMs: order.purchasedAtMs + 2 * DAY_MS,
      createdAtMs: nowMs,
      updatedAtMs: nowMs,
    })
    .execute();
}

/** An unremediated service report 1 day after purchase: pending (deadline 15 days later). */
export async function seedOrderWithServiceReport(
  deps: DeskDeps,
  options: OrderOptions = {},
): Promise<SeededOrder> {
  const order = await seedCustomerWithOrder(deps, options);
  await seedReport(deps, order, 'service');
  return order;
}

/** An unreviewed report (cause undetermined) in the first 7 days: manual review. */
export async function seedOrderWithUndeterminedReport(
  deps: DeskDeps,
  options: OrderOptions = {},
): Promise<SeededOrder> {
  const order = await seedCustomerWithOrder(deps, options);
  await seedReport(deps, order, 'undetermined');
  return order;
}

/** A confirmed, widely impacting incident in the first 7 days: a full refund. */
export async function seedOrderWithWideIncident(
  deps: DeskDeps,
  options: OrderOptions = {},
): Promise<SeededOrder> {
  const order = await seedCustomerWithOrder(deps, options);
  await seedIncident(deps, order, true);
  return order;
}

/** A confirmed incident that was not widely impacting: no basis, but a pro-rata offer. */
export async function seedOrderWithLocalIncident(
  deps: DeskDeps,
  options: OrderOptions = {},
): Promise<SeededOrder> {
  const order = await seedCustomerWithOrder(deps, options);
  await seedIncident(deps, order, false);
  return order;
}

/** An order bought 1 day in the future of the clock: its case cannot be decided yet. */
export async function seedOrderPurchasedLater(deps: DeskDeps): Promise<SeededOrder> {
  return seedCustomerWithOrder(deps, { purchasedAtMs: deps.clock.nowMs() + DAY_MS });
}

/** The JSON a customer sends for `order` (override any field). */
export function requestBody(
  order: Pick<SeededOrder, 'orderId' | 'paymentMethod'>,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    orderId: order.orderId,
    paymentMethod: order.paymentMethod,
    description: 'Every request through the gateway times out since yesterday.',
    networkContext: {
      targetSites: ['example.com', 'https://shop.example.org/cart'],
      timestamps: ['2026-03-03T10:15:00Z', '2026-03-03T12:15:00.250+02:00'],
      egressCidrs: ['203.0.113.0/24', '2001:db8::/32'],
      clientConfig: 'proxy: gw.okkproxy.example:8000\nretries: 3\n',
    },
    contact: { email: 'ada@example.com', im: 'telegram:@ada' },
    ...overrides,
  };
}

/** A JSON POST as the holder of `cookie`, with an optional Idempotency-Key. */
export function jsonPost(body: unknown, cookie?: string, idempotencyKey?: string): RequestInit {
  return {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: {
      'content-type': 'application/json',
      ...(cookie === undefined ? {} : { cookie }),
      ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
    },
  };
}

export interface FilePart {
  readonly name: string;
  readonly bytes: Uint8Array | string;
  readonly type?: string;
}

/** A multipart POST: the JSON part `request` (unless undefined) and `evidence` file parts. */
export function multipartPost(
  request: unknown,
  files: readonly FilePart[],
  cookie?: string,
  idempotencyKey?: string,
): RequestInit {
  const form = new FormData();
  if (request !== undefined) form.append('request', JSON.stringify(request));
  for (const file of files) {
    const bytes =
      typeof file.bytes === 'string' ? new TextEncoder().encode(file.bytes) : file.bytes;
    form.append(
      'evidence',
      new Blob([bytes], { type: file.type ?? 'application/octet-stream' }),
      file.name,
    );
  }
  return {
    method: 'POST',
    body: form,
    headers: {
      ...(cookie === undefined ? {} : { cookie }),
      ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
    },
  };
}

/** Headers for a GET as the holder of `cookie`. */
export function asCookie(cookie: string): { headers: Record<string, string> } {
  return { headers: { cookie } };
}

/** Every entry of a folder (none when it does not exist). */
export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** A minimal valid PNG (1x1, transparent). */
export const PNG_BYTES = Uint8Array.from(
  Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
    'base64',
  ),
);

/** The first bytes of an x86-64 ELF executable. */
export const ELF_BYTES = Uint8Array.from([
  0x7f,
  0x45,
  0x4c,
  0x46,
  0x02,
  0x01,
  0x01,
  0x00,
  ...new Array<number>(56).fill(0),
  0x02,
  0x00,
  0x3e,
  0x00,
  ...new Array<number>(64).fill(0),
]);

/** A HAR file with one entry. */
export const HAR_TEXT = JSON.stringify({
  log: {
    version: '1.2',
    creator: { name: 'test', version: '1' },
    entries: [
      { request: { method: 'GET', url: 'https://example.com/' }, response: { status: 504 } },
    ],
  },
});

/**
 * An evidence row as versions before migration 0008 wrote it: no `content`, the bytes a file
 * named by its `storedName` in the evidence folder, or no file at all when `bytes` is undefined
 * (lost since). Returns the evidence id.
 */
export async function seedLegacyEvidence(
  deps: DeskDeps,
  requestId: string,
  file: { readonly name: string; readonly mediaType: string; readonly bytes?: Uint8Array },
): Promise<string> {
  const nowMs = deps.clock.nowMs();
  const id = newId('ev', nowMs);
  const storedName = newStoredName();
  const bytes = file.bytes ?? new Uint8Array();
  if (file.bytes !== undefined) {
    mkdirSync(deps.evidenceDir, { recursive: true });
    writeFileSync(evidencePath(deps.evidenceDir, storedName), file.bytes);
  }
  await deps.store.db
    .insertInto('evidence')
    .values({
      id,
      requestId,
      storedName,
      originalName: file.name,
      mediaType: file.mediaType,
      sizeBytes: bytes.byteLength,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      uploadedBy: 'customer:legacy',
      createdAtMs: nowMs,
      content: null,
    })
    .execute();
  return id;
}

/**
 * One trigger per problem code of the intake area, for test/http/problems.test.ts. Each runs
 * over a fresh in-memory SQLite desk (the intake suites cover both engines).
 */
export const INTAKE_PROBLEM_TRIGGERS = {
  payment_method_mismatch: async () => {
    const { desk, order } = await memoryDeskWithOrder();
    return desk.app.request(
      '/v1/refund-requests',
      jsonPost(requestBody(order, { paymentMethod: 'paypal' }), order.cookie),
    );
  },
  request_already_open: async () => {
    const { desk, order } = await memoryDeskWithOrder(seedOrderWithServiceReport);
    await desk.app.request('/v1/refund-requests', jsonPost(requestBody(order), order.cookie));
    return desk.app.request('/v1/refund-requests', jsonPost(requestBody(order), order.cookie));
  },
  request_state_conflict: async () => {
    const { desk, order } = await memoryDeskWithOrder();
    const res = await desk.app.request(
      '/v1/refund-requests',
      jsonPost(requestBody(order), order.cookie),
    );
    const { request } = (await res.json()) as { request: { id: string } };
    return desk.app.request(
      `/v1/refund-requests/${request.id}/withdraw`,
      jsonPost({}, order.cookie),
    );
  },
  case_not_decidable: async () => {
    const { desk, order } = await memoryDeskWithOrder(seedOrderPurchasedLater);
    return desk.app.request('/v1/refund-requests', jsonPost(requestBody(order), order.cookie));
  },
  unsupported_evidence: async () => {
    const { desk, order } = await memoryDeskWithOrder();
    return desk.app.request(
      '/v1/refund-requests',
      multipartPost(requestBody(order), [{ name: 'log.txt', bytes: ELF_BYTES }], order.cookie),
    );
  },
  evidence_too_large: async () => {
    const { desk, order } = await memoryDeskWithOrder();
    const big = new Uint8Array(10 * 1024 * 1024 + 1).fill(0x61);
    return desk.app.request(
      '/v1/refund-requests',
      multipartPost(requestBody(order), [{ name: 'big.log', bytes: big }], order.cookie),
    );
  },
  too_many_evidence_files: async () => {
    const { desk, order } = await memoryDeskWithOrder();
    const files = Array.from({ length: 11 }, (_, i) => ({
      name: `${i}.log`,
      bytes: `line ${i}\n`,
    }));
    return desk.app.request(
      '/v1/refund-requests',
      multipartPost(requestBody(order), files, order.cookie),
    );
  },
  invalid_idempotency_key: async () => {
    const { desk, order } = await memoryDeskWithOrder();
    return desk.app.request(
      '/v1/refund-requests',
      jsonPost(requestBody(order), order.cookie, 'key with spaces'),
    );
  },
  idempotency_key_reused: async () => {
    const { desk, order } = await memoryDeskWithOrder();
    await desk.app.request(
      '/v1/refund-requests',
      jsonPost(requestBody(order), order.cookie, 'k-1'),
    );
    return desk.app.request(
      '/v1/refund-requests',
      jsonPost(requestBody(order, { description: 'another text' }), order.cookie, 'k-1'),
    );
  },
  evidence_missing: async () => {
    const { desk, order } = await memoryDeskWithOrder();
    const res = await desk.app.request(
      '/v1/refund-requests',
      jsonPost(requestBody(order), order.cookie),
    );
    const { request } = (await res.json()) as { request: { id: string } };
    const evidenceId = await seedLegacyEvidence(desk.deps, request.id, {
      name: 'gone.log',
      mediaType: 'text/plain; charset=utf-8',
    });
    return desk.app.request(
      `/v1/refund-requests/${request.id}/evidence/${evidenceId}`,
      asCookie(order.cookie),
    );
  },
  idempotency_key_in_flight: async () => {
    const { desk, order } = await memoryDeskWithOrder();
    const app = requestsAppWith(desk.deps, { inFlightWaitMs: 0 });
    const body = requestBody(order);
    await holdKeyInFlight(
      desk.deps,
      `customer:${order.customerId}`,
      'k-1',
      '/v1/refund-requests',
      body,
    );
    return app.request('/v1/refund-requests', jsonPost(body, order.cookie, 'k-1'));
  },
} satisfies Record<string, () => Promise<Response>>;

/**
 * An in-flight row for `key` and the JSON `body` POSTed to `path`, as a first request that is
 * still running (or whose instance crashed, when `lockedUntilMs` has passed) leaves it.
 */
export async function holdKeyInFlight(
  deps: DeskDeps,
  scope: string,
  key: string,
  path: string,
  body: unknown,
  lockedUntilMs = deps.clock.nowMs() + 60_000,
): Promise<void> {
  const bytes = new TextEncoder().encode(JSON.stringify(body));
  await deps.store.db
    .insertInto('idempotencyKeys')
    .values({
      scope,
      key,
      requestHash: requestHash('POST', path, 'application/json', bytes),
      state: 'in_flight',
      responseStatus: null,
      responseBody: null,
      responseHeadersJson: null,
      createdAtMs: deps.clock.nowMs(),
      lockedUntilMs,
    })
    .execute();
}

async function memoryDeskWithOrder(
  seed: (deps: DeskDeps) => Promise<SeededOrder> = seedCustomerWithOrder,
): Promise<{ desk: TestDesk; order: SeededOrder }> {
  const store = openStore({ url: ':memory:' });
  await migrateToLatest(store.db);
  const desk = deskOver(store);
  return { desk, order: await seed(desk.deps) };
}

/**
 * A real failure inside the intake transaction: the database refuses to insert an evidence row
 * whose original name is `name` (a trigger). Returns the undo.
 */
export async function refuseEvidenceRowsNamed(
  store: Store,
  name: string,
): Promise<() => Promise<void>> {
  const { db, engine } = store;
  if (engine === 'sqlite') {
    await sql`CREATE TRIGGER evidence_refused BEFORE INSERT ON evidence
      WHEN NEW.original_name = ${sql.lit(name)}
      BEGIN SELECT RAISE(ABORT, 'test: evidence insert refused'); END`.execute(db);
    return async () => {
      await sql`DROP TRIGGER evidence_refused`.execute(db);
    };
  }
  await sql`CREATE FUNCTION evidence_refused() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN RAISE EXCEPTION 'test: evidence insert refused'; END $$`.execute(db);
  await sql`CREATE TRIGGER evidence_refused BEFORE INSERT ON evidence FOR EACH ROW
    WHEN (NEW.original_name = ${sql.lit(name)}) EXECUTE FUNCTION evidence_refused()`.execute(db);
  return async () => {
    await sql`DROP TRIGGER evidence_refused ON evidence`.execute(db);
    await sql`DROP FUNCTION evidence_refused()`.execute(db);
  };
}
