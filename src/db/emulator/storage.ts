/**
 * The parts of CongoDB's in-memory storage (MemoryStorageAdapter) and command router the emulator
 * patches. They are private in CongoDB's typings; this is what @push.rocks/smartmongo 2.2.0 has.
 */

export type Doc = Record<string, unknown>;

export interface ObjectIdLike {
  toHexString(): string;
}

export interface IndexSpec {
  name: string;
  key: Record<string, unknown>;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Doc;
  expireAfterSeconds?: number;
  [option: string]: unknown;
}

/** db -> collection -> _id hex -> document. */
export type Databases = Map<string, Map<string, Map<string, Doc>>>;

export interface Storage {
  databases: Databases;
  /** db -> collection -> index specs (the `_id_` index first). */
  indexes: Map<string, Map<string, IndexSpec[]>>;
  findAll(db: string, coll: string): Promise<Doc[]>;
  insertOne(db: string, coll: string, doc: Doc): Promise<Doc>;
  updateById(db: string, coll: string, id: ObjectIdLike, doc: Doc): Promise<boolean>;
  deleteById(db: string, coll: string, id: ObjectIdLike): Promise<boolean>;
  createCollection(db: string, coll: string): Promise<void>;
  dropCollection(db: string, coll: string): Promise<boolean>;
  dropDatabase(db: string): Promise<boolean>;
  renameCollection(db: string, from: string, to: string): Promise<void>;
  collectionExists(db: string, coll: string): Promise<boolean>;
  getIndexes(db: string, coll: string): Promise<IndexSpec[]>;
  dropIndex(db: string, coll: string, name: string): Promise<boolean>;
}

export interface HandlerContext {
  storage: Storage;
  database: string;
  command: Doc;
  /** OP_MSG document sequences (e.g. a bulk write's `updates`), by name. */
  documentSequences?: Map<string, Doc[]>;
}

export interface Handler {
  handle(ctx: HandlerContext): Promise<Doc>;
}

/** Command name -> handler (several names share one handler object). */
export type Handlers = Map<string, Handler>;

export const idHex = (doc: Doc): string | undefined => (doc._id as Partial<ObjectIdLike> | undefined)?.toHexString?.();

/** A collection's documents, if it exists. */
export const documentsOf = (storage: Storage, db: string, coll: string) => storage.databases.get(db)?.get(coll);

/** A collection's index specs, if it exists. */
export const indexesOf = (storage: Storage, db: string, coll: string) => storage.indexes.get(db)?.get(coll);
