import type { Models } from '../models/index.js';
import type { AuditLog } from './audit.js';
import type { Clock } from './clock.js';
import { DomainError } from './errors.js';
import type { KeyChanges } from './keyChanges.js';
import type { KeyRecord } from './keyDirectory.js';
import { publicIdOf } from './keyMaterial.js';
import { type NewKeyInput, scopesOf } from './keyRules.js';
import type { KeyView } from './keyView.js';

/**
 * Rotation and revocation (README: Using /keys): a rotated key hands over to a successor and
 * keeps working for ROTATION_GRACE_HOURS; a revoked key is refused at once. Revoking a key
 * that is a rotation's successor must not strand its predecessor (which would still say
 * "replaced by" a dead key, refuse another rotation, and stop its phones when the grace ends):
 * - the successor was the end of the rotation → the predecessor is **active again** (the
 *   rotation is cancelled; its phones keep working; it can be rotated again);
 * - the successor had itself been rotated → the predecessor now hands over to that key.
 * A predecessor whose grace has already ended is left to expire.
 */

/** What revoking a key does to the key it replaced. */
export type PredecessorOutcome = { kind: 'reactivated' } | { kind: 'handed_on'; to: string };

export interface Revocation {
  view: KeyView;
  /** The key it replaced, as the revocation left it, when it changed it. */
  predecessor: { view: KeyView; outcome: PredecessorOutcome } | null;
}

/** What deleting a key would do, for the confirmation (nothing is written). */
export interface RevocationPreview {
  key: KeyView;
  predecessor: { view: KeyView; outcome: PredecessorOutcome } | null;
}

export interface KeyRotationDeps {
  models: Models;
  audit: AuditLog;
  clock: Clock;
  changes: KeyChanges;
  rotationGraceMs: number;
  /** KeyService.create: the successor is created like any key. */
  create(input: NewKeyInput & { actor: string; rotatedFrom?: string }): Promise<{ key: string; view: KeyView }>;
  view(record: KeyRecord): Promise<KeyView>;
  /** Called (and awaited) once a key is revoked, after its audit entry. */
  onRevoked?: (keyId: string, actor: string) => Promise<unknown>;
}

export class KeyRotation {
  constructor(private readonly deps: KeyRotationDeps) {}

  /**
   * Creates the successor (same IP lock, scopes, environment and algorithm, name with a
   * rotation suffix) and puts the old key into `rotating` until the grace period ends.
   */
  async rotate(old: KeyRecord, actor: string): Promise<{ key: string; view: KeyView; previous: KeyView }> {
    const { models, clock } = this.deps;
    if (old.status === 'revoked') throw revokedError(old);
    if (old.status === 'rotating')
      throw new DomainError(
        'conflict',
        `${publicIdOf(old.keyId)} was already rotated to ${publicIdOf(old.rotatedTo ?? '')}; rotate that key instead`,
      );
    const successor = await this.deps.create({
      name: await this.successorName(old.name),
      description: old.description ?? '',
      ipLock: { mode: old.ipLock.mode, list: old.ipLock.mode === 'list' ? old.ipLock.entries.join(',') : undefined },
      scopes: scopesOf(old),
      environment: old.environment ?? 'live',
      algorithm: old.algorithm ?? 'hmac',
      actor,
      rotatedFrom: old.keyId,
    });
    const now = clock();
    const graceEndsAt = new Date(now.getTime() + this.deps.rotationGraceMs);
    const previous = await models.Key.findOneAndUpdate(
      { keyId: old.keyId, status: 'active' },
      { $set: { status: 'rotating', rotatedTo: successor.view.keyId, graceEndsAt, rotationDue: false, changedAt: now } },
      { returnDocument: 'after' },
    ).lean<KeyRecord>();
    if (!previous) {
      // Someone revoked or rotated it meanwhile: the successor must not outlive that.
      await this.revokeRecord(successor.view.keyId, actor, 'rotation lost a race');
      throw new DomainError('conflict', `${publicIdOf(old.keyId)} changed while rotating; try again`);
    }
    this.deps.changes.notify(old.keyId);
    // Phones stay linked to the old key until they register with the new one.
    await this.deps.audit.record({
      actor,
      action: 'key.rotated',
      keyId: old.keyId,
      details: { successor: successor.view.publicId, graceEndsAt },
    });
    return { key: successor.key, view: successor.view, previous: await this.deps.view(previous) };
  }

  async revoke(key: KeyRecord, actor: string, reason: string): Promise<Revocation> {
    if (key.status === 'revoked') throw revokedError(key);
    const revoked = await this.revokeRecord(key.keyId, actor, reason);
    if (!revoked) throw revokedError(key);
    return { view: await this.deps.view(revoked.record), predecessor: revoked.predecessor };
  }

  /** What revoking `key` would do to its predecessor (for the confirmation). */
  async preview(key: KeyRecord): Promise<RevocationPreview> {
    const predecessor = await this.predecessorOf(key);
    const outcome = predecessor ? outcomeFor(key, predecessor, this.deps.clock()) : null;
    return {
      key: await this.deps.view(key),
      predecessor: predecessor && outcome ? { view: await this.deps.view(predecessor), outcome } : null,
    };
  }

  /**
   * One conditional update: whoever revokes first writes the audit entry and settles the
   * predecessor. Null when the key was already revoked (or `extraFilter` did not match).
   */
  async revokeRecord(
    keyId: string,
    actor: string,
    reason: string,
    extraFilter: Record<string, unknown> = {},
  ): Promise<{ record: KeyRecord; predecessor: Revocation['predecessor'] } | null> {
    const { models, clock, changes, audit } = this.deps;
    const now = clock();
    const record = await models.Key.findOneAndUpdate(
      { keyId, status: { $ne: 'revoked' }, ...extraFilter },
      { $set: { status: 'revoked', revokedAt: now, revokedBy: actor, changedAt: now }, $unset: { nameLower: 1 } },
      { returnDocument: 'before' },
    ).lean<KeyRecord>();
    if (!record) return null;
    changes.notify(keyId);
    await audit.record({ actor, action: 'key.revoked', keyId, details: { reason } });
    const predecessor = await this.settlePredecessor(record, actor, now);
    await this.deps.onRevoked?.(keyId, actor);
    changes.notifyFollowUp({ type: 'revoked', keyId, actor });
    const after: KeyRecord = { ...record, status: 'revoked', revokedAt: now, revokedBy: actor, changedAt: now, nameLower: undefined };
    return { record: after, predecessor };
  }

  /** `revoked` as it was before its revocation (its status says whether it had been rotated). */
  private async settlePredecessor(revoked: KeyRecord, actor: string, now: Date): Promise<Revocation['predecessor']> {
    const predecessor = await this.predecessorOf(revoked);
    const outcome = predecessor ? outcomeFor(revoked, predecessor, now) : null;
    if (!predecessor || !outcome) return null;
    const { models, changes, audit } = this.deps;
    const set: Partial<KeyRecord> =
      outcome.kind === 'reactivated'
        ? { status: 'active', rotatedTo: null, graceEndsAt: null, changedAt: now }
        : { rotatedTo: outcome.to, changedAt: now };
    const updated = await models.Key.findOneAndUpdate(
      { keyId: predecessor.keyId, status: 'rotating', rotatedTo: revoked.keyId, graceEndsAt: { $gt: now } },
      { $set: set },
      { returnDocument: 'after' },
    ).lean<KeyRecord>();
    if (!updated) return null;
    changes.notify(predecessor.keyId);
    await audit.record({
      actor,
      action: outcome.kind === 'reactivated' ? 'key.rotation_cancelled' : 'key.rotation_handed_on',
      keyId: predecessor.keyId,
      details:
        outcome.kind === 'reactivated'
          ? { successor: publicIdOf(revoked.keyId) }
          : { successor: publicIdOf(revoked.keyId), now: publicIdOf(outcome.to) },
    });
    return { view: await this.deps.view(updated), outcome };
  }

  private async predecessorOf(key: KeyRecord): Promise<KeyRecord | null> {
    if (!key.rotatedFrom) return null;
    return this.deps.models.Key.findOne({ keyId: key.rotatedFrom }).lean<KeyRecord>();
  }

  private async successorName(name: string): Promise<string> {
    const base = name.replace(/-r\d+$/, '').slice(0, 58);
    for (let n = 2; ; n++) {
      const candidate = `${base}-r${n}`;
      if (!(await this.deps.models.Key.exists({ nameLower: candidate.toLowerCase() }))) return candidate;
    }
  }
}

/** The predecessor's fate when `key` (as it is before the revocation) is revoked; null: untouched. */
function outcomeFor(key: KeyRecord, predecessor: KeyRecord, now: Date): PredecessorOutcome | null {
  if (predecessor.status !== 'rotating' || predecessor.rotatedTo !== key.keyId) return null;
  // Its grace is over: it is refused already, and the expiry job revokes it.
  if (!predecessor.graceEndsAt || predecessor.graceEndsAt.getTime() <= now.getTime()) return null;
  if (key.status === 'rotating' && key.rotatedTo) return { kind: 'handed_on', to: key.rotatedTo };
  return { kind: 'reactivated' };
}

export function revokedError(key: Pick<KeyRecord, 'keyId' | 'name'>): DomainError {
  return new DomainError('conflict', `${publicIdOf(key.keyId)} (${key.name}) is revoked`, 'key');
}
