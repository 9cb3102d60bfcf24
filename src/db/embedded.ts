import type { Logger } from '../logger.js';

/**
 * The database used when MONGODB_URI is unset (development only):
 * 1. mongodb-memory-server (downloads mongod once; honours MONGOMS_SYSTEM_BINARY);
 * 2. offline, the in-process development emulator if it is installed (a
 *    devDependency), with a warning: it does not enforce unique indexes;
 * 3. otherwise a clear stop.
 */
export interface EmbeddedDatabase {
  uri: string;
  kind: string;
  stop(): Promise<void>;
}

// Kept in a variable so TypeScript does not resolve (or require) the devDependency.
const EMULATOR_MODULE = '@push.rocks/smartmongo/dist_ts/congodb/index.js';

export class EmbeddedDatabaseUnavailable extends Error {
  constructor(reasons: string[]) {
    super(
      'no MongoDB available: set MONGODB_URI to a MongoDB connection string, or MONGOMS_SYSTEM_BINARY ' +
        `to a local mongod binary for the embedded database (${reasons.join('; ')})`,
    );
    this.name = 'EmbeddedDatabaseUnavailable';
  }
}

export async function startEmbeddedDatabase(logger: Logger): Promise<EmbeddedDatabase> {
  const reasons: string[] = [];
  try {
    const { MongoMemoryServer } = await import('mongodb-memory-server');
    // mongodb-memory-server prints its own failure to the console; keep our logs JSON.
    const server = await withConsoleMuted(() => MongoMemoryServer.create());
    logger.info('MONGODB_URI is unset: started an embedded MongoDB (mongodb-memory-server); data is lost on exit');
    return { uri: server.getUri(), kind: 'embedded mongod (mongodb-memory-server)', stop: async () => void (await server.stop()) };
  } catch (error) {
    reasons.push(`mongodb-memory-server: ${(error as Error).message}`);
  }

  try {
    const { CongoServer } = (await import(EMULATOR_MODULE)) as {
      CongoServer: new (options: {
        port: number;
        host: string;
      }) => {
        start(): Promise<void>;
        stop(): Promise<void>;
        server?: { address(): { port: number } | string | null };
      };
    };
    const server = new CongoServer({ port: 0, host: '127.0.0.1' });
    await server.start();
    const address = server.server?.address();
    if (!address || typeof address === 'string') throw new Error('emulator did not report its port');
    logger.warn(
      { reason: reasons[0] },
      'MONGODB_URI is unset and no mongod could be started: using the in-process development emulator. ' +
        'It does not enforce unique indexes and loses data on exit; set MONGODB_URI for anything real',
    );
    // Polling monitor: the emulator now and then breaks the driver's streaming one (a spurious "connection lost").
    return {
      uri: `mongodb://127.0.0.1:${address.port}/phonekeys?serverMonitoringMode=poll`,
      kind: 'development emulator (CongoDB)',
      stop: () => server.stop(),
    };
  } catch (error) {
    reasons.push(`development emulator: ${(error as Error).message}`);
  }
  throw new EmbeddedDatabaseUnavailable(reasons);
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
