import { KEY_SCOPES, type KeyAlgorithm, type KeyEnvironment, type Models } from '../models/index.js';
import type { AuditLog } from './audit.js';
import type { Clock } from './clock.js';
import { DomainError, invalidFields, isDuplicateKeyError } from './errors.js';
import type { KeyChanges } from './keyChanges.js';
import { KeyDirectory, type KeyRecord } from './keyDirectory.js';
import { generateKey, hashKey, publicIdOf, storedSecretOf } from './keyMaterial.js';
import {
  type IpLockInput,
  type KeyChangeSet,
  type KeyEditInput,
  type NewKeyInput,
  normalizeScopes,
  planKeyEdit,
  scopesOf,
  validateIpLock,
  validateNewKey,
} from './keyRules.js';
import type { KeyView } from './keyView.js';
import { normalizePhoneNumber } from './phoneNumbers.js';

export type { KeyRecord } from './keyDirectory.js';
export {
  type IpLockInput,
  KEY_NAME_PATTERN,
  type KeyChangeSet,
  type KeyEditInput,
  MAX_DESCRIPTION_LENGTH,
  type NewKeyInput,
} from './keyRules.js';
export type { KeyView } from './keyView.js';

/**
 * The key domain: creation, governance (edit, IP lock, phones, rotation, revocation), on top of
 * the read side (keyDirectory.ts).
 * Knows neither Slack nor HTTP. The check a phone's signed request makes of its key
 * is `KeyCheck` (keyCheck.ts); every write here that it decides from is announced
 * through `KeyChanges`.
 */
export class KeyService extends KeyDirectory {
  constructor(
    models: Models,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly changes: KeyChanges,
    private readonly options: { encryptionKey: Buffer; rotationGraceMs: number },
  ) {
    super(models);
  }

  // ── creation ──────────────────────────────────────────────────────────

  /** Validates everything first and reports every problem, so a form can show them all. */
  validateNew(input: NewKeyInput): { errors: Record<string, string>; entries: string[] } {
    return validateNewKey(input);
  }

  /**
   * validateNew plus the one rule that needs the database (a free name), for forms
   * that show every problem inline before anything is created.
   */
  async checkNew(input: NewKeyInput): Promise<{ errors: Record<string, string>; entries: string[] }> {
    const result = this.validateNew(input);
    const name = input.name.trim();
    if (!result.errors.name && (await this.models.Key.exists({ nameLower: name.toLowerCase() }))) {
      result.errors.name = duplicateName(name).message;
    }
    return result;
  }

  async create(input: NewKeyInput & { actor: string; rotatedFrom?: string }): Promise<{ key: string; view: KeyView }> {
    const { errors, entries } = this.validateNew(input);
    if (Object.keys(errors).length > 0) throw invalidFields(errors);
    const name = input.name.trim();
    const scopes = normalizeScopes(input.scopes ?? KEY_SCOPES);
    const environment = (input.environment ?? 'live') as KeyEnvironment;
    const algorithm = (input.algorithm ?? 'hmac') as KeyAlgorithm;

    // A key id collision (40 random bits) is possible in principle: try again with a fresh key.
    for (let attempt = 0; ; attempt++) {
      const { keyId, key } = generateKey(algorithm);
      try {
        const now = this.clock();
        const record = await this.models.Key.create({
          keyId,
          name,
          nameLower: name.toLowerCase(),
          description: (input.description ?? '').trim(),
          createdBy: input.actor,
          hash: hashKey(key),
          ...storedSecretOf(key, keyId, this.options.encryptionKey),
          status: 'active',
          ipLock: { mode: input.ipLock.mode, entries, firstIp: null },
          scopes,
          environment,
          rotatedFrom: input.rotatedFrom ?? null,
          changedAt: now,
          createdAt: now,
          updatedAt: now,
        });
        // A receiver here may have answered "unknown" for this id: it is usable at once.
        this.changes.notify(keyId);
        await this.audit.record({
          actor: input.actor,
          action: input.rotatedFrom ? 'key.created_by_rotation' : 'key.created',
          keyId,
          details: {
            name,
            ipLock: input.ipLock.mode,
            entries,
            scopes,
            environment,
            algorithm,
            ...(input.rotatedFrom ? { rotatedFrom: publicIdOf(input.rotatedFrom) } : {}),
          },
        });
        return { key, view: await this.toView(record.toObject()) };
      } catch (error) {
        if (isDuplicateKeyError(error, 'nameLower')) throw duplicateName(name);
        if (isDuplicateKeyError(error) && attempt < 3) continue;
        throw error;
      }
    }
  }

  // ── governance ────────────────────────────────────────────────────────

  validateIpLock(lock: IpLockInput): { entries: string[]; error?: string } {
    return validateIpLock(lock);
  }

  async setIpLock(ref: string, lock: IpLockInput, actor: string): Promise<KeyView> {
    const key = await this.getRecord(ref);
    assertChangeable(key);
    const { entries, error } = this.validateIpLock(lock);
    if (error) throw new DomainError('invalid', error, 'ip_list');
    const updated = await this.models.Key.findOneAndUpdate(
      { keyId: key.keyId, status: { $ne: 'revoked' } },
      { $set: { ipLock: { mode: lock.mode, entries, firstIp: null }, changedAt: this.clock() } },
      { returnDocument: 'after' },
    ).lean<KeyRecord>();
    if (!updated) throw revokedError(key);
    this.changes.notify(key.keyId);
    await this.audit.record({
      actor,
      action: lock.mode === 'off' ? 'key.unlocked' : 'key.locked',
      keyId: key.keyId,
      details: { mode: lock.mode, entries },
    });
    return this.toView(updated);
  }

  /**
   * Changes any of name, description, IP lock and scopes at once (keyRules.planKeyEdit):
   * every problem reported together, nothing written unless all is valid, nothing at all
   * when nothing changes. Audited as old → new per field.
   */
  async edit(ref: string, edit: KeyEditInput, actor: string): Promise<{ view: KeyView; changes: KeyChangeSet }> {
    const key = await this.getRecord(ref);
    assertChangeable(key);
    const { errors, set, diff } = planKeyEdit(key, edit);
    if (Object.keys(errors).length > 0) throw invalidFields(errors);
    if (Object.keys(diff).length === 0) return { view: await this.toView(key), changes: {} };
    if (set.nameLower && set.nameLower !== key.nameLower) {
      if (await this.models.Key.exists({ nameLower: set.nameLower, keyId: { $ne: key.keyId } })) throw duplicateName(set.name!);
    }
    // The receiver caches the IP lock and the scopes: changedAt tells every instance to drop the key.
    const seenByWebhooks = set.ipLock !== undefined || set.scopes !== undefined;
    if (seenByWebhooks) set.changedAt = this.clock();
    let updated: KeyRecord | null;
    try {
      updated = await this.models.Key.findOneAndUpdate(
        { keyId: key.keyId, status: { $ne: 'revoked' } },
        { $set: set },
        { returnDocument: 'after' },
      ).lean<KeyRecord>();
    } catch (error) {
      if (isDuplicateKeyError(error, 'nameLower')) throw duplicateName(set.name!);
      throw error;
    }
    if (!updated) throw revokedError(key);
    if (seenByWebhooks) this.changes.notify(key.keyId);
    await this.audit.record({ actor, action: 'key.edited', keyId: key.keyId, details: { changes: diff } });
    return { view: await this.toView(updated), changes: diff };
  }

  /** Unlinks one number (typed as people type it); returns the key and the number in E.164. */
  async unlinkPhone(ref: string, rawNumber: string, actor: string): Promise<{ view: KeyView; number: string }> {
    const key = await this.getRecord(ref);
    const number = normalizePhoneNumber(rawNumber);
    if (!number)
      throw new DomainError('invalid', `"${rawNumber}" is not a phone number in E.164 form (like +2348012345678)`, 'phone_number');
    const result = await this.models.Phone.updateOne({ number, keyId: key.keyId }, { $set: { keyId: null, linkedAt: null } });
    if (result.modifiedCount === 0)
      throw new DomainError('not_found', `${number} is not linked to ${publicIdOf(key.keyId)} (${key.name})`, 'phone_number');
    await this.audit.record({ actor, action: 'phone.unlinked', keyId: key.keyId, phoneNumber: number });
    return { view: await this.toView(key), number };
  }

  /**
   * Links the numbers to the key, taking them from any other key: one update
   * per number on the phone document, so a number is never linked twice.
   */
  async linkPhones(keyId: string, numbers: string[], actor: string): Promise<{ moved: { number: string; from: string }[] }> {
    const now = this.clock();
    const moved: { number: string; from: string }[] = [];
    // The phone carries its key's environment (fixed at the key's creation) for the alert queries.
    const environment = (await this.models.Key.findOne({ keyId }, { environment: 1 }).lean<KeyRecord>())?.environment ?? 'live';
    for (const number of numbers) {
      const before = await this.models.Phone.findOneAndUpdate(
        { number },
        { $set: { keyId, environment, linkedAt: now, registeredAt: now }, $setOnInsert: { number, state: 'new' } },
        { upsert: true, returnDocument: 'before' },
      ).lean();
      if (before?.keyId === keyId) continue;
      if (before?.keyId) moved.push({ number, from: before.keyId });
      await this.audit.record({
        actor,
        action: 'phone.linked',
        keyId,
        phoneNumber: number,
        details: before?.keyId ? { from: publicIdOf(before.keyId) } : {},
      });
    }
    return { moved };
  }

  /**
   * Creates the successor (same IP lock, name with a rotation suffix) and puts
   * the old key into `rotating` until the grace period ends.
   */
  async rotate(ref: string, actor: string): Promise<{ key: string; view: KeyView; previous: KeyView }> {
    const old = await this.getRecord(ref);
    assertChangeable(old);
    if (old.status === 'rotating')
      throw new DomainError(
        'conflict',
        `${publicIdOf(old.keyId)} was already rotated to ${publicIdOf(old.rotatedTo ?? '')}; rotate that key instead`,
      );
    const successor = await this.create({
      name: await this.successorName(old.name),
      description: old.description ?? '',
      ipLock: { mode: old.ipLock.mode, list: old.ipLock.mode === 'list' ? old.ipLock.entries.join(',') : undefined },
      scopes: scopesOf(old),
      environment: old.environment ?? 'live',
      algorithm: old.algorithm ?? 'hmac',
      actor,
      rotatedFrom: old.keyId,
    });
    const now = this.clock();
    const graceEndsAt = new Date(now.getTime() + this.options.rotationGraceMs);
    const previous = await this.models.Key.findOneAndUpdate(
      { keyId: old.keyId, status: 'active' },
      { $set: { status: 'rotating', rotatedTo: successor.view.keyId, graceEndsAt, rotationDue: false, changedAt: now } },
      { returnDocument: 'after' },
    ).lean<KeyRecord>();
    if (previous) this.changes.notify(old.keyId);
    if (!previous) {
      // Someone revoked or rotated it meanwhile: the successor must not outlive that.
      await this.revokeRecord(successor.view.keyId, actor, 'rotation lost a race');
      throw new DomainError('conflict', `${publicIdOf(old.keyId)} changed while rotating; try again`);
    }
    // Phones stay linked to the old key until they register with the new one.
    await this.audit.record({
      actor,
      action: 'key.rotated',
      keyId: old.keyId,
      details: { successor: successor.view.publicId, graceEndsAt },
    });
    return { key: successor.key, view: successor.view, previous: await this.toView(previous) };
  }

  async revoke(ref: string, actor: string, reason = 'deleted'): Promise<KeyView> {
    const key = await this.getRecord(ref);
    if (key.status === 'revoked') throw revokedError(key);
    const revoked = await this.revokeRecord(key.keyId, actor, reason);
    if (!revoked) throw revokedError(key);
    return this.toView(revoked);
  }

  /** One conditional update: whoever revokes first writes the audit entry. */
  async revokeRecord(keyId: string, actor: string, reason: string, extraFilter: Record<string, unknown> = {}): Promise<KeyRecord | null> {
    const now = this.clock();
    const revoked = await this.models.Key.findOneAndUpdate(
      { keyId, status: { $ne: 'revoked' }, ...extraFilter },
      { $set: { status: 'revoked', revokedAt: now, revokedBy: actor, changedAt: now }, $unset: { nameLower: 1 } },
      { returnDocument: 'after' },
    ).lean<KeyRecord>();
    if (revoked) this.changes.notify(keyId);
    if (revoked) await this.audit.record({ actor, action: 'key.revoked', keyId, details: { reason } });
    return revoked;
  }

  // ── helpers ───────────────────────────────────────────────────────────

  private async successorName(name: string): Promise<string> {
    const base = name.replace(/-r\d+$/, '').slice(0, 58);
    for (let n = 2; ; n++) {
      const candidate = `${base}-r${n}`;
      if (!(await this.models.Key.exists({ nameLower: candidate.toLowerCase() }))) return candidate;
    }
  }
}

function duplicateName(name: string): DomainError {
  return new DomainError('conflict', `A key named "${name}" already exists (names are unique, ignoring case).`, 'name');
}

function revokedError(key: KeyRecord): DomainError {
  return new DomainError('conflict', `${publicIdOf(key.keyId)} (${key.name}) is revoked`, 'key');
}

function assertChangeable(key: KeyRecord): void {
  if (key.status === 'revoked') throw revokedError(key);
}
