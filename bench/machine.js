/** One line naming the machine and runtime the figures come from. */
import os from 'node:os';
import { readFileSync } from 'node:fs';

/** The CPU quota of this process's cgroup (v2), when one is set: containers often have one. */
function cgroupCpuQuota() {
  try {
    const [quota, period] = readFileSync('/sys/fs/cgroup/cpu.max', 'utf8').trim().split(/\s+/);
    if (quota === undefined || quota === 'max' || period === undefined) return undefined;
    return Number(quota) / Number(period);
  } catch {
    return undefined;
  }
}

export function machineLine() {
  const cpus = os.cpus();
  const model = (cpus[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim();
  const quota = cgroupCpuQuota();
  const gib = (os.totalmem() / 2 ** 30).toFixed(1);
  return [
    `CPU ${model}`,
    `${cpus.length} logical cores${quota === undefined ? '' : ` (cgroup quota ${quota} CPUs)`}`,
    `${gib} GiB memory`,
    `Node ${process.version} (V8 ${process.versions.v8})`,
    `${os.platform()} ${os.release()} ${os.arch()}`,
  ].join(', ');
}

/** The 1/5/15-minute load averages: other work on the machine skews every figure. */
export function loadLine() {
  return os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' / ');
}
