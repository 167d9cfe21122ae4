/**
 * Vitest global setup: compiles src/ to dist/ once before any test runs, so that the CLI tests
 * spawn the bin (`bin/refund-desk.js` imports `dist/`) built from the source under test.
 *
 * tsc exits 2 when it found type errors but still wrote every output (the build config does
 * not set noEmitOnError): dist/ is then fresh, the errors are `npm run typecheck`'s to report,
 * and the tests run with a warning. Any other failure (exit 1: nothing written) stops the run.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const OUTPUTS_WRITTEN_WITH_ERRORS = 2;

export default function buildDist(): void {
  const result = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], {
    cwd: root,
    encoding: 'utf8',
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  if (result.status === 0) return;
  if (result.status === OUTPUTS_WRITTEN_WITH_ERRORS) {
    process.stderr.write(`build-dist: dist/ written, with type errors:\n${output}\n`);
    return;
  }
  throw new Error(
    `tsc -p tsconfig.build.json failed (${result.error?.message ?? `exit ${String(result.status)}`}):\n${output}`,
  );
}
