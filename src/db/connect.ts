import mongoose, { type Connection } from 'mongoose';
import type { Logger } from '../logger.js';
import { startEmbeddedDatabase } from './embedded.js';

export interface Database {
  connection: Connection;
  /** What we connected to, for the start-up log and the test output. */
  kind: string;
  /** True when MongoDB answers a ping. */
  ping(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  uri: string | undefined;
  logger: Logger;
  /** How long a command waits for a server before failing (the receiver turns that into 503). */
  serverSelectionTimeoutMS?: number;
}

export async function connectDatabase({ uri, logger, serverSelectionTimeoutMS = 3000 }: ConnectOptions): Promise<Database> {
  const embedded = uri ? undefined : await startEmbeddedDatabase(logger);
  const target = uri ?? embedded!.uri;
  const connection = mongoose.createConnection(target, {
    serverSelectionTimeoutMS,
    // Unique indexes are built explicitly at start (ensureIndexes), not behind the app's back.
    autoIndex: false,
    autoCreate: true,
    // Fail fast instead of queueing forever while the database is away.
    bufferCommands: false,
  });
  await connection.asPromise();
  const kind = embedded?.kind ?? 'MongoDB (MONGODB_URI)';
  logger.info({ database: kind, host: connection.host, name: connection.name }, 'connected to MongoDB');

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
      await connection.close();
      await embedded?.stop();
    },
  };
}
