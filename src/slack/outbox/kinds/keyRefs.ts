import { keyNames } from '../../../domain/keyNames.js';
import type { KeyRef } from '../../format.js';
import type { OutboxContext } from '../kind.js';

/** Names of keys, for messages: one read for all of them. */
export async function keyRefs(context: OutboxContext, keyIds: string[]): Promise<Map<string, KeyRef>> {
  const names = await keyNames(context.models.Key, keyIds);
  return new Map(keyIds.map((keyId) => [keyId, { keyId, name: names.get(keyId) ?? null }]));
}
