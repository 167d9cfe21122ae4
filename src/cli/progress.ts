/**
 * A progress bar for long CLI jobs (`refund-desk import`), on stderr. On a terminal it redraws
 * one line in place (`\r`), at most every `minIntervalMs`; elsewhere (a pipe, a log file, CI)
 * it stays silent until the final summary line, so logs are not flooded.
 */

export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface Progress {
  /** Records how far the job is; redraws the bar when on a terminal. */
  update(linesDone: number, bytesDone: number, totalBytes: number): void;
  /** Prints a line (a rejected record, a warning) without garbling the bar. */
  log(text: string): void;
  /** Clears the bar and prints the summary line. */
  finish(summary: string): void;
}

export interface ProgressOptions {
  readonly label?: string;
  readonly minIntervalMs?: number;
  /** The clock; injected by tests. */
  readonly nowMs?: () => number;
}

const BAR_CELLS = 24;
const CLEAR_TO_END = '\u001b[K';

export function formatBytes(bytes: number): string {
  if (bytes < 1_000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1_000;
  let unit = 0;
  while (value >= 1_000 && unit < units.length - 1) {
    value /= 1_000;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** One frame of the bar: `import  42% [##########--------------] 8,400 lines 1.2 MB / 2.9 MB`. */
export function renderBar(
  label: string,
  linesDone: number,
  bytesDone: number,
  totalBytes: number,
): string {
  const fraction = totalBytes <= 0 ? 1 : Math.min(1, bytesDone / totalBytes);
  const filled = Math.round(fraction * BAR_CELLS);
  const percent = String(Math.floor(fraction * 100)).padStart(3);
  return (
    `${label} ${percent}% [${'#'.repeat(filled)}${'-'.repeat(BAR_CELLS - filled)}] ` +
    `${linesDone.toLocaleString('en-US')} lines ${formatBytes(bytesDone)} / ${formatBytes(totalBytes)}`
  );
}

export function createProgress(
  stream: ProgressStream = process.stderr,
  options: ProgressOptions = {},
): Progress {
  const label = options.label ?? 'import';
  const minIntervalMs = options.minIntervalMs ?? 100;
  const nowMs = options.nowMs ?? (() => Date.now());
  const tty = stream.isTTY === true;
  let lastDrawMs = Number.NEGATIVE_INFINITY;
  let frame = '';

  const draw = () => {
    const width = stream.columns ?? 0;
    const text = width > 1 && frame.length >= width ? frame.slice(0, width - 1) : frame;
    stream.write(`\r${text}${CLEAR_TO_END}`);
  };

  return {
    update(linesDone, bytesDone, totalBytes) {
      frame = renderBar(label, linesDone, bytesDone, totalBytes);
      if (!tty) return;
      const now = nowMs();
      if (now - lastDrawMs < minIntervalMs && bytesDone < totalBytes) return;
      lastDrawMs = now;
      draw();
    },
    log(text) {
      if (tty && frame !== '') stream.write(`\r${CLEAR_TO_END}`);
      stream.write(`${text}\n`);
      if (tty && frame !== '') draw();
    },
    finish(summary) {
      if (tty && frame !== '') stream.write(`\r${CLEAR_TO_END}`);
      stream.write(`${summary}\n`);
    },
  };
}
