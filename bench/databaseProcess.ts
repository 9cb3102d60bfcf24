/**
 * The bench's database, in a process of its own so its CPU is never billed to the measured
 * server. Chosen as the test suite chooses (test/support/database.ts): MONGODB_URI,
 * MONGOMS_SYSTEM_BINARY, mongodb-memory-server, else the CongoDB emulator.
 *
 * On the emulator the bench runs it without the test harness's unique-index enforcement: that
 * check scans the whole collection on every insert (20,000 phones take 40 s to insert, 100,000
 * would take hours), which would make the emulator, not the product, the thing measured. The
 * bench sends no duplicates, so nothing it measures depends on the enforcement.
 */
import type { AddressInfo } from 'node:net';
import { startTestDatabase } from '../test/support/database.js';
import { failStart, serveBench } from './ipc.js';

export interface DatabaseReady {
  uri: string;
  kind: string;
  /** True for a real mongod (explain and the profiler work; the emulator has neither). */
  realMongod: boolean;
  note?: string;
  pid: number;
}

async function startDatabase(): Promise<{ ready: Omit<DatabaseReady, 'pid'>; stop(): Promise<void> }> {
  const chosen = await startTestDatabase();
  if (!chosen.kind.startsWith('CongoDB')) {
    return { ready: { uri: chosen.uri, kind: chosen.kind, realMongod: true, note: chosen.note }, stop: chosen.stop };
  }
  await chosen.stop();
  const { CongoServer } = await import('@push.rocks/smartmongo/dist_ts/congodb/index.js');
  const server = new CongoServer({ port: 0, host: '127.0.0.1' });
  countScans(server.getStorage() as unknown as ScannableStorage);
  await server.start();
  const port = (server as unknown as { server: { address(): AddressInfo } }).server.address().port;
  return {
    ready: {
      // Polling server monitoring: the emulator now and then breaks the streaming monitor (see test/support/congodb.ts).
      uri: `mongodb://127.0.0.1:${port}/?serverMonitoringMode=poll`,
      kind: "CongoDB emulator (no mongod here; in-memory, without the test harness's unique-index enforcement)",
      realMongod: false,
      note: chosen.note,
    },
    stop: () => server.stop(),
  };
}

/** Documents the emulator examined, by `database.collection`: every query reads the whole collection (it uses no index). */
const scanned: Record<string, number> = {};

interface ScannableStorage {
  findAll(db: string, collection: string): Promise<unknown[]>;
}

/** Every emulator command that reads documents (find, update, delete, findAndModify, count, aggregate) goes through findAll. */
function countScans(storage: ScannableStorage): void {
  const findAll = storage.findAll.bind(storage);
  storage.findAll = async (db, collection) => {
    const documents = await findAll(db, collection);
    scanned[`${db}.${collection}`] = (scanned[`${db}.${collection}`] ?? 0) + documents.length;
    return documents;
  };
}

try {
  const database = await startDatabase();
  process.on('SIGTERM', () => {
    database.stop().finally(() => process.exit(0));
  });
  serveBench({ ...database.ready, pid: process.pid } satisfies DatabaseReady, {
    cpu: () => process.cpuUsage(),
    /** Null on a real mongod (use explain there). */
    scanned: () => (database.ready.realMongod ? null : { ...scanned }),
  });
} catch (error) {
  failStart(error);
}
