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

/**
 * `refund-desk serve`: listens, prints `Refund Desk listening on URL`, and resolves once the
 * server has closed after SIGINT or SIGTERM. A port it cannot bind is one line on stderr and
 * exit code 2, not a stack trace.
 */
export async function startServer(options: { hostname: string; port: number }): Promise<void> {
  let running: RunningServer;
  try {
    running = await listen({ hostname: options.hostname, port: options.port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    process.stderr.write(
      `refund-desk: cannot listen on ${options.hostname}:${options.port} (${code})\n`,
    );
    process.exitCode = 2;
    return;
  }
  process.stdout.write(`Refund Desk listening on ${running.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      // A second signal finds no handler and ends the process at once.
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await running.close();
}
