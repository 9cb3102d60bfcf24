import { KEY_SCOPES, type KeyAlgorithm, type KeyEnvironment, type Models } from '../models/index.js';
import type { AuditLog } from './audit.js';
import type { Clock } from './clock.js';
import { DomainError, invalidFields, isDuplicateKeyError } from './errors.js';
import type { KeyChanges } from './keyChanges.js';
import { duplicateName, insertKey } from './keyCreation.js';
import { KeyDirectory, type KeyRecord } from './keyDirectory.js';
import { publicIdOf } from './keyMaterial.js';
import { KeyRotation, type Revocation, type RevocationPreview, revokedError } from './keyRotation.js';
import {
  type IpLockInput,
  type KeyChangeSet,
  type KeyEditInput,
  type NewKeyInput,
  normalizeScopes,
  planKeyEdit,
  validateIpLock,
  validateNewKey,
} from './keyRules.js';
import type { KeyView } from './keyView.js';
import type { Outbox } from './outbox.js';
import { OutboxKind } from './outboxRefs.js';
import { normalizePhoneNumber } from './phoneNumbers.js';

export type { KeyRecord } from './keyDirectory.js';
export type { PredecessorOutcome, Revocation, RevocationPreview } from './keyRotation.js';
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
    private readonly outbox: Outbox,
    private readonly options: {
      encryptionKey: Buffer;
      rotationGraceMs: number;
      /** Called (and awaited) once a key is revoked. */
      onRevoked?: (keyId: string, actor: string) => Promise<unknown>;
      /** Called (and awaited) once a number is unlinked (or found unlinked by a retry); returns how many alerts it closed. */
      onUnlinked?: (phoneNumber: string, actor: string) => Promise<number>;
    },
  ) {
    super(models);
    this.rotation = new KeyRotation({
      models,
      audit,
      clock,
      changes,
      rotationGraceMs: options.rotationGraceMs,
      onRevoked: options.onRevoked,
      create: (input) => this.create(input),
      view: (record) => this.toView(record),
    });
  }

  private readonly rotation: KeyRotation;

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

    const record = await insertKey(
      { models: this.models, audit: this.audit, clock: this.clock, changes: this.changes, encryptionKey: this.options.encryptionKey },
      { ...input, name, description: (input.description ?? '').trim(), entries, scopes, environment, algorithm },
    );
    return { key: record.key, view: await this.toView(record.record) };
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

  /**
   * Unlinks one number (typed as people type it): one conditional update, audited; its open alerts
   * are then closed (onUnlinked). Returns the key, the number in E.164 and how many alerts closed.
   */
  async unlinkPhone(ref: string, rawNumber: string, actor: string): Promise<{ view: KeyView; number: string; alertsClosed: number }> {
    const key = await this.getRecord(ref);
    const number = normalizePhoneNumber(rawNumber);
    if (!number)
      throw new DomainError('invalid', `"${rawNumber}" is not a phone number in E.164 form (like +2348012345678)`, 'phone_number');
    const result = await this.models.Phone.updateOne({ number, keyId: key.keyId }, { $set: { keyId: null, linkedAt: null } });
    if (result.modifiedCount === 0) {
      // A retry after a crash between the unlink and its alerts' closing finishes the closing (a no-op otherwise).
      if (await this.options.onUnlinked?.(number, actor))
        this.changes.notifyFollowUp({ type: 'unlinked', keyId: key.keyId, phoneNumber: number, actor });
      throw new DomainError('not_found', `${number} is not linked to ${publicIdOf(key.keyId)} (${key.name})`, 'phone_number');
    }
    await this.audit.record({ actor, action: 'phone.unlinked', keyId: key.keyId, phoneNumber: number });
    const alertsClosed = (await this.options.onUnlinked?.(number, actor)) ?? 0;
    this.changes.notifyFollowUp({ type: 'unlinked', keyId: key.keyId, phoneNumber: number, actor });
    return { view: await this.toView(key), number, alertsClosed };
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
        { $set: { keyId, environment, linkedAt: now, registeredAt: now }, $setOnInsert: { number, state: 'new', firstLinkedAt: now } },
        { upsert: true, returnDocument: 'before' },
      ).lean();
      if (before?.keyId === keyId) continue;
      if (before?.keyId) {
        moved.push({ number, from: before.keyId });
        if (await this.isTakeover(before.keyId, keyId)) {
          // Anyone holding a key can register any number: on-call is told, or the taker could hide an outage.
          await this.outbox.enqueue(
            { kind: OutboxKind.phoneTakeover, subject: number, episode: `${before.keyId}>${keyId}@${now.getTime()}` },
            { payload: { number, from: before.keyId, to: keyId, at: now } },
          );
        }
      }
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
   * A number moving off a live key is news for on-call (whoever holds another key can take a
   * number, and with it the alerts of a real outage), unless it moves to the key's rotation
   * successor: the phone switching over. A number leaving a test key was never on-call's.
   */
  private async isTakeover(from: string, to: string): Promise<boolean> {
    const old = await this.models.Key.findOne({ keyId: from }, { rotatedTo: 1, environment: 1 }).lean();
    return Boolean(old) && old!.rotatedTo !== to && (old!.environment ?? 'live') === 'live';
  }

  // ── rotation and revocation (keyRotation.ts) ──────────────────────────

  /** Creates the successor and puts the old key into `rotating` until its grace ends. */
  async rotate(ref: string, actor: string): Promise<{ key: string; view: KeyView; previous: KeyView }> {
    return this.rotation.rotate(await this.getRecord(ref), actor);
  }

  /** Revokes at once; a rotation's predecessor is settled (keyRotation.ts). */
  async revoke(ref: string, actor: string, reason = 'deleted'): Promise<Revocation> {
    return this.rotation.revoke(await this.getRecord(ref), actor, reason);
  }

  /** What deleting the key would do, for a confirmation; writes nothing. */
  async previewRevoke(ref: string): Promise<RevocationPreview> {
    return this.rotation.preview(await this.getRecord(ref));
  }

  /** One conditional update: whoever revokes first writes the audit entry. Null when already revoked. */
  async revokeRecord(keyId: string, actor: string, reason: string, extraFilter: Record<string, unknown> = {}): Promise<KeyRecord | null> {
    return (await this.rotation.revokeRecord(keyId, actor, reason, extraFilter))?.record ?? null;
  }
}

function assertChangeable(key: KeyRecord): void {
  if (key.status === 'revoked') throw revokedError(key);
}
