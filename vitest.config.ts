import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    pool: 'forks',
    reporters: ['default', './test/support/summaryReporter.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    projects: [
      // The pure parts: no server, no database, so no database is started for them alone.
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/**/*.test.ts'],
          exclude: ['test/unit/**'],
          // starts the test database once per run: MongoDB if available, else the CongoDB emulator
          globalSetup: ['test/support/globalSetup.ts'],
          // records the product's queries for the end-of-run index check (globalSetup)
          setupFiles: ['test/support/queryRecorder.ts'],
        },
      },
    ],
  },
});
