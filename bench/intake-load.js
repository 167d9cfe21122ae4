/**
 * The intake benchmark's load generator, a process of its own so that building and timing
 * requests does not share the server's event loop. node:http with a keep-alive agent (one
 * socket per client), N clients in a closed loop over a fixed list of requests, each client
 * taking the next request as soon as its previous answer has been read; a deadline stops
 * clients from taking new requests. The caller runs a warm-up list first, then the measured one.
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
import http from 'node:http';
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

function post(agent, target, body, boundary, cookie) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const req = http.request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        method: 'POST',
        path: PATH,
        headers: {
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': body.length,
          cookie,
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => {
          const us = Number(process.hrtime.bigint() - started) / 1e3;
          const text = Buffer.concat(chunks).toString('utf8');
          const ok = res.statusCode === 201 && text.startsWith('{"request":{"id":"rr_');
          resolve({ us, ok, error: ok ? undefined : `${res.statusCode} ${text.slice(0, 300)}` });
        });
        res.on('error', (error) => resolve({ us: 0, ok: false, error: String(error) }));
      },
    );
    req.on('error', (error) => resolve({ us: 0, ok: false, error: String(error) }));
    req.end(body);
  });
}

async function run({ url, jobs, concurrency, maxMs, log }) {
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const boundary = `refund-desk-bench-${randomBytes(8).toString('hex')}`;
  const bodies = jobs.map((job) => multipartBody(boundary, job, log));
  const latenciesUs = [];
  const errors = [];
  let errorCount = 0;
  let next = 0;
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const deadlineNs = started + BigInt(Math.round(maxMs * 1e6));
  const client = async () => {
    while (next < jobs.length && process.hrtime.bigint() < deadlineNs) {
      const i = next;
      next += 1;
      const result = await post(agent, target, bodies[i], boundary, jobs[i].cookie);
      if (result.ok) {
        latenciesUs.push(result.us);
      } else {
        errorCount += 1;
        if (errors.length < 5) errors.push(result.error);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = process.cpuUsage(cpuBefore);
  agent.destroy();
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
