import type { Models } from '../../models/index.js';

/**
 * Of these keys, those whose phones page on-call: not revoked (a revoked key's phones stop being
 * watched at once) and not `test` (test keys never raise an alert). One indexed read per batch.
 */
export async function watchedKeys(models: Pick<Models, 'Key'>, keyIds: (string | null | undefined)[]): Promise<Set<string>> {
  const ids = [...new Set(keyIds.filter((id): id is string => Boolean(id)))];
  if (ids.length === 0) return new Set();
  const keys = await models.Key.find({ keyId: { $in: ids } }, { keyId: 1, status: 1, environment: 1 }).lean();
  return new Set(keys.filter((k) => k.status !== 'revoked' && k.environment !== 'test').map((k) => k.keyId));
}
