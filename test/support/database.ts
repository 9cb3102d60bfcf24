/**
 * The test database: chosen once per test run by test/support/globalSetup.ts, in this order:
 *   1. MONGODB_URI                      — an external MongoDB you run yourself;
 *   2. MONGOMS_SYSTEM_BINARY            — mongodb-memory-server with your local mongod binary;
 *   3. mongodb-memory-server's download — the normal case on a machine with internet;
 *   4. CongoDB                          — in-process emulator, the offline fallback (src/db/emulator, as `npm start` uses it).
 * Test files call testDatabaseUri() to get a database of their own on it.
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { withTimeout } from '../../src/db/embedded.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URI of the run's test database (no database name in it). */
    mongoUri: string;
    /** Which database it is, e.g. "CongoDB emulator (offline fallback; ...)". */
    mongoKind: string;
  }
}

export interface TestDatabase {
  uri: string;
  kind: string;
  /** Why a fallback was used, if one was. */
  note?: string;
  stop(): Promise<void>;
}

/** mongodb-memory-server downloads mongod on first use; give up on that after this long. */
const DOWNLOAD_TIMEOUT_MS = 20_000;

export async function startTestDatabase(): Promise<TestDatabase> {
  const external = process.env.MONGODB_URI;
  if (external) {
    return { uri: external, kind: 'external MongoDB (MONGODB_URI)', stop: async () => {} };
  }
  if (process.env.MONGOMS_SYSTEM_BINARY) {
    return startMemoryServer('mongod via MONGOMS_SYSTEM_BINARY');
  }
  try {
    return await startMemoryServer('mongod via mongodb-memory-server');
  } catch (error) {
    const { startEmulator } = await import('../../src/db/emulator/index.js');
    const emulator = await startEmulator();
    return {
      uri: emulator.uri,
      stop: emulator.stop,
      kind: 'CongoDB emulator (offline fallback; unique indexes enforced by src/db/emulator)',
      note: `mongodb-memory-server failed: ${oneLine(error)}`,
    };
  }
}

async function startMemoryServer(kind: string): Promise<TestDatabase> {
  const { MongoBinary, MongoMemoryServer } = await import('mongodb-memory-server');
  // Resolve (download if needed) the binary first: on failure this throws quietly, whereas
  // MongoMemoryServer.create() prints a stack trace. Offline it fails with ENOTFOUND in ~7 s, all
  // of it retry back-off (MONGOMS_MAX_RETRIES=1 makes it ~30 ms); the timeout guards against
  // networks that hang instead of failing.
  await withTimeout(MongoBinary.getPath(), DOWNLOAD_TIMEOUT_MS, 'mongod download');
  const server = await MongoMemoryServer.create();
  return { uri: server.getUri(), kind, stop: async () => void (await server.stop()) };
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s+/g, ' ').slice(0, 200);
}

/** The URI with its credentials hidden, for logs. */
export function redactUri(uri: string): string {
  return uri.replace(/^(mongodb(?:\+srv)?:\/\/)[^@/]*@/, '$1***@');
}

/**
 * For test files: the run's test database URI with a database name unique to the caller, so test
 * files never see each other's data. Call it once per file (e.g. at module level or in beforeAll)
 * and drop the database in afterAll if you like.
 */
export function testDatabaseUri(name = 'test'): string {
  const base = inject('mongoUri') ?? process.env.PHONEKEYS_TEST_MONGO_URI;
  if (!base) throw new Error('no test database: run the tests through vitest (globalSetup provides it)');
  const suffix = randomBytes(4).toString('hex');
  const db = `pk_${name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40)}_${suffix}`;
  return withDatabaseName(base, db);
}

/** Replaces the database name in a MongoDB URI, keeping hosts and options. */
export function withDatabaseName(uri: string, db: string): string {
  const match = /^(mongodb(?:\+srv)?:\/\/[^/?]+)(?:\/([^?]*))?(?:\?(.*))?$/.exec(uri);
  if (!match) throw new Error(`not a MongoDB URI: ${redactUri(uri)}`);
  const [, prefix, oldDb, query] = match;
  const options = query ? [query] : [];
  // With credentials, the database in the path is also the default authSource: keep it.
  if (prefix!.includes('@') && !/(^|&)authSource=/i.test(query ?? '')) {
    options.push(`authSource=${oldDb || 'admin'}`);
  }
  return `${prefix}/${db}${options.length ? `?${options.join('&')}` : ''}`;
}
