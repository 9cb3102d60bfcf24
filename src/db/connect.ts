import mongoose, { type Connection } from 'mongoose';
import type { Logger } from '../logger.js';
import type { DataDirRole } from './dataDir.js';
import { DEFAULT_DATABASE, startEmbeddedDatabase } from './embedded.js';

export interface Database {
  connection: Connection;
  /** What we connected to, for the start-up log and the test output. */
  kind: string;
  /** True when MongoDB answers a ping. */
  ping(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * How soon a lost server is noticed. A refused or reset connection fails at once; but with the
 * driver's defaults (a 30 s connect timeout, a heartbeat every 10 s) an operation on a connection
 * that silently stopped answering (a network partition) hangs for up to ~40 s. With these the
 * heartbeat gives up after 5 s and the driver fails the operations in flight: measured, the first
 * one fails after ~13 s (a read is retried once), later ones after the 3 s server selection
 * timeout. (Phone webhooks do not wait for that: their own deadline is 4 s.)
 * An option set in MONGODB_URI wins.
 */
const MONITORING_DEFAULTS = { connectTimeoutMS: 5_000, heartbeatFrequencyMS: 5_000 } as const;

function monitoringDefaults(uri: string): Partial<typeof MONITORING_DEFAULTS> {
  const query = uri.split('?')[1] ?? '';
  const set = new Set(query.split('&').map((pair) => pair.split('=')[0]!.toLowerCase()));
  return Object.fromEntries(Object.entries(MONITORING_DEFAULTS).filter(([name]) => !set.has(name.toLowerCase())));
}

/**
 * The driver reconnects by itself (nothing to do here but say so): a lost connection is a
 * warning, its return is info, so an outage's start and end are in the log.
 */
function logConnectionChanges(connection: Connection, logger: Logger): { closing(): void } {
  let lost = false;
  let closing = false;
  connection.on('disconnected', () => {
    if (lost || closing) return;
    lost = true;
    logger.warn('MongoDB connection lost; the driver keeps trying to reconnect (requests needing the database are answered 503 meanwhile)');
  });
  connection.on('reconnected', () => {
    if (!lost) return;
    lost = false;
    logger.info('MongoDB connection is back');
  });
  // Without a listener an 'error' event would crash the process; the driver reports failures per operation anyway.
  connection.on('error', (error: unknown) => logger.warn({ err: error }, 'MongoDB connection error'));
  return { closing: () => void (closing = true) };
}

/** The database a MongoDB URI names (its path), if any. */
export function databaseNameOf(uri: string): string | undefined {
  const path = /^mongodb(?:\+srv)?:\/\/[^/?]*\/([^?]*)/.exec(uri)?.[1];
  return path ? decodeURIComponent(path) : undefined;
}

export interface ConnectOptions {
  uri: string | undefined;
  logger: Logger;
  /** Where the embedded database keeps its data (used when `uri` is unset). */
  dataDir: string;
  /** Who connects: a second server on one DATA_DIR is refused; a job or worker uses the server's database. */
  role?: DataDirRole;
  /** How long a command waits for a server before failing (the receiver turns that into 503). */
  serverSelectionTimeoutMS?: number;
}

export async function connectDatabase({
  uri,
  logger,
  dataDir,
  role = 'server',
  serverSelectionTimeoutMS = 3000,
}: ConnectOptions): Promise<Database> {
  const embedded = uri ? undefined : await startEmbeddedDatabase({ logger, dataDir, role });
  const target = uri ?? embedded!.uri;
  const connection = mongoose.createConnection(target, {
    // A URI that names no database would otherwise write to `test`.
    ...(databaseNameOf(target) ? {} : { dbName: DEFAULT_DATABASE }),
    serverSelectionTimeoutMS,
    // Indexes (and so collections) are built explicitly at start (ensureIndexes), not behind the
    // app's back; mongoose also refuses either with a readPreference of secondary in MONGODB_URI.
    autoIndex: false,
    autoCreate: false,
    // Fail fast instead of queueing forever while the database is away.
    bufferCommands: false,
    ...monitoringDefaults(target),
  });
  try {
    await connection.asPromise();
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  const kind = embedded?.kind ?? 'MongoDB (MONGODB_URI)';
  logger.info({ database: kind, host: connection.host, name: connection.name }, 'connected to MongoDB');
  const changes = logConnectionChanges(connection, logger);

  return {
    connection,
    kind,
    async ping(timeoutMs = 1000) {
      // Not readyState: mongoose reports 0 for a while under load though the server answers.
      const db = connection.db;
      if (!db) return false;
      try {
        await Promise.race([
          db.command({ ping: 1 }),
          new Promise((_, reject) => setTimeout(() => reject(new Error('ping timed out')), timeoutMs).unref()),
        ]);
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      changes.closing();
      await connection.close();
      await embedded?.stop();
    },
  };
}
