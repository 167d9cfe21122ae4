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
 *   route that parses the same multipart body as intake does (`parseBody`, the file's bytes, the
 *   JSON part) and answers a fixed 201: what HTTP and multipart cost before any desk work.
 */
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { systemClock } from '../dist/app/context.js';
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
    const body = await c.req.parseBody({ all: true });
    const request = JSON.parse(String(body['request']));
    const file = body['evidence'];
    if (typeof file === 'string' || file === undefined || Array.isArray(file)) {
      return c.body('{"error":"no evidence file"}', 400);
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    return c.body(
      JSON.stringify({
        request: { id: 'rr_baseline', orderId: request.orderId },
        bytes: bytes.length,
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
  const store = openStore({ url, ...(schema === undefined ? {} : { schema }) });
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
