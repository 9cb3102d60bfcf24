import { AsyncLocalStorage } from 'node:async_hooks';
import { canonical } from './indexKeys.js';
import { type Doc, documentsOf, type Handler, type Handlers, type IndexSpec, indexesOf, type Storage } from './storage.js';

/**
 * CongoDB answers every query by reading the whole collection (`storage.findAll`, then a filter).
 * mongod answers a query on a unique index's fields with one index lookup. This gives the emulator
 * the same for the simple, common shape — equality (or `$in`) on every field of a unique index,
 * or on `_id` — using the key maps `uniqueIndexes.ts` keeps up to date on every write: the
 * candidates are the one document owning each key, and CongoDB's own filter still decides.
 *
 * The handlers call `findAll` once per filter, in order: once for find/count/distinct/
 * findAndModify/aggregate (its leading `$match`), once per statement for update and delete. Each command runs with its filters
 * queued in an AsyncLocalStorage, so concurrent commands cannot take each other's; `findAll`
 * takes the next one when it is called and looks the candidates up then, so a statement sees
 * what the statements before it wrote. Anything else reads the collection as before.
 */

/** The key -> owner `_id` map of a unique index (see uniqueIndexes.ts). */
export type UniqueOwners = (db: string, coll: string, index: IndexSpec) => Map<string, string>;

interface Plan {
  db: string;
  coll: string;
  filters: unknown[];
  next: number;
}

/** A command's filters, in the order its handler reads the collection for them. */
const FILTERS_OF: Record<string, (command: Doc, sequence: (name: string) => Doc[] | undefined) => unknown[]> = {
  find: (command) => [command.filter ?? {}],
  count: (command) => [command.query ?? {}],
  distinct: (command) => [command.query ?? {}],
  findAndModify: (command) => [command.query ?? {}],
  // The collection is read once, before any stage; only a leading $match can narrow it.
  aggregate: (command) => [((command.pipeline as Doc[] | undefined)?.[0]?.$match as unknown) ?? {}],
  // The driver may send the statements as an OP_MSG document sequence instead (bulk writes do).
  update: (command, sequence) => (sequence('updates') ?? ((command.updates ?? []) as Doc[])).map((s) => s.q ?? s.filter ?? {}),
  delete: (command, sequence) => (sequence('deletes') ?? ((command.deletes ?? []) as Doc[])).map((s) => s.q ?? s.filter ?? {}),
};

export function servePointLookups(storage: Storage, handlers: Handlers, owners: UniqueOwners): void {
  const plans = new AsyncLocalStorage<Plan>();
  const findAll = storage.findAll.bind(storage);
  storage.findAll = async (db, coll) => {
    const plan = plans.getStore();
    if (plan && plan.db === db && plan.coll === coll && plan.next < plan.filters.length) {
      const found = candidates(storage, owners, db, coll, plan.filters[plan.next++]);
      if (found) return found;
    }
    return findAll(db, coll);
  };

  // One wrapper per handler object (several command names share one), keyed by command name.
  for (const [name, filtersOf] of Object.entries(FILTERS_OF)) {
    const handler = handlers.get(name);
    if (!handler) continue;
    const planned: Handler = {
      handle(ctx) {
        const coll = ctx.command[name];
        if (typeof coll !== 'string') return handler.handle(ctx);
        const filters = filtersOf(ctx.command, (name) => ctx.documentSequences?.get(name));
        return plans.run({ db: ctx.database, coll, filters, next: 0 }, () => handler.handle(ctx));
      },
    };
    handlers.set(name, planned);
  }
}

/** The documents a filter can match, when it pins a unique index's every field; undefined: read them all. */
function candidates(storage: Storage, owners: UniqueOwners, db: string, coll: string, filter: unknown): Doc[] | undefined {
  if (!isPlainObject(filter)) return undefined;
  const documents = documentsOf(storage, db, coll);
  if (!documents) return undefined;
  const byId = pointValues(filter._id);
  if (byId?.every(isObjectId)) {
    return present(byId.map((id) => documents.get((id as { toHexString(): string }).toHexString())));
  }
  for (const index of indexesOf(storage, db, coll) ?? []) {
    // A partial index leaves matching documents out of its map; a collation changes equality.
    if (!index.unique || index.name === '_id_' || index.partialFilterExpression || index.collation) continue;
    const fields = Object.keys(index.key);
    const values = fields.map((field) => pointValues(filter[field]));
    if (values.some((v) => v === undefined)) continue;
    const pinned = values as unknown[][];
    // `$in` on a compound index would need every combination: not worth it here.
    if (fields.length > 1 && pinned.some((v) => v.length !== 1)) continue;
    const keys = fields.length === 1 ? pinned[0]!.map(canonical) : [pinned.map((v) => canonical(v[0])).join('\u0000')];
    const map = owners(db, coll, index);
    return present(keys.map((key) => map.get(key)).map((id) => (id === undefined ? undefined : documents.get(id))));
  }
  return undefined;
}

/** The values an equality (`v`, `{$eq: v}`, `{$in: [...]}`) pins a field to, when each is a plain scalar. */
function pointValues(condition: unknown): unknown[] | undefined {
  if (isScalar(condition)) return [condition];
  if (!isPlainObject(condition)) return undefined;
  const operators = Object.keys(condition);
  if (operators.length !== 1) return undefined;
  if (operators[0] === '$eq' && isScalar(condition.$eq)) return [condition.$eq];
  if (operators[0] === '$in' && Array.isArray(condition.$in) && condition.$in.every(isScalar)) return condition.$in;
  return undefined;
}

/** Values whose equality mongod and the index maps agree on; null, arrays and documents match in other ways. */
function isScalar(v: unknown): boolean {
  if (typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  return v instanceof Date || isObjectId(v);
}

const isObjectId = (v: unknown): boolean => (v as { _bsontype?: string } | null)?._bsontype === 'ObjectId';

function isPlainObject(v: unknown): v is Doc {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !('_bsontype' in v);
}

const present = (docs: (Doc | undefined)[]): Doc[] => [...new Set(docs.filter((d): d is Doc => d !== undefined))];
