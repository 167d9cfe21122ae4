/**
 * What the local provider doubles share: a seeded fault plan, body reading with a limit, JSON
 * replies, and a server wrapper that can hang or drop a response and still close promptly.
 *
 * The doubles are test and benchmark infrastructure: they run in-process (tests) or as
 * standalone processes (`node dist/payouts/doubles/serve.js …`, see serve.ts). They keep their
 * state in memory; every refund they actually make is listed by their inspection endpoint.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * What can go wrong with one request:
 * - `timeout_before`: the double hangs without doing anything (the client times out);
 * - `timeout_after`: the double performs the request, then hangs;
 * - `lost_response`: the double performs the request, then destroys the socket;
 * - `reset_before`: the socket is destroyed before anything is done;
 * - `error_5xx`: a 503 before anything is done (a gateway's answer; not stored for the key).
 */
export const FAULT_KINDS = [
  'timeout_before',
  'timeout_after',
  'lost_response',
  'reset_before',
  'error_5xx',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRates {
  /** Seed of the PRNG that draws faults; the same seed and traffic give the same faults. */
  readonly seed: number;
  /** Probability that a refund is performed and its response lost. */
  readonly dropRate: number;
  /** Probability of a time-out; half of them happen after the refund was performed. */
  readonly timeoutRate: number;
  /** Probability of a 503 before anything is done. */
  readonly errorRate: number;
  /** Whether reads (GET) draw faults too; by default only refund creation does. */
  readonly faultReads: boolean;
}

export const NO_FAULTS: FaultRates = {
  seed: 1,
  dropRate: 0,
  timeoutRate: 0,
  errorRate: 0,
  faultReads: false,
};

/** mulberry32: a small deterministic PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MAX_QUEUED_FAULTS = 1_000;

/** Draws the fault (or none) for each request: queued faults first, then the seeded rates. */
export class FaultPlan {
  private readonly random: () => number;
  private readonly queue: FaultKind[] = [];
  readonly drawn: Record<FaultKind, number> = {
    timeout_before: 0,
    timeout_after: 0,
    lost_response: 0,
    reset_before: 0,
    error_5xx: 0,
  };

  constructor(private readonly rates: FaultRates) {
    for (const [name, rate] of [
      ['dropRate', rates.dropRate],
      ['timeoutRate', rates.timeoutRate],
      ['errorRate', rates.errorRate],
    ] as const) {
      if (!(rate >= 0 && rate <= 1)) throw new Error(`${name} must be within [0, 1]`);
    }
    if (rates.dropRate + rates.timeoutRate + rates.errorRate > 1) {
      throw new Error('dropRate + timeoutRate + errorRate must not exceed 1');
    }
    this.random = mulberry32(rates.seed);
  }

  /** Faults for the next requests, in order, before any drawn at random. */
  enqueue(faults: readonly FaultKind[]): void {
    if (this.queue.length + faults.length > MAX_QUEUED_FAULTS) {
      throw new Error(`at most ${MAX_QUEUED_FAULTS} queued faults`);
    }
    this.queue.push(...faults);
  }

  clearQueue(): void {
    this.queue.length = 0;
  }

  next(kind: 'write' | 'read'): FaultKind | null {
    if (kind === 'read' && !this.rates.faultReads) return null;
    const queued = this.queue.shift();
    const fault = queued ?? this.draw();
    if (fault !== null) this.drawn[fault] += 1;
    return fault;
  }

  private draw(): FaultKind | null {
    const { dropRate, timeoutRate, errorRate } = this.rates;
    if (dropRate + timeoutRate + errorRate === 0) return null;
    const roll = this.random();
    if (roll < dropRate) return 'lost_response';
    if (roll < dropRate + timeoutRate) {
      return this.random() < 0.5 ? 'timeout_before' : 'timeout_after';
    }
    if (roll < dropRate + timeoutRate + errorRate) return 'error_5xx';
    return null;
  }
}

/** A request body over this many bytes is refused. */
export const MAX_BODY_BYTES = 64 * 1024;

export class BodyTooLarge extends Error {}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge(`body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The body as JSON, or undefined after answering 400 (for the control endpoints). */
export async function readJson(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  let text: string;
  try {
    text = await readBody(req);
    return JSON.parse(text) as unknown;
  } catch (error) {
    if (error instanceof BodyTooLarge) throw error;
    sendJson(res, 400, { error: 'the body must be JSON' });
    return undefined;
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** A reply a handler computed; the wrapper sends it, or loses it when a fault says so. */
export interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * How a handler performs one request under a fault: `perform` does the work and returns the
 * reply; the wrapper calls it (or not) and delivers (or not) according to the fault.
 */
export async function applyFault(
  fault: FaultKind | null,
  res: ServerResponse,
  perform: () => Reply | Promise<Reply>,
): Promise<void> {
  switch (fault) {
    case null: {
      const reply = await perform();
      sendJson(res, reply.status, reply.body, reply.headers);
      return;
    }
    case 'timeout_before':
      // No answer: the response stays open until the client gives up or the server closes.
      return;
    case 'timeout_after':
      await perform();
      return;
    case 'lost_response':
      await perform();
      res.socket?.destroy();
      return;
    case 'reset_before':
      res.socket?.destroy();
      return;
    case 'error_5xx':
      sendJson(res, 503, { error: 'service_unavailable', injected: true });
      return;
  }
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts a plain node:http server on 127.0.0.1 (port 0: any free port). */
export async function startServer(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  options: { readonly port: number; readonly host: string },
): Promise<RunningServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    handler(req, res).catch((error: unknown) => {
      if (error instanceof BodyTooLarge) {
        if (!res.headersSent) sendJson(res, 413, { error: 'body_too_large' });
        return;
      }
      process.stderr.write(`provider double: ${String(error)}\n`);
      if (!res.headersSent) sendJson(res, 500, { error: 'double_bug', message: String(error) });
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${String(port)}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** What a double's control endpoints (`/__double/…`) reach into. */
export interface ControlPlane<T, S extends string> {
  /** Every refund the double made, and every webhook event it sent. */
  readonly made: readonly unknown[];
  readonly events: readonly unknown[];
  readonly stats: Readonly<Record<string, number>>;
  readonly faults: FaultPlan;
  /** `POST <path>`: one item or a list of them seeded; answers how many there are now. */
  readonly seed: {
    readonly path: string;
    readonly add: (item: T) => void;
    readonly count: () => number;
  };
  /** `POST refunds/<id>/settle` with `{ status }`: one of two statuses, other fields passed on. */
  readonly settle: {
    readonly path: RegExp;
    readonly statuses: readonly [S, S];
    readonly apply: (id: string, status: S, body: { readonly failureReason?: string }) => void;
  };
}

/**
 * Answers the control endpoints every double has: the refunds made, the events sent, stats,
 * seeding, queued faults and settling a refund. False when `path` is none of them.
 */
export async function handleCommonControl<T, S extends string>(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  plane: ControlPlane<T, S>,
): Promise<boolean> {
  const { faults, seed, settle } = plane;
  if (req.method === 'GET' && path === 'refunds') {
    sendJson(res, 200, { refunds: plane.made });
  } else if (req.method === 'GET' && path === 'events') {
    sendJson(res, 200, { events: plane.events });
  } else if (req.method === 'GET' && path === 'stats') {
    sendJson(res, 200, { ...plane.stats, faults: faults.drawn, refunds: plane.made.length });
  } else if (req.method === 'POST' && path === seed.path) {
    const body = (await readJson(req, res)) as T | T[] | undefined;
    if (body === undefined) return true;
    try {
      for (const item of Array.isArray(body) ? body : [body]) seed.add(item);
    } catch (error) {
      sendJson(res, 400, { error: String(error) });
      return true;
    }
    sendJson(res, 201, { [seed.path]: seed.count() });
  } else if (req.method === 'POST' && path === 'faults') {
    const body = (await readJson(req, res)) as { queue?: unknown } | undefined;
    if (body === undefined) return true;
    const queue = Array.isArray(body.queue) ? body.queue : [];
    if (!queue.every((f): f is FaultKind => (FAULT_KINDS as readonly unknown[]).includes(f))) {
      sendJson(res, 400, { error: `queue holds fault kinds: ${FAULT_KINDS.join(', ')}` });
      return true;
    }
    faults.enqueue(queue);
    sendJson(res, 200, { queued: queue.length });
  } else if (req.method === 'POST' && settle.path.test(path)) {
    const id = path.split('/')[1] ?? '';
    const body = (await readJson(req, res)) as
      { status?: string; failureReason?: string } | undefined;
    if (body === undefined) return true;
    const status = settle.statuses.find((s) => s === body.status);
    if (status === undefined) {
      sendJson(res, 400, { error: `status must be ${settle.statuses.join(' or ')}` });
      return true;
    }
    try {
      settle.apply(id, status, body);
      sendJson(res, 200, { id, status });
    } catch (error) {
      sendJson(res, 409, { error: String(error) });
    }
  } else {
    return false;
  }
  return true;
}

/** Events a double keeps for `GET /__double/events` (the oldest are dropped). */
const MAX_EVENTS_KEPT = 10_000;
const WEBHOOK_TIMEOUT_MS = 5_000;

export interface WebhookStats {
  webhooksSent: number;
  webhooksFailed: number;
}

/** Where a double posts its webhook events, and how. */
export interface WebhookTarget {
  /** None: events are only kept. */
  readonly url: string | undefined;
  /** Probability that an event is delivered twice. */
  readonly duplicateRate: number;
  /** The double's PRNG, drawn once per posted event. */
  readonly random: () => number;
  readonly stats: WebhookStats;
}

/**
 * Keeps a webhook event (the last MAX_EVENTS_KEPT) and posts it, once or (at `duplicateRate`)
 * twice, without waiting: each answer is counted in the stats, a 2xx as sent.
 */
export function publishEvent<E>(
  events: E[],
  event: E,
  delivery: { readonly headers: Readonly<Record<string, string>>; readonly body: string },
  target: WebhookTarget,
): void {
  events.push(event);
  if (events.length > MAX_EVENTS_KEPT) events.shift();
  const { url, stats } = target;
  if (url === undefined) return;
  const times = target.random() < target.duplicateRate ? 2 : 1;
  for (let i = 0; i < times; i += 1) {
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...delivery.headers },
      body: delivery.body,
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    }).then(
      async (response) => {
        await response.arrayBuffer();
        if (response.ok) stats.webhooksSent += 1;
        else stats.webhooksFailed += 1;
      },
      () => {
        stats.webhooksFailed += 1;
      },
    );
  }
}
