import type { KeyObject } from 'node:crypto';
import type { IpLockMode, KeyEnvironment, KeyFields, KeyScope, KeyStatus, Models } from '../models/index.js';
import type { AuditLog } from './audit.js';
import type { Clock } from './clock.js';
import { ipMatches, normalizeIp } from './ipLock.js';
import type { KeyChanges } from './keyChanges.js';
import { decryptKey, ed25519PublicKey, publicIdOf } from './keyMaterial.js';
import { scopesOf } from './keyRules.js';
import { missingScope } from './scopes.js';

/** What a signature is checked with: an `hmac` key's secret, or an `ed25519` key's public key. */
export type SignatureKey =
  | {
      algorithm: 'hmac';
      /** The whole key: the HMAC secret of its phone's signatures. Never logged. */
      secret: string;
    }
  | { algorithm: 'ed25519'; publicKey: KeyObject };

/** What the check of a phone's signed request needs of its key; small enough to cache. */
export type KeySnapshot = SignatureKey & {
  keyId: string;
  status: KeyStatus;
  graceEndsAt: Date | null;
  ipLock: { mode: IpLockMode; entries: string[]; firstIp: string | null };
  /** The events the key may send (scopes.ts). */
  scopes: KeyScope[];
  environment: KeyEnvironment;
};

export type KeyRefusalReason = 'revoked' | 'grace_ended' | 'ip_not_allowed';
export type KeyDecision =
  | {
      ok: true;
      keyId: string;
      /** The key is in `first` mode and not yet locked: claim the IP once the request proves good. */
      claimFirstIp: boolean;
    }
  | { ok: false; reason: KeyRefusalReason; message: string };

/**
 * The rules a key's phone request must meet besides its signature: the key is not revoked,
 * not past its rotation grace, and the client IP is allowed by its lock. Decides from a
 * snapshot (possibly cached by the caller); never reads or writes.
 */
export function judgeKey(snapshot: KeySnapshot, ip: string, now: Date): KeyDecision {
  const id = publicIdOf(snapshot.keyId);
  if (snapshot.status === 'revoked') return { ok: false, reason: 'revoked', message: `key ${id} is revoked` };
  if (snapshot.status === 'rotating' && snapshot.graceEndsAt && snapshot.graceEndsAt.getTime() <= now.getTime()) {
    return { ok: false, reason: 'grace_ended', message: `key ${id} was rotated and its grace period has ended; use its successor` };
  }
  const lock = snapshot.ipLock;
  const client = normalizeIp(ip);
  if (lock.mode === 'list' && !ipMatches(client, lock.entries)) {
    return { ok: false, reason: 'ip_not_allowed', message: `IP ${client || ip} is not allowed by the IP lock of ${id}` };
  }
  if (lock.mode === 'first' && lock.firstIp && lock.firstIp !== client) {
    return { ok: false, reason: 'ip_not_allowed', message: firstIpTaken(snapshot.keyId, client || ip) };
  }
  return { ok: true, keyId: snapshot.keyId, claimFirstIp: lock.mode === 'first' && !lock.firstIp };
}

/** Refuses an event outside the key's scopes, naming the event type and the missing scope; undefined when allowed. */
export function judgeEvent(snapshot: Pick<KeySnapshot, 'keyId' | 'scopes'>, eventType: string): string | undefined {
  const missing = missingScope(snapshot.scopes, eventType);
  if (!missing) return undefined;
  return `key ${publicIdOf(snapshot.keyId)} may not send ${eventType}: that needs the "${missing}" scope, and the key has ${snapshot.scopes.join(', ')}`;
}

export const firstIpTaken = (keyId: string, ip: string): string =>
  `key ${publicIdOf(keyId)} is locked to the first IP that used it; ${ip} is not it`;

type KeyRecord = KeyFields & { _id: unknown };

/**
 * The key side of a phone's signed request: the snapshot the check decides from, the
 * rules (`judgeKey`), and the two things only an accepted request may do (take a `first`
 * IP lock) or must know (which of its numbers are linked). Knows neither HTTP nor caching.
 */
export class KeyCheck {
  constructor(
    private readonly models: Models,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly changes: KeyChanges,
    private readonly options: { encryptionKey: Buffer },
  ) {}

  /** Loads what the check needs (decrypting an `hmac` key); null for an unknown id. */
  async snapshot(keyId: string): Promise<KeySnapshot | null> {
    // From the primary whatever readPreference MONGODB_URI sets: a secondary may not have a revocation yet.
    const record = await this.models.Key.findOne({ keyId }).read('primary').lean<KeyRecord>();
    if (!record) return null;
    return {
      keyId: record.keyId,
      status: record.status,
      graceEndsAt: record.graceEndsAt ?? null,
      ipLock: { mode: record.ipLock.mode, entries: [...record.ipLock.entries], firstIp: record.ipLock.firstIp ?? null },
      scopes: scopesOf(record),
      environment: record.environment ?? 'live',
      ...this.signatureKeyOf(record),
    };
  }

  private signatureKeyOf(record: KeyRecord): SignatureKey {
    if (record.algorithm === 'ed25519') return { algorithm: 'ed25519', publicKey: ed25519PublicKey(record.publicKey ?? '') };
    if (!record.cipher) throw new Error(`key ${publicIdOf(record.keyId)} has no stored secret`);
    return { algorithm: 'hmac', secret: decryptKey(record.cipher, record.keyId, this.options.encryptionKey) };
  }

  /** `judgeKey` on this domain's clock. */
  judge(snapshot: KeySnapshot, ip: string, now = this.clock()): KeyDecision {
    return judgeKey(snapshot, ip, now);
  }

  /**
   * `first` mode: lock the key to this IP, atomically. Of two first requests
   * from different IPs at once exactly one wins; returns whether `ip` holds the lock.
   */
  async claimFirstIp(keyId: string, ip: string): Promise<boolean> {
    const client = normalizeIp(ip);
    // An unparseable address must never become the lock (it would lock everyone out).
    if (!client) return false;
    const claimed = await this.models.Key.findOneAndUpdate(
      { keyId, 'ipLock.mode': 'first', 'ipLock.firstIp': null },
      { $set: { 'ipLock.firstIp': client, changedAt: this.clock() } },
      { returnDocument: 'after', projection: { ipLock: 1 } },
    ).lean<KeyRecord>();
    if (claimed) {
      this.changes.notify(keyId);
      await this.audit.record({
        actor: `phone:${publicIdOf(keyId)}`,
        action: 'key.ip_locked_on_first_use',
        keyId,
        details: { ip: client },
      });
      return true;
    }
    // Lost the race, or the lock changed meanwhile: answer by the lock as it is now.
    const current = await this.models.Key.findOne({ keyId }, { ipLock: 1 }).read('primary').lean<KeyRecord>();
    if (!current) return false;
    if (current.ipLock.mode === 'first') return current.ipLock.firstIp === client;
    if (current.ipLock.mode === 'list') return ipMatches(client, current.ipLock.entries);
    return true;
  }

  /** The first of `numbers` not linked to the key, if any. */
  async firstUnlinked(keyId: string, numbers: string[]): Promise<string | undefined> {
    const linked = await this.models.Phone.find({ number: { $in: numbers }, keyId }, { number: 1 })
      .read('primary')
      .lean();
    return numbers.find((n) => !linked.some((p) => p.number === n));
  }
}
