/**
 * Vitest globalSetup: starts the test database once per run (see database.ts for the choice),
 * says which one on stdout, and hands its URI to test files (inject('mongoUri'), or
 * testDatabaseUri() from database.ts) and to child processes (PHONEKEYS_TEST_MONGO_URI).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { redactUri, startTestDatabase } from './database.js';
import { checkQueries } from './indexCoverage.js';
import { scanLogs } from './logScan.js';

export default async function setup({ provide }: TestProject): Promise<() => Promise<void>> {
  const db = await startTestDatabase();
  const note = db.note ? ` (${db.note})` : '';
  console.log(`[phonekeys tests] database: ${db.kind} at ${redactUri(db.uri)}${note}`);
  provide('mongoUri', db.uri);
  provide('mongoKind', db.kind);
  process.env.PHONEKEYS_TEST_MONGO_URI = db.uri;
  // Every test app appends its (unscrubbed) log lines here; scanned for secrets when the run ends.
  const logDir = mkdtempSync(join(tmpdir(), 'phonekeys-test-logs-'));
  process.env.PHONEKEYS_TEST_LOG_DIR = logDir;
  // Every query the product sends is recorded here (test/support/queryRecorder.ts); judged when the run ends.
  // Set PHONEKEYS_TEST_QUERY_DIR to keep them (e.g. to look at them after a failure).
  const keepQueries = Boolean(process.env.PHONEKEYS_TEST_QUERY_DIR);
  const queryDir = process.env.PHONEKEYS_TEST_QUERY_DIR ?? mkdtempSync(join(tmpdir(), 'phonekeys-test-queries-'));
  process.env.PHONEKEYS_TEST_QUERY_DIR = queryDir;
  return async () => {
    await db.stop();
    const coverage = checkQueries(queryDir);
    if (!keepQueries) rmSync(queryDir, { recursive: true, force: true });
    const { lines, leaks } = scanLogs(logDir);
    rmSync(logDir, { recursive: true, force: true });
    const failures: string[] = [];
    if (leaks.length > 0) {
      const shown = leaks
        .slice(0, 10)
        .map((l) => `  ${l.what} in ${l.file}: ${l.line}`)
        .join('\n');
      failures.push(`log scan: ${leaks.length} log line(s) carry a secret:\n${shown}`);
    } else console.log(`[phonekeys tests] log scan: ${lines} log lines, no key, token, secret or signature`);
    if (coverage.unserved.length > 0) failures.push(coverage.message);
    else console.log(`[phonekeys tests] index coverage: ${coverage.message}`);
    if (failures.length > 0) {
      // vitest reports an error thrown here but would still exit 0: the exit code says it too.
      process.exitCode = 1;
      throw new Error(failures.join('\n\n'));
    }
  };
}
