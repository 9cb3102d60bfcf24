import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../logger.js';
import {
  type DataDirLock,
  type DataDirRole,
  forgetDownloadFailure,
  liveOwner,
  lockDataDir,
  recentDownloadFailure,
  rememberDownloadFailure,
} from './dataDir.js';

/**
 * The database used when MONGODB_URI is unset (development), kept in DATA_DIR across restarts:
 * 1. a mongod from mongodb-memory-server (downloaded once; MONGOMS_SYSTEM_BINARY to use your own)
 *    on DATA_DIR/mongod (wiredTiger);
 * 2. offline, the development emulator (a devDependency, src/db/emulator) on DATA_DIR/emulator,
 *    with a warning;
 * 3. otherwise a clear stop.
 * Whichever engine already holds data in DATA_DIR is the one used, so data never seems to vanish.
 * `npm run job` (and a worker) use the database of a server already running on DATA_DIR.
 */
export interface EmbeddedDatabase {
  uri: string;
  kind: string;
  stop(): Promise<void>;
}

/** The database name of the embedded default (and of any MONGODB_URI that names none). */
export const DEFAULT_DATABASE = 'phonekeys';
/** mongodb-memory-server downloads mongod on first use; give up on that after this long. */
const DOWNLOAD_TIMEOUT_MS = 20_000;
/** Where the emulator's data lives; imported lazily, as the emulator is a devDependency. */
const EMULATOR_MODULE = './emulator/index.js';

export class EmbeddedDatabaseUnavailable extends Error {
  constructor(reasons: string[]) {
    super(
      'no MongoDB available: set MONGODB_URI to a MongoDB connection string, or MONGOMS_SYSTEM_BINARY ' +
        `to a local mongod binary for the embedded database (${reasons.join('; ')})`,
    );
    this.name = 'EmbeddedDatabaseUnavailable';
  }
}

export interface EmbeddedOptions {
  logger: Logger;
  dataDir: string;
  role: DataDirRole;
}

export async function startEmbeddedDatabase({ logger, dataDir, role }: EmbeddedOptions): Promise<EmbeddedDatabase> {
  if (role !== 'server') {
    const owner = liveOwner(dataDir);
    if (owner?.uri) {
      logger.info(
        { dataDir, pid: owner.pid, database: owner.kind },
        `MONGODB_URI is unset: using the embedded database of the running phonekeys ${owner.role} (pid ${owner.pid}) in ${dataDir}`,
      );
      return { uri: owner.uri, kind: `${owner.kind} of the running ${owner.role} (pid ${owner.pid})`, stop: async () => {} };
    }
  }
  const lock = lockDataDir(dataDir, role);
  try {
    const database = await startEngine(logger, dataDir);
    lock.publish(database);
    return { ...database, stop: () => stopAndRelease(database, lock) };
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function stopAndRelease(database: EmbeddedDatabase, lock: DataDirLock): Promise<void> {
  try {
    await database.stop();
  } finally {
    lock.release();
  }
}

async function startEngine(logger: Logger, dataDir: string): Promise<EmbeddedDatabase> {
  const mongodPath = join(dataDir, 'mongod');
  const emulatorPath = join(dataDir, 'emulator');
  const holds = (path: string) => existsSync(path) && readdirSync(path).length > 0;
  const reasons: string[] = [];

  if (!holds(emulatorPath)) {
    try {
      const server = await startMongod(dataDir, mongodPath);
      logger.info(
        { dataDir: mongodPath },
        `MONGODB_URI is unset: started an embedded MongoDB (mongodb-memory-server); its data is kept in ${mongodPath}`,
      );
      return server;
    } catch (error) {
      reasons.push(`mongodb-memory-server: ${oneLine(error)}`);
    }
    if (holds(mongodPath)) {
      throw new EmbeddedDatabaseUnavailable([`${mongodPath} holds MongoDB data but no mongod could be started`, ...reasons]);
    }
  }

  try {
    const { startEmulator } = (await import(EMULATOR_MODULE)) as typeof import('./emulator/index.js');
    const emulator = await startEmulator({ dataDir: emulatorPath });
    const loaded = emulator.loaded!;
    if (loaded.tornTailBytes > 0) {
      logger.warn(
        { file: loaded.file, bytes: loaded.tornTailBytes },
        'the development emulator found its last write cut short (the process died while writing it; it was never acknowledged); set aside',
      );
    }
    const why = reasons.length > 0 ? 'no mongod could be started' : `${emulatorPath} holds its data`;
    logger.warn(
      { reason: reasons[0], dataDir: emulatorPath, collections: loaded.collections, documents: loaded.documents },
      `MONGODB_URI is unset and ${why}: using the in-process development emulator; its data is kept in ${emulatorPath}. ` +
        'Set MONGODB_URI for anything real',
    );
    return {
      uri: `${emulator.uri.replace('/?', `/${DEFAULT_DATABASE}?`)}`,
      kind: 'development emulator (CongoDB)',
      stop: () => emulator.stop(),
    };
  } catch (error) {
    if ((error as Error).name === 'EmulatorDataError') throw error;
    reasons.push(`development emulator: ${oneLine(error)}`);
  }
  throw new EmbeddedDatabaseUnavailable(reasons);
}

/**
 * mongod on DATA_DIR/mongod. A download that failed (offline) is remembered in DATA_DIR and not
 * tried again for a day, so starts and jobs do not wait for it each time; a mongod already on
 * this machine (downloaded before, or MONGOMS_SYSTEM_BINARY) is used either way.
 */
async function startMongod(dataDir: string, dbPath: string): Promise<EmbeddedDatabase> {
  const { DryMongoBinary, MongoBinary, MongoMemoryServer } = await import('mongodb-memory-server');
  const local = await DryMongoBinary.locateBinary(await DryMongoBinary.generateOptions());
  if (!local) {
    const failed = recentDownloadFailure(dataDir);
    if (failed) {
      throw new Error(
        `the mongod download failed at ${failed.at} (${failed.reason}); not retried until a day later, or once ${failed.file} is deleted`,
      );
    }
    try {
      await withTimeout(MongoBinary.getPath(), DOWNLOAD_TIMEOUT_MS, 'mongod download');
    } catch (error) {
      rememberDownloadFailure(dataDir, oneLine(error));
      throw error;
    }
    forgetDownloadFailure(dataDir);
  }
  mkdirSync(dbPath, { recursive: true });
  // mongodb-memory-server prints its own failures to the console; keep our logs JSON.
  const server = await withConsoleMuted(() => MongoMemoryServer.create({ instance: { dbPath, storageEngine: 'wiredTiger' } }));
  return {
    uri: server.getUri(DEFAULT_DATABASE),
    kind: 'embedded mongod (mongodb-memory-server)',
    stop: async () => void (await server.stop({ doCleanup: false })),
  };
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').slice(0, 300);
}

async function withConsoleMuted<T>(fn: () => Promise<T>): Promise<T> {
  const { warn, error } = console;
  console.warn = () => {};
  console.error = () => {};
  try {
    return await fn();
  } finally {
    console.warn = warn;
    console.error = error;
  }
}
