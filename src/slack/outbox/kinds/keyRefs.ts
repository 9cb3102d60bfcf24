import type { KeyRef } from '../../format.js';
import type { OutboxContext } from '../kind.js';

/** Names of keys, for messages: one read for all of them. */
export async function keyRefs(context: OutboxContext, keyIds: string[]): Promise<Map<string, KeyRef>> {
  const ids = [...new Set(keyIds)];
  const keys = ids.length ? await context.models.Key.find({ keyId: { $in: ids } }, { keyId: 1, name: 1 }).lean() : [];
  const byId = new Map(keys.map((k) => [k.keyId, k.name]));
  return new Map(ids.map((keyId) => [keyId, { keyId, name: byId.get(keyId) ?? null }]));
}
