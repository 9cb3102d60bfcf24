import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CongoServer } from '@push.rocks/smartmongo/dist_ts/congodb/index.js';
import { EmulatorJournal, type LoadResult } from './journal.js';
import { servePointLookups } from './pointLookups.js';
import type { Handlers, Storage } from './storage.js';
import { supportTtl } from './ttl.js';
import { enforceUniqueIndexes } from './uniqueIndexes.js';

/**
 * The development emulator: CongoDB (an in-process MongoDB wire-protocol server, a
 * devDependency) with the gaps the product relies on closed — unique indexes enforced, index
 * metadata per server, TTL indexes (collMod and expiry), equality on a unique index answered by
 * a lookup as mongod does (pointLookups.ts) — and, given a folder, its data kept there across restarts. The one module that knows the emulator: the embedded-database fallback
 * (src/db/embedded.ts) and the test harness both start it through here.
 * What CongoDB does and does not support: test/README.md (Database).
 */

export interface EmulatorOptions {
  /** Keep the data in this folder (file `data.bson`); in memory only when unset. */
  dataDir?: string;
  port?: number;
  host?: string;
  /** How often expired documents of TTL indexes are deleted (mongod: 60 s); 0: never by itself. */
  ttlSweepMs?: number;
}

export interface Emulator {
  /** mongodb:// URI of the server, without a database name. */
  uri: string;
  port: number;
  /** What was read from the data folder at start, if one was given. */
  loaded?: LoadResult & { file: string };
  /** CongoDB's storage, for instruments (the bench counts the documents it reads). */
  storage: Storage;
  /** Deletes expired documents of TTL indexes now; resolves with how many. */
  sweepTtl(now?: Date): Promise<number>;
  stop(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const server = new CongoServer({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const internals = server as unknown as { commandRouter: { handlers: Handlers }; server: { address(): AddressInfo } | null };
  const storage = server.getStorage() as unknown as Storage;
  const handlers = internals.commandRouter.handlers;
  const unique = enforceUniqueIndexes(storage, handlers);
  servePointLookups(storage, handlers, unique.owners);
  const ttl = supportTtl(storage, handlers);
  let journal: EmulatorJournal | undefined;
  let loaded: Emulator['loaded'];
  if (options.dataDir) {
    journal = new EmulatorJournal(join(options.dataDir, 'data.bson'), storage);
    loaded = { ...journal.load(), file: journal.file };
    journal.attach(handlers); // last: it journals what the patches above let through
  }
  await server.start();
  // `server.port` reports the configured 0; the listening socket knows the real one.
  const port = internals.server!.address().port;
  const sweepMs = options.ttlSweepMs ?? 60_000;
  const sweeper = sweepMs > 0 ? setInterval(() => void ttl.sweep().catch(() => undefined), sweepMs).unref() : undefined;
  let stopped: Promise<void> | undefined;
  return {
    // The emulator now and then breaks the driver's streaming server monitor ("ended moreToCome
    // unexpectedly"), stalling commands ~500 ms while the pool is cleared; polling avoids it.
    uri: `mongodb://127.0.0.1:${port}/?serverMonitoringMode=poll`,
    port,
    loaded,
    storage,
    sweepTtl: async (now) => {
      const deleted = await ttl.sweep(now);
      journal?.flush();
      return deleted;
    },
    stop: () =>
      (stopped ??= (async () => {
        clearInterval(sweeper);
        await server.stop();
        journal?.close();
      })()),
  };
}
