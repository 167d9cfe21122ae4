import { defineConfig } from 'vitest/config';

/**
 * Process time zones the calendar tests run under again: business-day results must not depend
 * on the server's zone. +14:00 and −10:00/−09:00 put the process's local date a day away from
 * UTC's for most of each day. Each zone is a project of its own over the forks pool, where
 * setting `TZ` in a child process's environment changes its zone (worker threads would not).
 */
const PROCESS_TIME_ZONES = ['Pacific/Kiritimati', 'America/Adak'] as const;

export default defineConfig({
  test: {
    reporters: ['default', ['json', { outputFile: 'reports/vitest.json' }]],
    projects: [
      {
        extends: true,
        test: {
          name: 'desk',
          include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
          // Builds dist/ once, so the CLI tests spawn a bin compiled from the current source.
          globalSetup: ['test/support/build-dist.ts'],
          testTimeout: 30_000,
          pool: 'forks',
        },
      },
      ...PROCESS_TIME_ZONES.map((zone) => ({
        test: {
          name: `TZ=${zone}`,
          include: ['test/domain/calendar.test.ts'],
          testTimeout: 30_000,
          pool: 'forks' as const,
          // EXPECTED_PROCESS_TZ lets the test check that the zone really took effect.
          env: { TZ: zone, EXPECTED_PROCESS_TZ: zone },
        },
      })),
    ],
  },
});
