/**
 * The intake benchmark's server process. Talks to the parent over IPC: `{ kind: 'ready', url }`
 * once listening on 127.0.0.1 (any free port); answers `cpu` with its CPU time so far and the
 * unexpected errors seen; on `stop`, closes and exits.
 *
 * argv[2], JSON:
 * - `{ url, schema?, evidenceDir }`: the real HTTP server (`listen({ app: { desk } })`) over an
 *   already seeded store, wired as the composition root wires it (system clock, the store's
 *   default pool), with a mailer that drops mail (intake sends none);
 * - `{ baseline: true }`: the floor under it, the same Node HTTP server and Hono adaptor with one
 *   route that reads and parses the same multipart body as intake does (`readBodyBytes`,
 *   `parseMultipart`, the file's bytes, the JSON part) and answers a fixed 201: what HTTP and
 *   multipart cost before any desk work.
 * - either with `processes: N` (N > 1): N server processes in a node:cluster sharing the port.
 */
import cluster from 'node:cluster';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { systemClock } from '../dist/app/context.js';
import { readBodyBytes } from '../dist/http/media.js';
import { multipartBoundary, parseMultipart } from '../dist/http/multipart.js';
import { listen } from '../dist/http/server.js';
import { openStore } from '../dist/store/connect.js';

const config = JSON.parse(process.argv[2] ?? '{}');
let internalErrors = 0;
let firstError;
const onInternalError = (error) => {
  internalErrors += 1;
  firstError ??= error instanceof Error ? (error.stack ?? error.message) : String(error);
};

async function baselineServer() {
  const app = new Hono();
  app.post('/v1/refund-requests', async (c) => {
    const bytes = await readBodyBytes(c, 1024 * 1024);
    const form = parseMultipart(bytes, multipartBoundary(c.req.header('content-type')) ?? '');
    const request = JSON.parse(String(form?.get('request')?.[0]));
    const [file] = form?.get('evidence') ?? [];
    if (typeof file === 'string' || file === undefined) {
      return c.body('{"error":"no evidence file"}', 400);
    }
    const fileBytes = new Uint8Array(await file.arrayBuffer());
    return c.body(
      JSON.stringify({
        request: { id: 'rr_baseline', orderId: request.orderId },
        bytes: fileBytes.length,
      }),
      201,
      { 'content-type': 'application/json' },
    );
  });
  app.onError((error, c) => {
    onInternalError(error);
    return c.body('{"error":"internal"}', 500);
  });
  const server = createAdaptorServer({ fetch: app.fetch });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(resolve);
        server.closeIdleConnections();
      }),
  };
}

async function deskServer() {
  const { url, schema, evidenceDir } = config;
  // As the composition root opens it (src/runtime/store.ts): background WAL checkpoints.
  const store = openStore({
    url,
    ...(schema === undefined ? {} : { schema }),
    sqliteCheckpoints: 'background',
  });
  const deps = {
    store,
    clock: systemClock,
    mailer: { send: async () => {} },
    evidenceDir,
    publicUrl: 'http://127.0.0.1',
  };
  const server = await listen({ app: { desk: deps, onInternalError } });
  return {
    url: server.url,
    async close() {
      await server.close();
      await store.close();
    },
  };
}

/**
 * `processes` > 1: a node:cluster primary forks that many server processes sharing the port
 * (each with its own store connection: SQLite in WAL, one file), and answers for them all: CPU
 * is the sum of the workers' and its own.
 */
async function clusterPrimary(count) {
  // Each worker writes its own CPU profile (named by pid) into the same folder.
  const execArgv = process.execArgv.filter((arg) => !arg.startsWith('--cpu-prof-name'));
  cluster.setupPrimary({ execArgv });
  const workers = Array.from({ length: count }, () => cluster.fork());
  const ask = (worker, message, kind) =>
    new Promise((resolve) => {
      const onMessage = (answer) => {
        if (answer.kind !== kind) return;
        worker.off('message', onMessage);
        resolve(answer);
      };
      worker.on('message', onMessage);
      if (message !== undefined) worker.send(message);
    });
  const ready = await Promise.all(workers.map((worker) => ask(worker, undefined, 'ready')));
  process.on('message', async (message) => {
    if (message.kind === 'cpu') {
      const answers = await Promise.all(workers.map((w) => ask(w, { kind: 'cpu' }, 'cpu')));
      const own = process.cpuUsage();
      process.send({
        kind: 'cpu',
        usage: answers.reduce(
          (sum, a) => ({ user: sum.user + a.usage.user, system: sum.system + a.usage.system }),
          own,
        ),
        internalErrors: answers.reduce((sum, a) => sum + a.internalErrors, 0),
        firstError: answers.find((a) => a.firstError !== undefined)?.firstError,
      });
    } else if (message.kind === 'stop') {
      const exited = workers.map((w) => new Promise((resolve) => w.once('exit', resolve)));
      await Promise.all(workers.map((w) => ask(w, { kind: 'stop' }, 'stopped')));
      await Promise.all(exited);
      process.send({ kind: 'stopped' }, () => process.disconnect());
    }
  });
  process.send({ kind: 'ready', url: ready[0].url });
}

const processes = config.processes ?? 1;
if (processes > 1 && cluster.isPrimary) {
  await clusterPrimary(processes);
} else {
  await serve();
}

async function serve() {
  const server = config.baseline === true ? await baselineServer() : await deskServer();
  process.on('message', async (message) => {
    if (message.kind === 'cpu') {
      process.send({ kind: 'cpu', usage: process.cpuUsage(), internalErrors, firstError });
    } else if (message.kind === 'stop') {
      await server.close();
      // Nothing is left to keep the process alive once the channel closes: it exits (and writes
      // its CPU profile when started with --cpu-prof).
      process.send({ kind: 'stopped' }, () => process.disconnect());
    }
  });
  process.send({ kind: 'ready', url: server.url });
}
