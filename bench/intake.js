/**
 * The intake part of `npm run bench`: POST /v1/refund-requests with a 1 KB log attached, over
 * real HTTP on loopback, against 1,000,000 stored orders, on SQLite and on PostgreSQL.
 *
 * Per engine: a fresh store (a SQLite file in a temp folder; a schema of its own on PostgreSQL,
 * dropped afterwards) is migrated and seeded (bench/intake-seed.js; time reported, not
 * measured), and one customer session is created per request (`createSession`). The server
 * runs in a child process (bench/intake-server.js) and the load generator in another
 * (bench/intake-load.js), so neither steals the other's event loop. Each row runs N clients in a
 * closed loop: a warm-up, then a fixed number of measured requests (stopped early at a time
 * limit), each on a distinct order of a distinct customer. Every answer must be 201.
 *
 * Afterwards the store is checked: one request per 201 with its audit entries (submitted,
 * decision recorded, evidence added; and whatever the case's moves append), the audit chain
 * intact, and one evidence row per request holding the log's 1,024 bytes (its SHA-256 matching).
 */
import { Buffer } from 'node:buffer';
import { fork } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { URL, fileURLToPath } from 'node:url';
import { TextDecoder } from 'node:util';
import pg from 'pg';
import { verifyAudit } from '../dist/app/audit.js';
import { createSession } from '../dist/app/auth/sessions.js';
import { systemClock } from '../dist/app/context.js';
import { openStore } from '../dist/store/connect.js';
import { migrateToLatest } from '../dist/store/migrate.js';
import { CUSTOMERS, customerId, latestOrderId, paymentMethodOf, seedFacts } from './intake-seed.js';
import { loadLine, machineLine } from './machine.js';
import { percentile } from './measure.js';

const SERVER = fileURLToPath(new URL('./intake-server.js', import.meta.url));
const LOAD = fileURLToPath(new URL('./intake-load.js', import.meta.url));
const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
const GOAL_REQUESTS_PER_S = 1_000;
const GOAL_P99_MS = 50;
/** A prime not dividing 200,000: request r goes to customer (r × STRIDE) mod 200,000, all distinct. */
const STRIDE = 7_919;

export const usage = `intake options:
  --engines=sqlite,postgres  engines to measure (default: both)
  --concurrency=1,4,16       clients per row, one row each (default: 1,4,16)
  --requests=N               measured requests per row (default: 2000 with 1 client, else 5000)
  --warmup=N                 untimed requests before each row (default: 500 with 1 client, else 1000)
  --max-seconds=S            stop measuring a row after S seconds (default: 60)
  --database-url=URL         the PostgreSQL to use (default: ${DEFAULT_DATABASE_URL})
  --profile=DIR              run the server with --cpu-prof, writing its profile to DIR
  --processes=N              server processes (node:cluster, one port; SQLite: one file in WAL)
                             for the baseline and the desk alike (default: 1)
`;

const log = (line = '') => process.stdout.write(`${line}\n`);

function options(args) {
  const value = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const list = (name, fallback) => (value(name) ?? fallback).split(',').filter((s) => s !== '');
  const positive = (name, text) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
    return n;
  };
  const engines = list('engines', 'sqlite,postgres');
  for (const engine of engines) {
    if (engine !== 'sqlite' && engine !== 'postgres') throw new Error(`unknown engine ${engine}`);
  }
  const rows = list('concurrency', '1,4,16').map((text) => {
    const concurrency = positive('concurrency', text);
    return {
      concurrency,
      requests: positive('requests', value('requests') ?? (concurrency === 1 ? 2_000 : 5_000)),
      warmup: Number(value('warmup') ?? (concurrency === 1 ? 500 : 1_000)),
    };
  });
  const needed = rows.reduce((sum, row) => sum + row.warmup + row.requests, 0);
  if (needed > CUSTOMERS) throw new Error(`at most ${CUSTOMERS} requests per engine in all rows`);
  return {
    engines,
    rows,
    maxMs: positive('max-seconds', value('max-seconds') ?? '60') * 1000,
    databaseUrl: value('database-url') ?? DEFAULT_DATABASE_URL,
    profileDir: value('profile'),
    processes: positive('processes', value('processes') ?? '1'),
  };
}

/** A 1,024-byte UTF-8 gateway log (some characters take two or three bytes). */
function logText() {
  const lines = [];
  for (let i = 0; Buffer.byteLength(lines.join('')) < 1024; i += 1) {
    lines.push(
      `2026-03-03T10:${String(i % 60).padStart(2, '0')}:00Z GET https://shop.example.org/cart → 504 gateway timeout (réessai ${i})\n`,
    );
  }
  const bytes = Buffer.from(lines.join('')).subarray(0, 1024);
  // Cut back to a whole character, then pad with ASCII to exactly 1,024 bytes.
  const text = new TextDecoder('utf-8').decode(bytes).replace(/\uFFFD+$/, '');
  return text + '.'.repeat(1024 - Buffer.byteLength(text));
}

/** A fresh, migrated store for one engine, and how to remove it. */
async function freshStore(engine, databaseUrl) {
  const dir = mkdtempSync(join(tmpdir(), `refund-desk-bench-${engine}-`));
  if (engine === 'sqlite') {
    const url = `sqlite:${join(dir, 'bench.sqlite')}`;
    const store = openStore({ url });
    await migrateToLatest(store.db, store.engine);
    return { store, target: { url }, dir, drop: async () => {} };
  }
  const schema = `bench_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const store = openStore({ url: databaseUrl, schema });
  await migrateToLatest(store.db, store.engine);
  const drop = async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query(`DROP SCHEMA ${schema} CASCADE`);
    await client.end();
  };
  return { store, target: { url: databaseUrl, schema }, dir, drop };
}

function elapsedMsSince(start) {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** One session per customer of `customers` (in order), created `parallel` at a time. */
async function sessions(store, customers, parallel) {
  const ctx = { store, clock: systemClock };
  const cookies = new Array(customers.length);
  let next = 0;
  const worker = async () => {
    while (next < customers.length) {
      const i = next;
      next += 1;
      const { token } = await createSession(ctx, {
        kind: 'customer',
        id: customerId(customers[i]),
      });
      cookies[i] = `rd_session=${token}`;
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return cookies;
}

/** Forks `file`, resolving with the child once it reports `ready`. */
function child(file, args, execArgv) {
  return new Promise((resolve, reject) => {
    const proc = fork(file, args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const onExit = (code) => reject(new Error(`${file} exited with ${code} before it was ready`));
    proc.once('exit', onExit);
    proc.once('error', reject);
    proc.once('message', (message) => {
      proc.off('exit', onExit);
      resolve({ proc, message });
    });
  });
}

/** Sends `message` and resolves with the first answer of `kind`. */
function ask(proc, message, kind) {
  return new Promise((resolve) => {
    const onMessage = (answer) => {
      if (answer.kind !== kind) return;
      proc.off('message', onMessage);
      resolve(answer);
    };
    proc.on('message', onMessage);
    proc.send(message);
  });
}

function cpuMs(before, after) {
  return (after.user - before.user + after.system - before.system) / 1e3;
}

function profileArgs(opts, name) {
  return opts.profileDir === undefined
    ? []
    : ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`, `--cpu-prof-name=${name}.cpuprofile`];
}

/**
 * Starts a server process (`config`, see bench/intake-server.js) and a load generator, runs
 * each row (its warm-up, then its measured requests; `jobsOf(row, index)` gives both lists
 * together), and stops both. Returns one result per row.
 */
async function measureRows(config, opts, text, jobsOf, execArgv) {
  const server = await child(
    SERVER,
    [JSON.stringify({ ...config, processes: opts.processes })],
    execArgv,
  );
  const load = await child(LOAD, [], []);
  const results = [];
  try {
    for (const [index, row] of opts.rows.entries()) {
      const jobs = jobsOf(row, index);
      const run = (list) =>
        ask(
          load.proc,
          {
            kind: 'run',
            url: server.message.url,
            jobs: list,
            ...row,
            maxMs: opts.maxMs,
            log: text,
          },
          'result',
        );
      const warm = await run(jobs.slice(0, row.warmup));
      const loadBefore = loadLine();
      const before = await ask(server.proc, { kind: 'cpu' }, 'cpu');
      const result = await run(jobs.slice(row.warmup));
      const after = await ask(server.proc, { kind: 'cpu' }, 'cpu');
      results.push({
        ...row,
        ...result,
        warmupErrors: warm.errorCount,
        created: warm.latenciesUs.length + result.latenciesUs.length,
        errors: [...warm.errors, ...result.errors].slice(0, 5),
        serverCpuMs: cpuMs(before.usage, after.usage),
        internalErrors: after.internalErrors,
        firstError: after.firstError,
        loadBefore,
        loadAfter: loadLine(),
      });
    }
  } finally {
    load.proc.send({ kind: 'exit' });
    const exited = new Promise((resolve) => {
      if (server.proc.exitCode !== null) resolve();
      else server.proc.once('exit', resolve);
    });
    await ask(server.proc, { kind: 'stop' }, 'stopped');
    await exited;
  }
  return results;
}

/** The floor: HTTP and multipart parsing only, the same requests and clients, no store. */
async function benchBaseline(opts, text) {
  const rows = await measureRows(
    { baseline: true },
    opts,
    text,
    (row, index) =>
      Array.from({ length: row.warmup + row.requests }, (_, i) => ({
        cookie: 'rd_session=baseline',
        orderId: `ord_baseline_${index}_${i}`,
        paymentMethod: 'card',
      })),
    profileArgs(opts, 'server-baseline'),
  );
  return { engine: 'baseline', rows };
}

async function benchEngine(engine, opts, text) {
  const { store, target, dir, drop } = await freshStore(engine, opts.databaseUrl);
  // Where earlier versions wrote evidence files: the server reads it for legacy rows only.
  const evidenceDir = join(dir, 'evidence');
  const report = { engine };
  try {
    const seedStart = process.hrtime.bigint();
    report.counts = await seedFacts(store, Date.now());
    report.seedMs = elapsedMsSince(seedStart);

    const total = opts.rows.reduce((sum, row) => sum + row.warmup + row.requests, 0);
    const customers = Array.from({ length: total }, (_, r) => (r * STRIDE) % CUSTOMERS);
    const sessionStart = process.hrtime.bigint();
    const cookies = await sessions(store, customers, engine === 'postgres' ? 8 : 1);
    report.sessionMs = elapsedMsSince(sessionStart);
    report.sessions = total;
    await store.close();

    const firstOfRow = [];
    opts.rows.reduce((offset, row) => {
      firstOfRow.push(offset);
      return offset + row.warmup + row.requests;
    }, 0);
    report.rows = await measureRows(
      { ...target, evidenceDir },
      opts,
      text,
      (row, index) =>
        Array.from({ length: row.warmup + row.requests }, (_, i) => {
          const r = firstOfRow[index] + i;
          const c = customers[r];
          return {
            cookie: cookies[r],
            orderId: latestOrderId(c),
            paymentMethod: paymentMethodOf(c),
          };
        }),
      profileArgs(opts, `server-${engine}`),
    );
    report.check = await check(target, report.rows, text);
  } finally {
    await drop();
    rmSync(dir, { recursive: true, force: true });
  }
  return report;
}

/**
 * The evidence rows, a page at a time (the bytes are read back): how many, on how many
 * requests, and how many do not hold exactly `text` (its length and SHA-256, in `content` and
 * in the row's `sha256`).
 */
async function checkEvidence(db, text) {
  const expectedBytes = Buffer.byteLength(text);
  const expectedSha256 = createHash('sha256').update(text).digest('hex');
  const requestIds = new Set();
  let rows = 0;
  let wrong = 0;
  let after = '';
  for (;;) {
    const page = await db
      .selectFrom('evidence')
      .select(['id', 'requestId', 'sha256', 'content'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(1000)
      .execute();
    for (const row of page) {
      rows += 1;
      requestIds.add(row.requestId);
      const { content } = row;
      if (
        content === null ||
        content.length !== expectedBytes ||
        row.sha256 !== expectedSha256 ||
        createHash('sha256').update(content).digest('hex') !== expectedSha256
      )
        wrong += 1;
    }
    if (page.length < 1000) break;
    after = page[page.length - 1].id;
  }
  return { rows, requests: requestIds.size, wrong, expectedBytes };
}

/** What the run left behind: one request and its audit entries per 201, evidence rows, chain. */
async function check(target, rows, text) {
  const store = openStore(target);
  try {
    const created = rows.reduce((sum, row) => sum + row.created, 0);
    const count = async (table) =>
      Number(
        (
          await store.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const requests = await count('refundRequests');
    const auditEntries = await count('auditLog');
    const actions = async (action) =>
      Number(
        (
          await store.db
            .selectFrom('auditLog')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('action', '=', action)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const submitted = await actions('refund_request.submitted');
    const evidenceAdded = await actions('evidence.added');
    const decisions = await actions('decision.recorded');
    const audit = await verifyAudit(store.db);
    const evidence = await checkEvidence(store.db, text);
    const problems = [];
    if (requests !== created)
      problems.push(`${requests} requests stored for ${created} answers 201`);
    // One each per request: submitted, decision recorded, evidence added (the case's moves and
    // their effects may append more).
    if (submitted !== requests || decisions !== requests || evidenceAdded !== requests)
      problems.push(
        `${auditEntries} audit entries (${submitted} submitted, ${decisions} decisions, ${evidenceAdded} evidence added) for ${requests} requests`,
      );
    if (!audit.ok) problems.push(`audit chain broken at ${audit.brokenAtSeq}: ${audit.reason}`);
    if (evidence.rows !== requests || evidence.requests !== requests)
      problems.push(
        `${evidence.rows} evidence rows on ${evidence.requests} requests for ${requests} requests`,
      );
    if (evidence.wrong > 0)
      problems.push(
        `${evidence.wrong} evidence rows without the ${evidence.expectedBytes} bytes sent (length or SHA-256)`,
      );
    return { requests, auditEntries, problems };
  } finally {
    await store.close();
  }
}

const int = (n) => Math.round(n).toLocaleString('en-US');
const ms = (us) => (us / 1000).toFixed(1);

function render(table) {
  const widths = table[0].map((_, col) => Math.max(...table.map((row) => row[col].length)));
  const line = (row) =>
    `| ${row.map((cell, col) => (col < 2 ? cell.padEnd(widths[col]) : cell.padStart(widths[col]))).join(' | ')} |`;
  log(line(table[0]));
  log(
    `|${widths.map((w, col) => (col < 2 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
  );
  for (const row of table.slice(1)) log(line(row));
}

function summary(row) {
  const done = row.latenciesUs.length + row.errorCount;
  return {
    done,
    rate: (1000 * done) / row.elapsedMs,
    p99Ms: percentile(row.latenciesUs, 99) / 1000,
    serverCpuMs: row.serverCpuMs / done,
  };
}

export async function runIntakeBench(args) {
  const opts = options(args);
  const text = logText();
  const loadAtStart = loadLine();
  const baseline = await benchBaseline(opts, text);
  const reports = [];
  for (const engine of opts.engines) reports.push(await benchEngine(engine, opts, text));
  const loadAtEnd = loadLine();

  log(`machine: ${machineLine()}`);
  const oneMinute = (line) => Number(line.split(' / ')[0]);
  const busy = Math.max(oneMinute(loadAtStart), oneMinute(loadAtEnd)) > cpus().length;
  log(
    `load average (1/5/15 min): ${loadAtStart} at start, ${loadAtEnd} at end` +
      `${busy ? ': above the core count, other processes competed for the CPU (figures are pessimistic)' : ''}`,
  );
  log(
    `request: POST /v1/refund-requests, multipart/form-data (JSON part \`request\` and a ${Buffer.byteLength(text)}-byte UTF-8 log ` +
      `as file part \`evidence\`, ${int(baseline.rows[0]?.requestBytes ?? 0)} bytes in all) as a signed-in customer (session cookie), ` +
      'no Idempotency-Key, each on an order of its own; server and load generator in separate processes on 127.0.0.1, ' +
      `keep-alive, one socket per client; ${opts.processes === 1 ? 'one server process' : `${opts.processes} server processes (node:cluster, one port)`}`,
  );
  for (const r of reports) {
    log(
      `${r.engine}: seeded ${int(r.counts.orders)} orders of ${int(r.counts.customers)} customers, ` +
        `${int(r.counts.usageReadings)} usage readings, ${int(r.counts.reports)} reports, ${r.counts.incidents} incidents ` +
        `in ${(r.seedMs / 1000).toFixed(1)} s; ${int(r.sessions)} sessions in ${(r.sessionMs / 1000).toFixed(1)} s (not measured)`,
    );
  }
  log();
  const table = [
    [
      'server',
      'clients',
      'requests',
      'req/s',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'max ms',
      'errors',
      'server CPU ms/req',
      '× baseline CPU',
      'client CPU ms/req',
      'load avg (1 min) before → after',
    ],
  ];
  const name = (engine) =>
    engine === 'baseline' ? '(a) baseline: HTTP + multipart only' : `(b) intake, ${engine}`;
  for (const r of [baseline, ...reports]) {
    r.rows.forEach((row, index) => {
      const { done, rate, serverCpuMs } = summary(row);
      const floor = summary(baseline.rows[index]);
      table.push([
        name(r.engine),
        String(row.concurrency),
        `${int(done)}${done < row.requests ? ` of ${int(row.requests)} (time limit)` : ''}`,
        int(rate),
        ms(percentile(row.latenciesUs, 50)),
        ms(percentile(row.latenciesUs, 95)),
        ms(percentile(row.latenciesUs, 99)),
        ms(Math.max(...row.latenciesUs)),
        String(row.errorCount + row.warmupErrors),
        serverCpuMs.toFixed(2),
        `${(serverCpuMs / floor.serverCpuMs).toFixed(1)}×`,
        (row.clientCpuMs / done).toFixed(2),
        `${row.loadBefore.split(' / ')[0]} → ${row.loadAfter.split(' / ')[0]}`,
      ]);
    });
  }
  render(table);
  log();
  log(
    'req/s: measured requests over the measured wall time, after an untimed warm-up ' +
      `(${opts.rows.map((r) => `${int(r.warmup)} with ${r.concurrency} client${r.concurrency === 1 ? '' : 's'}`).join(', ')}); ` +
      'latencies: from sending a request to reading its whole answer, at the client; errors: answers other than 201, ' +
      'warm-up included; CPU: user + system time of the server process (all its threads) and of the load generator per ' +
      "measured request, PostgreSQL's own processes not included; × baseline CPU: server CPU per request over the " +
      "baseline's with as many clients. Compare ratios within one run: other load on the machine moves absolute figures.",
  );
  for (const r of reports) {
    const { problems } = r.check;
    log(
      `${r.engine} check: ${int(r.check.requests)} requests stored, ${int(r.check.auditEntries)} audit entries` +
        `${problems.length === 0 ? `, audit chain verified, one evidence row each with the ${int(Buffer.byteLength(text))} bytes sent` : `; PROBLEMS: ${problems.join('; ')}`}`,
    );
  }
  for (const r of [baseline, ...reports]) {
    for (const row of r.rows) {
      if (row.errors.length > 0) {
        log(`${r.engine} × ${row.concurrency} errors, first ones: ${row.errors.join(' | ')}`);
      }
      if (row.internalErrors > 0) {
        log(`${r.engine} server internal errors: ${row.internalErrors}; first: ${row.firstError}`);
      }
    }
  }
  const sqlite = reports.find((r) => r.engine === 'sqlite');
  if (sqlite !== undefined) {
    const rows = sqlite.rows.map((row) => ({ row, ...summary(row) }));
    const meeting = rows.filter((r) => r.rate >= GOAL_REQUESTS_PER_S && r.p99Ms < GOAL_P99_MS);
    const best = [...meeting, ...rows].reduce((a, b) => (b.rate > a.rate ? b : a));
    log(
      `goal on SQLite ≥ ${int(GOAL_REQUESTS_PER_S)} requests/s with p99 < ${GOAL_P99_MS} ms: ` +
        `best ${int(best.rate)}/s, p99 ${best.p99Ms.toFixed(1)} ms with ${best.row.concurrency} clients — ` +
        `${meeting.length > 0 ? 'met' : 'NOT met'}` +
        `; the baseline alone (HTTP + multipart, no desk work) reaches ${int(Math.max(...baseline.rows.map((row) => summary(row).rate)))}/s here`,
    );
  }
  const failed = [baseline, ...reports].some(
    (r) =>
      (r.check !== undefined && r.check.problems.length > 0) ||
      r.rows.some((row) => row.errorCount + row.warmupErrors > 0 || row.internalErrors > 0),
  );
  if (failed) throw new Error('intake bench: some requests failed or the store is not as expected');
}
