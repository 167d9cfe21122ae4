/**
 * A worker process for the multi-process test (two-workers.test.ts): opens the store given by
 * DATABASE_URL and SCHEMA, runs the timers queue until idle with the clock at NOW_MS, and prints
 * `{"workerId", "claimed"}`. Run with tsx.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, type DeskDeps } from '../../src/app/context.js';
import { OutboxMailer } from '../../src/app/mail.js';
import { runUntilIdle } from '../../src/jobs/worker.js';
import { openStore } from '../../src/store/connect.js';

const url = process.env['DATABASE_URL'] ?? '';
const schema = process.env['SCHEMA'] ?? '';
const workerId = process.env['WORKER_ID'] ?? `worker-${process.pid}`;
const clock = new ManualClock(Number(process.env['NOW_MS']));
const store = openStore({ url, schema, poolSize: 4 });
const dir = mkdtempSync(join(tmpdir(), 'refund-desk-worker-'));
const deps: DeskDeps = {
  store,
  clock,
  mailer: new OutboxMailer(join(dir, 'outbox'), { clock }),
  evidenceDir: join(dir, 'evidence'),
  publicUrl: 'http://127.0.0.1:3000',
};
try {
  const claimed = await runUntilIdle(deps, {
    workerId,
    batchSize: 20,
    queues: { timers: true, notifications: false, webhooks: false },
  });
  process.stdout.write(`${JSON.stringify({ workerId, claimed })}\n`);
} finally {
  await store.close();
}
