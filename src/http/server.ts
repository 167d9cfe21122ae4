/**
 * Serving the HTTP API on Node (`refund-desk serve`): binds 127.0.0.1 unless told otherwise,
 * prints one line when listening, and closes gracefully on SIGINT/SIGTERM.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { createApp, type AppOptions } from './app.js';

export interface ListenOptions {
  /** Address to bind; default 127.0.0.1 (local only). */
  readonly hostname?: string;
  /** Port to listen on; default 0 (any free port). */
  readonly port?: number;
  readonly app?: AppOptions;
  /** How long in-flight requests may finish after close() before being cut, in ms. */
  readonly graceMs?: number;
}

export interface RunningServer {
  /** Base URL, such as `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Stops accepting, lets in-flight requests finish (up to the grace period), then resolves. */
  close(): Promise<void>;
}

const DEFAULT_GRACE_MS = 5_000;

function baseUrl(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

function closeGracefully(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    force.unref();
    server.close((error) => {
      clearTimeout(force);
      if (error === undefined) resolve();
      else reject(error);
    });
    server.closeIdleConnections();
  });
}

/** Starts the API and resolves once it is listening; for tests, on port 0 by default. */
export async function listen(options: ListenOptions = {}): Promise<RunningServer> {
  const app = createApp(options.app);
  // Without a custom createServer, the adaptor builds a plain node:http server.
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.hostname ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  let closing: Promise<void> | undefined;
  return {
    url: baseUrl(server.address() as AddressInfo),
    close: () => (closing ??= closeGracefully(server, options.graceMs ?? DEFAULT_GRACE_MS)),
  };
}
