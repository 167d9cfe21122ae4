/**
 * The intake benchmark's load generator, a process of its own so that building and timing
 * requests does not share the server's event loop, and cheap, since it shares the machine's
 * cores with the server: every request is prepared as raw HTTP/1.1 bytes (request line, headers,
 * multipart body) before the clock starts, written to a keep-alive socket (one per client), and
 * its answer parsed only as far as the status, Content-Length or chunked framing, and the start
 * of the body. N clients in a closed loop over a fixed list of requests, each client taking the
 * next request as soon as its previous answer has been read; a deadline stops clients from
 * taking new requests. The caller runs a warm-up list first, then the measured one.
 *
 * Each request: POST /v1/refund-requests, multipart/form-data with the JSON part `request` and a
 * 1 KB UTF-8 log file part `evidence`, as the customer (session cookie) owning the order.
 * Success is 201 with a body naming the request; anything else is an error (first few kept).
 *
 * IPC: receives `{ kind: 'run', url, jobs, concurrency, maxMs, log }` (jobs: `{ cookie,
 * orderId, paymentMethod }`), answers `{ kind: 'result', … }`; `{ kind: 'exit' }` ends it.
 */
import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { URL } from 'node:url';

const PATH = '/v1/refund-requests';

function multipartBody(boundary, job, logText) {
  const request = JSON.stringify({
    orderId: job.orderId,
    paymentMethod: job.paymentMethod,
    description: 'Every request through the gateway times out since yesterday.',
    networkContext: {
      targetSites: ['example.com', 'https://shop.example.org/cart'],
      timestamps: ['2026-03-03T10:15:00Z'],
      egressCidrs: ['203.0.113.0/24', '2001:db8::/32'],
      clientConfig: 'proxy: gw.example:8000\nretries: 3\n',
    },
    contact: { email: 'ada@example.com' },
  });
  return Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="request"\r\n\r\n${request}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="evidence"; filename="gateway.log"\r\n` +
      `Content-Type: text/plain\r\n\r\n${logText}\r\n--${boundary}--\r\n`,
    'utf8',
  );
}

/** The whole request as bytes: request line, headers and body. */
function rawRequest(target, body, boundary, cookie) {
  const head =
    `POST ${PATH} HTTP/1.1\r\nHost: ${target.host}\r\nConnection: keep-alive\r\n` +
    `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${body.length}\r\n` +
    `Cookie: ${cookie}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * One keep-alive connection sending one request at a time: `send(bytes)` resolves with the
 * answer's status and body once the whole answer has arrived.
 */
function connection(target) {
  const socket = net.connect({ host: target.hostname, port: Number(target.port), noDelay: true });
  let buffered = Buffer.alloc(0);
  let waiting;
  let failure;
  const fail = (error) => {
    failure ??= error;
    waiting?.resolve({ status: 0, body: String(failure) });
    waiting = undefined;
  };
  socket.on('error', fail);
  socket.on('close', () => fail(new Error('connection closed')));
  /** A complete answer at the start of `buffered`, taken off it; undefined while incomplete. */
  const take = () => {
    const headEnd = buffered.indexOf(HEAD_END);
    if (headEnd < 0) return undefined;
    const head = buffered.toString('latin1', 0, headEnd);
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    let at = headEnd + 4;
    if (length !== null) {
      const end = at + Number(length[1]);
      if (buffered.length < end) return undefined;
      const body = buffered.toString('utf8', at, end);
      buffered = buffered.subarray(end);
      return { status, body };
    }
    if (!/\r\ntransfer-encoding:\s*chunked/i.test(head))
      throw new Error(`unframed answer: ${head}`);
    const parts = [];
    for (;;) {
      const lineEnd = buffered.indexOf('\r\n', at);
      if (lineEnd < 0) return undefined;
      const size = parseInt(buffered.toString('latin1', at, lineEnd), 16);
      const dataEnd = lineEnd + 2 + size;
      if (buffered.length < dataEnd + 2) return undefined;
      if (size === 0) {
        buffered = buffered.subarray(dataEnd + 2);
        return { status, body: Buffer.concat(parts).toString('utf8') };
      }
      parts.push(buffered.subarray(lineEnd + 2, dataEnd));
      at = dataEnd + 2;
    }
  };
  socket.on('data', (chunk) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    if (waiting === undefined) return;
    let answer;
    try {
      answer = take();
    } catch (error) {
      fail(error);
      return;
    }
    if (answer === undefined) return;
    const { resolve } = waiting;
    waiting = undefined;
    resolve(answer);
  });
  return {
    send(bytes) {
      return new Promise((resolve) => {
        if (failure !== undefined) {
          resolve({ status: 0, body: String(failure) });
          return;
        }
        waiting = { resolve };
        socket.write(bytes);
      });
    },
    close() {
      socket.removeAllListeners('close');
      socket.destroy();
    },
  };
}

async function run({ url, jobs, concurrency, maxMs, log }) {
  const target = new URL(url);
  const boundary = `refund-desk-bench-${randomBytes(8).toString('hex')}`;
  const bodies = jobs.map((job) => multipartBody(boundary, job, log));
  const requests = jobs.map((job, i) => rawRequest(target, bodies[i], boundary, job.cookie));
  const connections = Array.from({ length: concurrency }, () => connection(target));
  const latenciesUs = [];
  const errors = [];
  let errorCount = 0;
  let next = 0;
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const deadlineNs = started + BigInt(Math.round(maxMs * 1e6));
  const client = async (conn) => {
    while (next < jobs.length && process.hrtime.bigint() < deadlineNs) {
      const i = next;
      next += 1;
      const sent = process.hrtime.bigint();
      const { status, body } = await conn.send(requests[i]);
      const us = Number(process.hrtime.bigint() - sent) / 1e3;
      if (status === 201 && body.startsWith('{"request":{"id":"rr_')) {
        latenciesUs.push(us);
      } else {
        errorCount += 1;
        if (errors.length < 5) errors.push(`${status} ${body.slice(0, 300)}`);
      }
    }
  };
  await Promise.all(connections.map(client));
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = process.cpuUsage(cpuBefore);
  for (const conn of connections) conn.close();
  return {
    latenciesUs,
    errorCount,
    errors,
    elapsedMs,
    clientCpuMs: (cpu.user + cpu.system) / 1e3,
    requestBytes: bodies[0]?.length ?? 0,
  };
}

process.on('message', async (message) => {
  if (message.kind === 'run') {
    process.send({ kind: 'result', ...(await run(message)) });
  } else if (message.kind === 'exit') {
    process.disconnect();
  }
});
process.send({ kind: 'ready' });
