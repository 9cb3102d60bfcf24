import type { AppContext } from '../../src/context.js';
import { parsePublicId } from '../../src/domain/keyMaterial.js';

/**
 * What the webhook receiver decides about a key, read fresh from the database (no cache):
 * `pk_<id>` and the client IP → the decision, with the key's signing secret when it passes.
 */
export async function checkKey(context: AppContext, publicId: string, ip: string) {
  const keyId = parsePublicId(publicId);
  const snapshot = keyId ? await context.domain.keyCheck.snapshot(keyId) : null;
  if (!snapshot) return { ok: false as const, reason: 'unknown_key' as const };
  const decision = context.domain.keyCheck.judge(snapshot, ip);
  return decision.ok ? { ...decision, secret: snapshot.algorithm === 'hmac' ? snapshot.secret : undefined } : decision;
}
