/**
 * Vitest globalSetup: starts the test database once per run (see database.ts for the choice),
 * says which one on stdout, and hands its URI to test files (inject('mongoUri'), or
 * testDatabaseUri() from database.ts) and to child processes (PHONEKEYS_TEST_MONGO_URI).
 */
import type { TestProject } from 'vitest/node';
import { redactUri, startTestDatabase } from './database.js';

export default async function setup({ provide }: TestProject): Promise<() => Promise<void>> {
  const db = await startTestDatabase();
  const note = db.note ? ` (${db.note})` : '';
  console.log(`[phonekeys tests] database: ${db.kind} at ${redactUri(db.uri)}${note}`);
  provide('mongoUri', db.uri);
  provide('mongoKind', db.kind);
  process.env.PHONEKEYS_TEST_MONGO_URI = db.uri;
  return () => db.stop();
}
