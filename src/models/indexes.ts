import type { Model, mongo } from 'mongoose';
import type { Logger } from '../logger.js';
import type { Models } from './index.js';

/**
 * Makes each collection's indexes what the models declare, at every start (idempotent, and safe
 * for several instances starting at once):
 *  - a declared index that is missing is built (unique ones before any traffic: start waits);
 *  - one whose TTL changed (EVENT_RETENTION_DAYS) gets the new one in place (`collMod`);
 *  - one whose other options changed (unique, sparse, partial filter) is dropped and rebuilt;
 *  - an index the code no longer declares is dropped, so it neither lingers (every write pays
 *    for it) nor makes a later build with the same name fail.
 * Every change is logged. An index is matched by its key pattern (and partial filter), not its
 * name. Indexes made by hand on these collections are dropped too: declare them in src/models.
 */

type Spec = {
  name: string;
  key: Record<string, number>;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: object;
  expireAfterSeconds?: number;
};

export interface IndexChange {
  collection: string;
  index: string;
  change: 'created' | 'ttl changed' | 'rebuilt' | 'dropped';
  detail?: string;
}

const OPTIONS = ['unique', 'sparse', 'partialFilterExpression', 'expireAfterSeconds'] as const;
const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
const optionOf = (spec: Spec, option: (typeof OPTIONS)[number]) => (spec[option] === false ? undefined : spec[option]);
const differing = (a: Spec, b: Spec) => OPTIONS.filter((o) => !same(optionOf(a, o), optionOf(b, o)));

/** What the schema declares, as MongoDB lists indexes (default names: field_direction pairs). */
function declaredSpecs(model: Model<never>): Spec[] {
  return (model.schema.indexes() as [Record<string, number>, Record<string, unknown>][]).map(([key, options]) => ({
    name:
      (options.name as string | undefined) ??
      Object.entries(key)
        .map(([field, direction]) => `${field}_${direction}`)
        .join('_'),
    key,
    ...Object.fromEntries(OPTIONS.filter((o) => options[o] !== undefined && options[o] !== false).map((o) => [o, options[o]])),
  }));
}

export async function ensureIndexes(models: Models, logger?: Logger): Promise<IndexChange[]> {
  const changes = (await Promise.all(Object.values(models).map((model) => reconcile(model as Model<never>)))).flat();
  for (const change of changes) {
    // A rebuilt unique index did not hold between the drop and the build: worth a warning.
    const level = change.change === 'created' ? 'debug' : change.change === 'rebuilt' ? 'warn' : 'info';
    logger?.[level]({ collection: change.collection, index: change.index, detail: change.detail }, `index ${change.change}`);
  }
  const created = changes.filter((c) => c.change === 'created').length;
  if (created > 0) logger?.info({ created }, `built ${created} missing index${created === 1 ? '' : 'es'}`);
  return changes;
}

async function reconcile(model: Model<never>): Promise<IndexChange[]> {
  const collection = model.collection;
  const changes: IndexChange[] = [];
  const note = (index: string, change: IndexChange['change'], detail?: string) =>
    changes.push({ collection: collection.collectionName, index, change, ...(detail ? { detail } : {}) });
  const existing = await listIndexes(collection);
  const matched = new Set<string>(['_id_']);

  for (const wanted of declaredSpecs(model)) {
    const found =
      existing.find((e) => same(e.key, wanted.key) && same(e.partialFilterExpression, wanted.partialFilterExpression)) ??
      existing.find((e) => e.name === wanted.name);
    if (found) matched.add(found.name);
    const differences = found ? differing(found, wanted) : [];
    if (found && differences.length === 0 && same(found.key, wanted.key)) continue;
    if (
      found &&
      same(found.key, wanted.key) &&
      differences.length === 1 &&
      differences[0] === 'expireAfterSeconds' &&
      found.expireAfterSeconds !== undefined
    ) {
      await collection.conn.db!.command({
        collMod: collection.collectionName,
        index: { name: found.name, expireAfterSeconds: wanted.expireAfterSeconds },
      });
      note(found.name, 'ttl changed', `expireAfterSeconds ${found.expireAfterSeconds} → ${wanted.expireAfterSeconds}`);
      continue;
    }
    if (found) await dropIndex(collection, found.name);
    const { name, key, ...options } = wanted;
    await collection.createIndex(key, { name, ...options });
    if (found) note(name, 'rebuilt', `${found.name}: ${differences.join(', ') || 'key'} changed`);
    else note(name, 'created');
  }
  for (const stale of existing.filter((e) => !matched.has(e.name))) {
    await dropIndex(collection, stale.name);
    note(stale.name, 'dropped', 'no longer declared');
  }
  return changes;
}

async function listIndexes(collection: Model<never>['collection']): Promise<Spec[]> {
  try {
    return (await collection.listIndexes({ readPreference: 'primary' }).toArray()) as unknown as Spec[];
  } catch (error) {
    if ((error as mongo.MongoServerError).code === 26) return []; // NamespaceNotFound: a new collection
    throw error;
  }
}

/** Drops an index; another instance starting at the same time may have dropped it already. */
async function dropIndex(collection: Model<never>['collection'], name: string): Promise<void> {
  try {
    await collection.dropIndex(name);
  } catch (error) {
    if ((error as mongo.MongoServerError).code !== 27) throw error; // IndexNotFound
  }
}
