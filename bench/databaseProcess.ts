/**
 * The bench's database, in a process of its own so its CPU is never billed to the measured
 * server. Chosen as the test suite chooses (test/support/database.ts): MONGODB_URI,
 * MONGOMS_SYSTEM_BINARY, mongodb-memory-server, else the CongoDB emulator.
 * On the emulator it is src/db/emulator (unique indexes enforced by a lookup per write), in memory.
 */
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
  const { startEmulator } = await import('../src/db/emulator/index.js');
  const emulator = await startEmulator();
  countScans(emulator.storage as unknown as ScannableStorage);
  return {
    ready: {
      uri: emulator.uri,
      kind: 'CongoDB emulator (no mongod here; in-memory, as `npm start` runs it offline)',
      realMongod: false,
      note: chosen.note,
    },
    stop: emulator.stop,
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
