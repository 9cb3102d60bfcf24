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

/** How many documents one query of the alert passes returns; passes loop over batches. */
export const BATCH = 100;
/** Upper bound per pass and run, so one run stays short; the next run carries on. */
export const MAX_PER_RUN = 5000;

/** Phones whose pause (if any) is over at `now`. */
export const unpausedAt = (now: Date) => ({ $or: [{ pausedUntil: null }, { pausedUntil: { $lte: now } }] });
/** Phones of live keys (and phones stored before environments existed): the only ones that ever page on-call. */
export const LIVE = { environment: { $in: ['live' as const, null] } };
