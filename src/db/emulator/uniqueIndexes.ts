import { plugins } from '@push.rocks/smartmongo/dist_ts/congodb/index.js';
import { indexKeys, showValue } from './indexKeys.js';
import {
  type Doc,
  documentsOf,
  type Handler,
  type HandlerContext,
  type Handlers,
  type IndexSpec,
  idHex,
  indexesOf,
  type Storage,
} from './storage.js';

/**
 * CongoDB stores and lists unique indexes but never enforces them. This closes that gap:
 *
 *  a. every unique index is enforced on every write path (insert, update/upsert, findAndModify),
 *     with mongod's E11000 errors, so the driver throws MongoServerError code 11000;
 *  b. index metadata lives in each server's own storage (CongoDB's IndexHandler caches it in a
 *     module-level map shared by all servers that survives dropDatabase): createIndexes,
 *     listIndexes and dropIndexes are served from the storage's per-collection index lists,
 *     which CongoDB drops with the collection or database;
 *  c. the check and the write are one synchronous step (no await between them), so concurrent
 *     writes of one key cannot both pass the check.
 *
 * Each unique index keeps a map key -> _id (built from the collection on first use, then kept
 * up to date by the three write primitives), so a check costs a lookup, not a collection scan.
 */

/** The keys of one unique index: key -> owner _id, and _id -> its keys (to remove them on change). */
interface UniqueState {
  owners: Map<string, string>;
  keysOf: Map<string, string[]>;
}

export class DuplicateKeyError extends Error {
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

export interface UniqueIndexes {
  /** Duplicate-key errors thrown by storage writes, by message, for the handlers to report with details. */
  raised: Map<string, DuplicateKeyError>;
  /** A unique index's key -> owner `_id` map, kept current by every write (pointLookups.ts reads it). */
  owners(db: string, coll: string, index: IndexSpec): Map<string, string>;
}

/** Patches the storage's write primitives and the command handlers of one server. */
export function enforceUniqueIndexes(storage: Storage, handlers: Handlers): UniqueIndexes {
  const states = new WeakMap<IndexSpec, UniqueState>();
  const raised = new Map<string, DuplicateKeyError>();
  const fail = (error: DuplicateKeyError): never => {
    raised.set(error.message, error);
    throw error;
  };

  /** The unique indexes of a collection (not _id: that is the storage's own map key), with their key maps. */
  const uniqueOf = (db: string, coll: string): [IndexSpec, UniqueState][] =>
    (indexesOf(storage, db, coll) ?? [])
      .filter((index) => index.unique && index.name !== '_id_')
      .map((index) => [index, stateOf(db, coll, index)]);

  const stateOf = (db: string, coll: string, index: IndexSpec): UniqueState => {
    let state = states.get(index);
    if (!state) {
      state = { owners: new Map(), keysOf: new Map() };
      for (const [id, doc] of documentsOf(storage, db, coll) ?? []) add(state, id, [...indexKeys(doc, index).keys()]);
      states.set(index, state);
    }
    return state;
  };

  /** Fails if `doc` would share a key of a unique index with a document other than `selfId`; returns its keys per index. */
  const check = (db: string, coll: string, doc: Doc, selfId: string) =>
    uniqueOf(db, coll).map(([index, state]) => {
      const keys = indexKeys(doc, index);
      for (const [key, keyValue] of keys) {
        const owner = state.owners.get(key);
        if (owner !== undefined && owner !== selfId) fail(new DuplicateKeyError(`${db}.${coll}`, index, keyValue));
      }
      return { state, keys: [...keys.keys()] };
    });

  const { insertOne, updateById, deleteById } = {
    insertOne: storage.insertOne.bind(storage),
    updateById: storage.updateById.bind(storage),
    deleteById: storage.deleteById.bind(storage),
  };
  // The originals write synchronously (their bodies have no await), so calling them right after
  // the synchronous check makes check + write atomic with respect to every other command.
  storage.insertOne = (db, coll, doc) => {
    doc._id ??= new plugins.bson.ObjectId();
    const id = idHex(doc);
    if (id && documentsOf(storage, db, coll)?.has(id)) {
      fail(new DuplicateKeyError(`${db}.${coll}`, { name: '_id_', key: { _id: 1 } }, { _id: doc._id }));
    }
    const planned = check(db, coll, doc, id ?? '');
    const written = insertOne(db, coll, doc);
    const stored = id ?? [...(documentsOf(storage, db, coll)?.keys() ?? [])].pop()!;
    for (const { state, keys } of planned) add(state, stored, keys);
    return written;
  };
  storage.updateById = (db, coll, objectId, doc) => {
    const id = objectId.toHexString();
    if (!documentsOf(storage, db, coll)?.has(id)) return updateById(db, coll, objectId, doc);
    const planned = check(db, coll, doc, id);
    const written = updateById(db, coll, objectId, doc);
    for (const { state, keys } of planned) {
      remove(state, id);
      add(state, id, keys);
    }
    return written;
  };
  storage.deleteById = (db, coll, objectId) => {
    const id = objectId.toHexString();
    const existed = documentsOf(storage, db, coll)?.has(id);
    const deleted = deleteById(db, coll, objectId);
    if (existed) for (const index of indexesOf(storage, db, coll) ?? []) states.get(index) && remove(states.get(index)!, id);
    return deleted;
  };

  for (const name of ['insert', 'update', 'findAndModify']) handlers.set(name, reportDuplicateKeys(handlers.get(name)!, raised));
  const indexCommands: Handler = {
    handle: (ctx) =>
      ctx.command.createIndexes !== undefined
        ? createIndexes(ctx, (db, coll, index) => stateOf(db, coll, index))
        : ctx.command.listIndexes !== undefined
          ? listIndexes(ctx)
          : dropIndexes(ctx),
  };
  for (const name of ['createIndexes', 'listIndexes', 'dropIndexes']) handlers.set(name, indexCommands);
  return { raised, owners: (db, coll, index) => stateOf(db, coll, index).owners };
}

function add(state: UniqueState, id: string, keys: string[]): void {
  state.keysOf.set(id, keys);
  for (const key of keys) if (!state.owners.has(key)) state.owners.set(key, id);
}

function remove(state: UniqueState, id: string): void {
  for (const key of state.keysOf.get(id) ?? []) if (state.owners.get(key) === id) state.owners.delete(key);
  state.keysOf.delete(id);
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
        const dup = raised.get(writeError.errmsg as string);
        if (dup) Object.assign(writeError, dup.details());
        else if (writeError.code === 11000) Object.assign(writeError, { code: 2, codeName: 'BadValue' });
      }
      for (const writeError of writeErrors) raised.delete(writeError.errmsg as string);
      return response;
    },
  };
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const INDEX_OPTIONS = ['unique', 'sparse', 'partialFilterExpression', 'expireAfterSeconds', 'collation'] as const;
const optionValue = (v: unknown) => (v === false || v === undefined ? null : v); // unique: false == absent
const sameOptions = (a: Doc, b: Doc) => INDEX_OPTIONS.every((o) => sameJson(optionValue(a[o]), optionValue(b[o])));

async function createIndexes(
  { storage, database, command }: HandlerContext,
  uniqueState: (db: string, coll: string, index: IndexSpec) => UniqueState,
): Promise<Doc> {
  const coll = command.createIndexes as string;
  const ns = `${database}.${coll}`;
  const existedBefore = await storage.collectionExists(database, coll);
  await storage.createCollection(database, coll);
  // From here on no await: the duplicate check and adding the index are atomic w.r.t. writes.
  const existing = indexesOf(storage, database, coll)!; // created with the collection
  const numIndexesBefore = existing.length;
  for (const spec of (command.indexes ?? []) as Doc[]) {
    const { name, key, v: _v, ns: _ns, ...options } = spec as IndexSpec;
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
    // mongod allows one key pattern twice only with different partial filters (or collations)
    const sameKey = existing.find(
      (i) =>
        sameJson(i.key, key) &&
        sameJson(i.partialFilterExpression, options.partialFilterExpression) &&
        sameJson(i.collation, options.collation),
    );
    if (sameKey) {
      const what = sameOptions(sameKey, options)
        ? 'Index already exists with a different name'
        : 'An equivalent index already exists with a different name and options';
      return { ok: 0, code: 85, codeName: 'IndexOptionsConflict', errmsg: `${what}: ${sameKey.name}` };
    }
    const index: IndexSpec = { name, key, ...options };
    if (index.unique) {
      // like mongod, refuse to build a unique index over existing duplicates
      const seen = new Set<string>();
      for (const doc of documentsOf(storage, database, coll)?.values() ?? []) {
        for (const [k, keyValue] of indexKeys(doc, index)) {
          if (seen.has(k)) return { ok: 0, ...new DuplicateKeyError(ns, index, keyValue).details() };
          seen.add(k);
        }
      }
    }
    existing.push(index);
    if (index.unique) uniqueState(database, coll, index);
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
