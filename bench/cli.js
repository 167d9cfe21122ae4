/**
 * Cold command-line timing: spawns the real bin once per sample (a new Node process each
 * time, as a shell would), and a bare `node -e ""` as the baseline for Node's own start-up.
 */
import { spawnSync } from 'node:child_process';
import { median, percentile } from './measure.js';

function wallMs(args, expected) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0 || (expected !== undefined && result.stdout !== expected)) {
    throw new Error(
      `node ${args.join(' ')} exited ${result.status}: ${result.stderr || result.stdout}`.trim(),
    );
  }
  return ms;
}

/**
 * Times each command of `commands` ({ args, expected }: `expected` is the exact stdout every
 * run must print, when given) `samples` times, interleaved (one run of each per round) so
 * that load from other processes falls on all alike. One untimed round first warms the OS file
 * cache. Returns, per command, the median and p95 wall time in ms.
 */
export function coldRuns(commands, samples) {
  for (const { args, expected } of commands) wallMs(args, expected);
  const times = commands.map(() => []);
  for (let i = 0; i < samples; i += 1) {
    commands.forEach(({ args, expected }, c) => times[c].push(wallMs(args, expected)));
  }
  return times.map((t) => ({ medianMs: median(t), p95Ms: percentile(t, 95), samples }));
}
