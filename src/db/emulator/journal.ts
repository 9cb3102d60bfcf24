import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { plugins } from '@push.rocks/smartmongo/dist_ts/congodb/index.js';
import { type Doc, documentsOf, type Handlers, type IndexSpec, idHex, indexesOf, type ObjectIdLike, type Storage } from './storage.js';

/**
 * The emulator's data on disk: one file of BSON records, a snapshot of every collection followed
 * by the changes since (a journal). Every write a command makes is appended before the command is
 * answered, so a write the app saw acknowledged survives a crash of the process; the file is
 * fdatasync'ed within a second (a crash of the machine loses at most that). At start the file is
 * read back and rewritten as a fresh snapshot (write, fsync, rename: never half-written);
 * also at a clean stop, and while running once the journal outgrows the snapshot.
 *
 * CongoDB's own persistence (`persistPath`) was measured and not used: it writes JSON every
 * `persistIntervalMs` (a crash loses everything since, a minute by default), and restores dates
 * and ObjectIds other than `_id` as strings.
 */

type Op =
  | { o: 'h'; format: string; v: number }
  | { o: 'c'; d: string; c: string }
  | { o: 's'; d: string; c: string; doc: Doc }
  | { o: 'r'; d: string; c: string; id: string }
  | { o: 'x'; d: string; c: string; idx: IndexSpec[] }
  | { o: 'dc'; d: string; c: string }
  | { o: 'dd'; d: string }
  | { o: 'mv'; d: string; c: string; to: string };

const HEADER: Op = { o: 'h', format: 'phonekeys development emulator data', v: 1 };
/** Compact when the journal part is larger than this and than the snapshot. */
const COMPACT_AFTER_BYTES = 64 * 1024 * 1024;
const SYNC_EVERY_MS = 1000;
/** Commands that change a collection's index list (journaled as the whole list). */
const INDEX_COMMANDS = new Set(['createIndexes', 'dropIndexes', 'collMod']);

export class EmulatorDataError extends Error {
  override name = 'EmulatorDataError';
}

export interface LoadResult {
  collections: number;
  documents: number;
  /** Bytes of a last record cut short by a crash mid-write (never acknowledged), set aside. */
  tornTailBytes: number;
}

export class EmulatorJournal {
  private fd: number | undefined;
  private pending: Uint8Array[] = [];
  private flushScheduled = false;
  private journalBytes = 0;
  private snapshotBytes = 0;
  private dirty = false;
  private readonly syncTimer: NodeJS.Timeout;

  constructor(
    readonly file: string,
    private readonly storage: Storage,
  ) {
    this.syncTimer = setInterval(() => this.sync(), SYNC_EVERY_MS);
    this.syncTimer.unref();
  }

  /** Reads the file (if any) into the empty storage, then rewrites it as a snapshot and opens it for appending. */
  load(): LoadResult {
    mkdirSync(dirname(this.file), { recursive: true });
    const result = existsSync(this.file) ? this.replay(readFileSync(this.file)) : { collections: 0, documents: 0, tornTailBytes: 0 };
    this.compact();
    return result;
  }

  /** Journals every change the storage primitives and index commands make; flushes at the end of each command. */
  attach(handlers: Handlers): void {
    const s = this.storage;
    const { insertOne, updateById, deleteById, createCollection, dropCollection, dropDatabase, renameCollection } = {
      insertOne: s.insertOne.bind(s),
      updateById: s.updateById.bind(s),
      deleteById: s.deleteById.bind(s),
      createCollection: s.createCollection.bind(s),
      dropCollection: s.dropCollection.bind(s),
      dropDatabase: s.dropDatabase.bind(s),
      renameCollection: s.renameCollection.bind(s),
    };
    const stored = (d: string, c: string, id: string | undefined) => (id ? documentsOf(s, d, c)?.get(id) : undefined);
    // Each primitive writes synchronously; the record is taken right after, before anything else runs.
    s.insertOne = (d, c, doc) => {
      const written = insertOne(d, c, doc);
      const now = stored(d, c, idHex(doc));
      if (now) this.record({ o: 's', d, c, doc: now });
      return written;
    };
    s.updateById = (d, c, id, doc) => {
      const written = updateById(d, c, id, doc);
      const now = stored(d, c, id.toHexString());
      if (now === doc) this.record({ o: 's', d, c, doc: now });
      return written;
    };
    s.deleteById = (d, c, id: ObjectIdLike) => {
      const existed = documentsOf(s, d, c)?.has(id.toHexString());
      const deleted = deleteById(d, c, id);
      if (existed) this.record({ o: 'r', d, c, id: id.toHexString() });
      return deleted;
    };
    s.createCollection = async (d, c) => {
      const existed = documentsOf(s, d, c) !== undefined;
      await createCollection(d, c);
      if (!existed) this.record({ o: 'c', d, c });
    };
    s.dropCollection = (d, c) => {
      const dropped = dropCollection(d, c);
      this.record({ o: 'dc', d, c });
      return dropped;
    };
    s.dropDatabase = (d) => {
      const dropped = dropDatabase(d);
      this.record({ o: 'dd', d });
      return dropped;
    };
    s.renameCollection = (d, from, to) => {
      const renamed = renameCollection(d, from, to);
      this.record({ o: 'mv', d, c: from, to });
      return renamed;
    };

    for (const [name, handler] of handlers) {
      handlers.set(name, {
        handle: async (ctx) => {
          try {
            const response = await handler.handle(ctx);
            const coll = INDEX_COMMANDS.has(name) ? (ctx.command[name] as string) : undefined;
            const indexes = coll ? indexesOf(s, ctx.database, coll) : undefined;
            if (response.ok === 1 && coll && indexes) this.record({ o: 'x', d: ctx.database, c: coll, idx: indexes });
            return response;
          } finally {
            this.flush();
          }
        },
      });
    }
  }

  /** Appends what the last command changed (before its answer goes out). */
  flush(): void {
    if (this.pending.length === 0 || this.fd === undefined) return;
    const bytes = Buffer.concat(this.pending);
    this.pending = [];
    writeSync(this.fd, bytes);
    this.journalBytes += bytes.length;
    this.dirty = true;
    if (this.journalBytes > COMPACT_AFTER_BYTES && this.journalBytes > this.snapshotBytes) this.compact();
  }

  /** Writes everything, as a fresh snapshot, and closes the file. */
  close(): void {
    clearInterval(this.syncTimer);
    if (this.fd === undefined) return;
    this.flush();
    this.compact();
    closeSync(this.fd);
    this.fd = undefined;
  }

  private record(op: Op): void {
    this.pending.push(plugins.bson.serialize(op));
    // A write outside a command (none today) still reaches the disk.
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
  }

  private sync(): void {
    if (!this.dirty || this.fd === undefined) return;
    this.dirty = false;
    fdatasyncSync(this.fd);
  }

  /** Rewrites the file as a snapshot of the storage: to a temporary file, synced, then renamed over it. */
  private compact(): void {
    const tmp = `${this.file}.tmp`;
    const out = openSync(tmp, 'w');
    let chunk: Uint8Array[] = [];
    let chunkBytes = 0;
    let total = 0;
    const put = (op: Op) => {
      const bytes = plugins.bson.serialize(op);
      chunk.push(bytes);
      chunkBytes += bytes.length;
      if (chunkBytes > 1024 * 1024) drain();
    };
    const drain = () => {
      const bytes = Buffer.concat(chunk);
      writeSync(out, bytes);
      total += bytes.length;
      chunk = [];
      chunkBytes = 0;
    };
    put(HEADER);
    for (const [d, collections] of this.storage.databases) {
      for (const [c, docs] of collections) {
        put({ o: 'x', d, c, idx: indexesOf(this.storage, d, c) ?? [] });
        for (const doc of docs.values()) put({ o: 's', d, c, doc });
      }
    }
    drain();
    fsyncSync(out);
    closeSync(out);
    if (this.fd !== undefined) closeSync(this.fd);
    renameSync(tmp, this.file);
    const dir = openSync(dirname(this.file), 'r');
    fsyncSync(dir);
    closeSync(dir);
    this.fd = openSync(this.file, 'a');
    this.snapshotBytes = total;
    this.journalBytes = 0;
    this.dirty = false;
  }

  private replay(buffer: Buffer): LoadResult {
    let offset = 0;
    let first = true;
    let tornTailBytes = 0;
    while (offset < buffer.length) {
      const size = buffer.length - offset >= 4 ? buffer.readInt32LE(offset) : -1;
      let op: Op | undefined;
      if (size >= 5 && offset + size <= buffer.length) {
        try {
          op = plugins.bson.deserialize(buffer.subarray(offset, offset + size)) as Op;
        } catch {
          op = undefined;
        }
      }
      if (!op) {
        // A record cut short is the last one, written when the process died: it was never acknowledged.
        if (size < 5 || offset + size >= buffer.length) {
          tornTailBytes = buffer.length - offset;
          writeFileSync(`${this.file}.torn-${Date.now()}`, buffer.subarray(offset));
          break;
        }
        throw new EmulatorDataError(
          `${this.file} is damaged at byte ${offset} of ${buffer.length}; move it aside to start empty, or put back a backup`,
        );
      }
      if (first && op.o !== 'h') throw new EmulatorDataError(`${this.file} is not a phonekeys emulator data file`);
      first = false;
      this.apply(op);
      offset += size;
    }
    let collections = 0;
    let documents = 0;
    for (const db of this.storage.databases.values()) {
      for (const docs of db.values()) {
        collections++;
        documents += docs.size;
      }
    }
    return { collections, documents, tornTailBytes };
  }

  private apply(op: Op): void {
    const { databases, indexes } = this.storage;
    const collection = (d: string, c: string) => {
      if (!databases.has(d)) databases.set(d, new Map());
      if (!indexes.has(d)) indexes.set(d, new Map());
      if (!databases.get(d)!.has(c)) {
        databases.get(d)!.set(c, new Map());
        indexes.get(d)!.set(c, [{ name: '_id_', key: { _id: 1 }, unique: true }]);
      }
      return databases.get(d)!.get(c)!;
    };
    switch (op.o) {
      case 'h':
        return;
      case 'c':
        collection(op.d, op.c);
        return;
      case 's':
        collection(op.d, op.c).set(idHex(op.doc)!, op.doc);
        return;
      case 'r':
        collection(op.d, op.c).delete(op.id);
        return;
      case 'x':
        collection(op.d, op.c);
        indexes.get(op.d)!.set(op.c, op.idx);
        return;
      case 'dc':
        databases.get(op.d)?.delete(op.c);
        indexes.get(op.d)?.delete(op.c);
        return;
      case 'dd':
        databases.delete(op.d);
        indexes.delete(op.d);
        return;
      case 'mv': {
        const docs = databases.get(op.d)?.get(op.c);
        const idx = indexes.get(op.d)?.get(op.c);
        if (!docs) return;
        databases.get(op.d)!.set(op.to, docs).delete(op.c);
        if (idx) indexes.get(op.d)!.set(op.to, idx).delete(op.c);
      }
    }
  }
}
