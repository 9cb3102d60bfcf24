import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // starts the test database once per run: MongoDB if available, else the CongoDB emulator
    globalSetup: ['test/support/globalSetup.ts'],
    pool: 'forks',
    reporters: ['default', './test/support/summaryReporter.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
