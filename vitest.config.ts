import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    // Builds dist/ once, so the CLI tests spawn a bin compiled from the current source.
    globalSetup: ['test/support/build-dist.ts'],
    reporters: ['default', ['json', { outputFile: 'reports/vitest.json' }]],
    testTimeout: 30_000,
    pool: 'forks',
  },
});
