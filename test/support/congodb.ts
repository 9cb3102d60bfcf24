/**
 * CongoDB (the in-process MongoDB wire-protocol server inside @push.rocks/smartmongo) as the
 * offline test database, with its gaps that matter to us closed:
 *
 *  a. unique indexes are enforced on every write path (insert, update/upsert, findAndModify),
 *     with mongod's E11000 errors, so the driver throws MongoServerError code 11000;
 *  b. index metadata lives in each server's own storage (CongoDB's IndexHandler caches it in a
 *     module-level map shared by all servers that survives dropDatabase), so we serve
 *     createIndexes/listIndexes/dropIndexes from the storage's own per-collection index lists,
 *     which CongoDB already drops with the collection or database;
 *  c. the uniqueness check and the write happen in one synchronous step (no await between them),
 *     so concurrent writes of one key cannot both pass the check.
 *
 * Everything is patched on the server instance; node_modules stays untouched. Only used by tests:
 * nothing in src/ may know about the emulator.
 * What CongoDB does and does not support: test/README.md (Database).
 */
import type { AddressInfo } from 'node:net';
import { CongoServer, QueryEngine } from '@push.rocks/smartmongo/dist_ts/congodb/index.js';

type Doc = Record<string, any>;

interface IndexSpec {
  name: string;
  key: Record<string, unknown>;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Doc;
  [option: string]: unknown;
}

/** The parts of CongoDB's MemoryStorageAdapter we use (private in its typings). */
interface Storage {
  databases: Map<string, Map<string, Map<string, Doc>>>; // db -> collection -> _id hex -> doc
  indexes: Map<string, Map<string, IndexSpec[]>>; // db -> collection -> index specs
  insertOne(db: string, coll: string, doc: Doc): Promise<Doc>;
  updateById(db: string, coll: string, id: { toHexString(): string }, doc: Doc): Promise<boolean>;
  createCollection(db: string, coll: string): Promise<void>;
  collectionExists(db: string, coll: string): Promise<boolean>;
  getIndexes(db: string, coll: string): Promise<IndexSpec[]>;
  dropIndex(db: string, coll: string, name: string): Promise<boolean>;
}

interface HandlerContext {
  storage: Storage;
  database: string;
  command: Doc;
}
interface Handler {
  handle(ctx: HandlerContext): Promise<Doc>;
}

export interface CongoHandle {
  uri: string;
  stop(): Promise<void>;
  server: unknown;
}

export async function startCongo(): Promise<CongoHandle> {
  const server = new CongoServer({ port: 0, host: '127.0.0.1' });
  const internals = server as unknown as {
    commandRouter: { handlers: Map<string, Handler> };
    server: { address(): AddressInfo } | null;
  };
  const storage = server.getStorage() as unknown as Storage;
  const raised = enforceUniqueIndexes(storage);
  patchHandlers(internals.commandRouter.handlers, raised);
  await server.start();
  // `server.port` reports the configured 0; the listening socket knows the real one.
  const port = internals.server!.address().port;
  // The emulator now and then breaks the driver's streaming server monitor ("ended
  // moreToCome unexpectedly"), stalling commands ~500 ms while the pool is cleared; polling avoids it.
  return { uri: `mongodb://127.0.0.1:${port}/?serverMonitoringMode=poll`, stop: () => server.stop(), server };
}

// ---------------------------------------------------------------------------------------------
// a + c: enforce unique indexes inside storage writes

class DuplicateKeyError extends Error {
  constructor(
    ns: string,
    readonly index: IndexSpec,
    readonly keyValue: Doc,
  ) {
    const shown = Object.entries(keyValue).map(([k, v]) => `${k}: ${showValue(v)}`);
    super(`E11000 duplicate key error collection: ${ns} index: ${index.name} dup key: { ${shown.join(', ')} }`);
  }
  /** The fields mongod puts on a duplicate-key command error or write error. */
  details(): Doc {
    return { code: 11000, codeName: 'DuplicateKey', errmsg: this.message, keyPattern: this.index.key, keyValue: this.keyValue };
  }
}

/**
 * Patches the storage's two write primitives that every insert/update/upsert/findAndModify path
 * goes through. Returns the duplicate-key errors thrown, by message, so the handlers can report
 * them with keyPattern/keyValue.
 */
function enforceUniqueIndexes(storage: Storage): Map<string, DuplicateKeyError> {
  const raised = new Map<string, DuplicateKeyError>();
  const fail = (error: DuplicateKeyError): never => {
    raised.set(error.message, error);
    throw error;
  };
  const insertOne = storage.insertOne.bind(storage);
  const updateById = storage.updateById.bind(storage);
  // The originals do their write synchronously (their bodies have no await), so calling them right
  // after the synchronous check makes check + write atomic with respect to every other command.
  storage.insertOne = (db, coll, doc) => {
    const id = doc._id as { toHexString?(): string } | undefined;
    if (id?.toHexString && storage.databases.get(db)?.get(coll)?.has(id.toHexString())) {
      fail(new DuplicateKeyError(`${db}.${coll}`, { name: '_id_', key: { _id: 1 } }, { _id: doc._id }));
    }
    const dup = findDuplicate(storage, db, coll, doc, undefined);
    if (dup) fail(dup);
    return insertOne(db, coll, doc);
  };
  storage.updateById = (db, coll, id, doc) => {
    const dup = findDuplicate(storage, db, coll, doc, id.toHexString());
    if (dup) fail(dup);
    return updateById(db, coll, id, doc);
  };
  return raised;
}

/** The error for `doc` sharing a unique index key with another document, if it does. */
function findDuplicate(storage: Storage, db: string, coll: string, doc: Doc, selfId: string | undefined) {
  const docs = storage.databases.get(db)?.get(coll);
  if (!docs) return undefined;
  for (const index of storage.indexes.get(db)?.get(coll) ?? []) {
    if (!index.unique || index.name === '_id_') continue; // _id is the storage's own map key
    const keys = indexKeys(doc, index);
    if (keys.size === 0) continue;
    // an update that keeps this index's keys cannot create a duplicate (and is common: skip the scan)
    const before = selfId === undefined ? undefined : docs.get(selfId);
    if (before && sameKeys(storedKeys(before, index), keys)) continue;
    for (const [id, other] of docs) {
      if (id === selfId) continue;
      for (const k of storedKeys(other, index)) {
        if (keys.has(k)) return new DuplicateKeyError(`${db}.${coll}`, index, keys.get(k)!);
      }
    }
  }
  return undefined;
}

function sameKeys(a: Set<string>, b: Map<string, Doc>): boolean {
  return a.size === b.size && [...a].every((k) => b.has(k));
}

/**
 * The keys of a stored document, computed once per document object and index (so inserting n
 * documents is not O(n²) key computations). Safe because CongoDB replaces a stored document on
 * update rather than changing it in place.
 */
const keyCache = new WeakMap<Doc, WeakMap<IndexSpec, Set<string>>>();
function storedKeys(doc: Doc, index: IndexSpec): Set<string> {
  let byIndex = keyCache.get(doc);
  if (!byIndex) keyCache.set(doc, (byIndex = new WeakMap()));
  let keys = byIndex.get(index);
  if (!keys) byIndex.set(index, (keys = new Set(indexKeys(doc, index).keys())));
  return keys;
}

const EMPTY_ARRAY = Symbol('empty array'); // mongod indexes [] as `undefined`, not as null

/**
 * The index keys of a document, as canonical string -> keyValue (mongod's `keyValue` shape).
 * Empty when the document is not in the index (sparse without the fields, or outside the
 * partialFilterExpression). Array values give one key per element (multikey).
 */
function indexKeys(doc: Doc, index: IndexSpec): Map<string, Doc> {
  const keys = new Map<string, Doc>();
  if (index.partialFilterExpression && !QueryEngine.matches(doc, index.partialFilterExpression)) return keys;
  const fields = Object.keys(index.key);
  const perField = fields.map((f) => valuesAt(doc, f.split('.')));
  if (index.sparse && perField.every((values) => values.every((v) => v === undefined))) return keys;
  // cartesian product over the fields' values (only one field can be an array in mongod)
  let combos: unknown[][] = [[]];
  for (const values of perField) combos = combos.flatMap((c) => values.map((v) => [...c, v]));
  for (const combo of combos) {
    keys.set(
      combo.map(canonical).join('\u0000'),
      Object.fromEntries(fields.map((f, i) => [f, combo[i] === EMPTY_ARRAY ? undefined : (combo[i] ?? null)])),
    );
  }
  return keys;
}

function valuesAt(value: unknown, path: string[]): unknown[] {
  if (Array.isArray(value)) {
    if (path.length === 0) return value.length ? value : [EMPTY_ARRAY];
    return value.flatMap((el) => valuesAt(el, path));
  }
  if (path.length === 0) return [value];
  if (value === null || typeof value !== 'object') return [undefined];
  return valuesAt((value as Doc)[path[0]!], path.slice(1));
}

/** A string equal for values mongod's index treats as equal (1 == 1.0, ObjectIds by hex, ...). */
function canonical(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (v === EMPTY_ARRAY) return 'undefined';
  if (typeof v === 'number' || typeof v === 'bigint') return `n:${Number(v)}`;
  if (typeof v === 'string') return `s:${v}`;
  if (typeof v === 'boolean') return `b:${v}`;
  if (v instanceof Date) return `d:${v.getTime()}`;
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const bsonType = (v as { _bsontype?: string })._bsontype;
  if (bsonType === 'ObjectId') return `o:${(v as { toHexString(): string }).toHexString()}`;
  if (bsonType === 'Long' || bsonType === 'Int32' || bsonType === 'Double' || bsonType === 'Decimal128') {
    return `n:${Number(String(v))}`;
  }
  if (bsonType) return `${bsonType}:${JSON.stringify(v)}`;
  return `{${Object.entries(v as Doc)
    .map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`)
    .join(',')}}`;
}

/** Renders a key value the way mongod's E11000 message does. */
function showValue(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (v instanceof Date) return `new Date(${v.getTime()})`;
  if ((v as { _bsontype?: string })?._bsontype === 'ObjectId') return `ObjectId('${String(v)}')`;
  if (typeof v === 'object') return JSON.stringify(v);
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

// ---------------------------------------------------------------------------------------------
// command handlers: report duplicate keys like mongod, and index commands backed by storage (b)

function patchHandlers(handlers: Map<string, Handler>, raised: Map<string, DuplicateKeyError>): void {
  for (const name of ['insert', 'update', 'findAndModify']) {
    handlers.set(name, reportDuplicateKeys(handlers.get(name)!, raised));
  }
  const indexCommands: Handler = {
    handle: (ctx) =>
      ctx.command.createIndexes !== undefined
        ? createIndexes(ctx)
        : ctx.command.listIndexes !== undefined
          ? listIndexes(ctx)
          : dropIndexes(ctx),
  };
  for (const name of ['createIndexes', 'listIndexes', 'dropIndexes']) handlers.set(name, indexCommands);
}

/**
 * CongoDB's insert/update handlers turn a thrown error into `{ index, code, errmsg }` write errors,
 * and a throwing findAndModify into `{ ok: 0 }`, both without keyPattern/keyValue; we add those,
 * and stop CongoDB's insert handler from labelling every other failure as code 11000.
 */
function reportDuplicateKeys(handler: Handler, raised: Map<string, DuplicateKeyError>): Handler {
  return {
    async handle(ctx) {
      let response: Doc;
      try {
        response = await handler.handle(ctx);
      } catch (e) {
        if (!(e instanceof DuplicateKeyError)) throw e;
        raised.delete(e.message);
        return { ok: 0, ...e.details() };
      }
      const writeErrors = (response.writeErrors ?? []) as Doc[];
      for (const writeError of writeErrors) {
        // equal messages mean equal details, so a concurrent command's entry is as good as ours
        const dup = raised.get(writeError.errmsg);
        if (dup) Object.assign(writeError, dup.details());
        else if (writeError.code === 11000) Object.assign(writeError, { code: 2, codeName: 'BadValue' });
      }
      for (const writeError of writeErrors) raised.delete(writeError.errmsg);
      return response;
    },
  };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const INDEX_OPTIONS = ['unique', 'sparse', 'partialFilterExpression', 'expireAfterSeconds', 'collation'] as const;
const optionValue = (v: unknown) => (v === false || v === undefined ? null : v); // unique: false == absent
const sameOptions = (a: Doc, b: Doc) => INDEX_OPTIONS.every((o) => sameJson(optionValue(a[o]), optionValue(b[o])));

async function createIndexes({ storage, database, command }: HandlerContext): Promise<Doc> {
  const coll = command.createIndexes as string;
  const ns = `${database}.${coll}`;
  const existedBefore = await storage.collectionExists(database, coll);
  await storage.createCollection(database, coll);
  // From here on no await: the duplicate check and adding the index are atomic w.r.t. writes.
  const existing = storage.indexes.get(database)!.get(coll)!; // created with the collection
  const numIndexesBefore = existing.length;
  for (const spec of (command.indexes ?? []) as Doc[]) {
    const { name, key, v: _v, ns: _ns, ...options } = spec;
    const sameName = existing.find((i) => i.name === name);
    if (sameName) {
      if (sameJson(sameName.key, key) && sameOptions(sameName, options)) continue;
      return {
        ok: 0,
        code: 86,
        codeName: 'IndexKeySpecsConflict',
        errmsg: `An existing index has the same name as the requested index. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(sameName)}`,
      };
    }
    const sameKey = existing.find((i) => sameJson(i.key, key) && sameOptions(i, options));
    if (sameKey) {
      return {
        ok: 0,
        code: 85,
        codeName: 'IndexOptionsConflict',
        errmsg: `Index already exists with a different name: ${sameKey.name}`,
      };
    }
    const index: IndexSpec = { name, key, ...options };
    if (index.unique) {
      // like mongod, refuse to build a unique index over existing duplicates
      const seen = new Set<string>();
      for (const doc of storage.databases.get(database)?.get(coll)?.values() ?? []) {
        for (const [k, keyValue] of indexKeys(doc, index)) {
          if (seen.has(k)) return { ok: 0, ...new DuplicateKeyError(ns, index, keyValue).details() };
          seen.add(k);
        }
      }
    }
    existing.push(index);
  }
  return { ok: 1, numIndexesBefore, numIndexesAfter: existing.length, createdCollectionAutomatically: !existedBefore };
}

async function listIndexes({ storage, database, command }: HandlerContext): Promise<Doc> {
  const coll = command.listIndexes as string;
  if (!(await storage.collectionExists(database, coll))) {
    return { ok: 0, code: 26, codeName: 'NamespaceNotFound', errmsg: `ns does not exist: ${database}.${coll}` };
  }
  const indexes = await storage.getIndexes(database, coll);
  const firstBatch = indexes.map(({ name, key, ...options }) => ({
    v: 2,
    key,
    name,
    ...Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)),
  }));
  // mongod does not list `unique` on the _id index
  if (firstBatch[0]?.name === '_id_') delete (firstBatch[0] as Doc).unique;
  return { ok: 1, cursor: { id: 0n, ns: `${database}.${coll}`, firstBatch } };
}

async function dropIndexes({ storage, database, command }: HandlerContext): Promise<Doc> {
  const coll = command.dropIndexes as string;
  if (!(await storage.collectionExists(database, coll))) {
    return { ok: 0, code: 26, codeName: 'NamespaceNotFound', errmsg: `ns not found ${database}.${coll}` };
  }
  const existing = await storage.getIndexes(database, coll);
  const target = command.index as unknown;
  const names =
    target === '*'
      ? existing.map((i) => i.name).filter((n) => n !== '_id_')
      : typeof target === 'string'
        ? [target]
        : Array.isArray(target)
          ? (target as string[])
          : existing.filter((i) => sameJson(i.key, target)).map((i) => i.name);
  if (names.length === 0 && target !== '*') {
    return { ok: 0, code: 27, codeName: 'IndexNotFound', errmsg: `can't find index with key: ${JSON.stringify(target)}` };
  }
  for (const name of names) {
    if (name === '_id_') return { ok: 0, code: 72, codeName: 'InvalidOptions', errmsg: 'cannot drop _id index' };
    if (!existing.some((i) => i.name === name)) {
      return { ok: 0, code: 27, codeName: 'IndexNotFound', errmsg: `index not found with name [${name}]` };
    }
  }
  for (const name of names) await storage.dropIndex(database, coll, name);
  return { ok: 1, nIndexesWas: existing.length };
}
