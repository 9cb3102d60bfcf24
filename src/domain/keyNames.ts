import type { KeyModel } from '../models/index.js';

/** Keys' names by id, any status, in one read (unique {keyId} index): for lines that name the keys they mention. */
export async function keyNames(Key: KeyModel, keyIds: Iterable<string>): Promise<Map<string, string>> {
  const ids = [...new Set(keyIds)];
  if (ids.length === 0) return new Map();
  const keys = await Key.find({ keyId: { $in: ids } }, { _id: 0, keyId: 1, name: 1 }).lean();
  return new Map(keys.map((k) => [k.keyId, k.name]));
}
