/**
 * Timing and allocation measurement for the in-process rows of the benchmark.
 *
 * Time: every round runs the whole case set once; rounds start from a collected heap (when
 * `--expose-gc` is on) so that garbage from one round is not charged to the next.
 *
 * Allocation: Node 20's v8.getHeapStatistics() has no running total of allocated bytes, so
 * it is reconstructed: bytes allocated = (heap used after - heap used before) + what every
 * GC during the pass freed, read from v8.GCProfiler (synchronous, records each GC's heap
 * figures before and after). This counts what was allocated even when scavenges ran mid-pass.
 */
import v8 from 'node:v8';

const collect = typeof globalThis.gc === 'function' ? () => globalThis.gc() : () => {};

/** Whether the process runs with --expose-gc (rounds then start from a collected heap). */
export const canCollect = typeof globalThis.gc === 'function';

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The value at the given percentile (nearest rank) of `values`. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export { median };

/**
 * Times several passes (each one pass over all `count` items, returning a checksum) in
 * interleaved rounds: every round runs each pass once, in order. Load from other processes then
 * falls on every row alike, which keeps the ratios between rows meaningful on a shared machine.
 * Each pass first runs `warmup` times untimed. Returns, per pass, the median and best time per
 * item in microseconds, and the checksum.
 */
export function timeInterleaved(passes, count, { warmup, rounds }) {
  const results = passes.map(() => ({ perItemUs: [], checksum: 0 }));
  passes.forEach((pass, i) => {
    for (let w = 0; w < warmup; w += 1) results[i].checksum += pass();
  });
  for (let r = 0; r < rounds; r += 1) {
    passes.forEach((pass, i) => {
      collect();
      const start = process.hrtime.bigint();
      results[i].checksum += pass();
      const elapsedNs = Number(process.hrtime.bigint() - start);
      results[i].perItemUs.push(elapsedNs / 1_000 / count);
    });
  }
  return results.map(({ perItemUs, checksum }) => ({
    medianUs: median(perItemUs),
    bestUs: Math.min(...perItemUs),
    checksum,
  }));
}

/** Bytes allocated on the JS heap per item by one `pass` over `count` items, and GCs seen. */
export function allocationPerItem(pass, count) {
  collect();
  const profiler = new v8.GCProfiler();
  profiler.start();
  const before = v8.getHeapStatistics().used_heap_size;
  const checksum = pass();
  const after = v8.getHeapStatistics().used_heap_size;
  const { statistics } = profiler.stop();
  let freed = 0;
  for (const gc of statistics) {
    freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
  }
  return { bytesPerItem: (after - before + freed) / count, gcs: statistics.length, checksum };
}
