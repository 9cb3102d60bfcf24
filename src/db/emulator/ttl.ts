import { type Doc, type Handler, type Handlers, indexesOf, type ObjectIdLike, type Storage } from './storage.js';

/**
 * TTL indexes on the emulator, as mongod has them: `collMod` changes an index's
 * `expireAfterSeconds` (CongoDB only acknowledged it), and `sweep()` deletes the documents a TTL
 * index says have expired (mongod's TTL monitor does it every 60 s; the emulator's owner calls it).
 */
export function supportTtl(storage: Storage, handlers: Handlers): { sweep(now?: Date): Promise<number> } {
  const fallback = handlers.get('collMod');
  const collMod: Handler = {
    async handle(ctx) {
      const { database, command } = ctx;
      const change = command.index as { keyPattern?: Doc; name?: string; expireAfterSeconds?: number } | undefined;
      if (!change) return fallback ? fallback.handle(ctx) : { ok: 1 };
      const coll = command.collMod as string;
      const index = (indexesOf(storage, database, coll) ?? []).find((i) =>
        change.name !== undefined ? i.name === change.name : JSON.stringify(i.key) === JSON.stringify(change.keyPattern),
      );
      if (!index) {
        return {
          ok: 0,
          code: 27,
          codeName: 'IndexNotFound',
          errmsg: `cannot find index ${JSON.stringify(change.name ?? change.keyPattern)} for ns ${database}.${coll}`,
        };
      }
      if (change.expireAfterSeconds === undefined) return { ok: 1 };
      if (index.expireAfterSeconds === undefined) {
        return { ok: 0, code: 72, codeName: 'InvalidOptions', errmsg: `no expireAfterSeconds field to update on index ${index.name}` };
      }
      const old = index.expireAfterSeconds;
      index.expireAfterSeconds = change.expireAfterSeconds;
      return { ok: 1, expireAfterSeconds_old: old, expireAfterSeconds_new: change.expireAfterSeconds };
    },
  };
  handlers.set('collMod', collMod);

  return {
    async sweep(now = new Date()) {
      let deleted = 0;
      for (const [db, collections] of storage.indexes) {
        for (const [coll, indexes] of collections) {
          for (const index of indexes) {
            const fields = Object.keys(index.key);
            if (typeof index.expireAfterSeconds !== 'number' || fields.length !== 1) continue;
            const cutoff = now.getTime() - index.expireAfterSeconds * 1000;
            const expired = [...(storage.databases.get(db)?.get(coll)?.values() ?? [])].filter((doc) => {
              const at = earliestDate(valueAt(doc, fields[0]!));
              return at !== undefined && at <= cutoff;
            });
            for (const doc of expired) if (await storage.deleteById(db, coll, doc._id as ObjectIdLike)) deleted++;
          }
        }
      }
      return deleted;
    },
  };
}

function valueAt(doc: Doc, path: string): unknown {
  let value: unknown = doc;
  for (const part of path.split('.')) value = value && typeof value === 'object' ? (value as Doc)[part] : undefined;
  return value;
}

/** mongod expires a document by the earliest date of an array field; non-dates never expire. */
function earliestDate(value: unknown): number | undefined {
  const dates = (Array.isArray(value) ? value : [value]).filter((v): v is Date => v instanceof Date).map((d) => d.getTime());
  return dates.length ? Math.min(...dates) : undefined;
}
