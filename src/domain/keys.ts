import type { IpLockMode, KeyFields, KeyStatus, Models } from '../models/index.js';
import type { AuditLog } from './audit.js';
import type { Clock } from './clock.js';
import { DomainError, isDuplicateKeyError } from './errors.js';
import { ipMatches, normalizeIp, parseIpList } from './ipLock.js';
import { decryptKey, encryptKey, generateKey, hashKey, parsePublicId, publicIdOf } from './keyMaterial.js';
import { normalizePhoneNumber } from './phoneNumbers.js';

/** Names are used as `<key>` in commands: one word, 1–64 characters, not shaped like a key id. */
export const KEY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const MAX_DESCRIPTION_LENGTH = 500;

export interface IpLockInput {
  mode: IpLockMode;
  /** For `list`: addresses and CIDR ranges, comma- or space-separated. */
  list?: string;
}

export interface KeyView {
  keyId: string;
  publicId: string;
  name: string;
  description: string;
  createdBy: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  timesUsed: number;
  status: KeyStatus;
  ipLock: { mode: IpLockMode; entries: string[]; firstIp: string | null };
  phoneNumbers: string[];
  rotationDue: boolean;
  graceEndsAt: Date | null;
  rotatedTo: string | null;
  rotatedFrom: string | null;
}

export type WebhookKeyRefusal = { ok: false; reason: 'unknown_key' | 'revoked' | 'grace_ended' | 'ip_not_allowed'; message: string };
export interface WebhookKey {
  ok: true;
  keyId: string;
  /** The whole key: the HMAC secret of its phone's signatures. Never logged. */
  secret: string;
  /** True when the key is in `first` mode and not yet locked: claim the IP once the signature checks out. */
  claimFirstIp: boolean;
}

/** What the webhook check needs of a key; small enough to cache. */
export interface KeySnapshot {
  keyId: string;
  status: KeyStatus;
  graceEndsAt: Date | null;
  ipLock: { mode: IpLockMode; entries: string[]; firstIp: string | null };
  secret: string;
}

type KeyRecord = KeyFields & { _id: unknown };

/**
 * The key domain: creation, governance (IP lock, phones, rotation, revocation),
 * and the check the webhook receiver makes. Knows neither Slack nor HTTP.
 */
export class KeyService {
  constructor(
    private readonly models: Models,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly options: { encryptionKey: Buffer; rotationGraceMs: number },
  ) {}

  private readonly changeListeners = new Set<(keyId: string) => void>();

  /**
   * Called on this instance right after every write that changes what the webhook check
   * decides from (status, IP lock), so a cache here can drop the key at once; other
   * instances learn of it from `changedAt`. Returns the unsubscribe function.
   */
  onChange(listener: (keyId: string) => void): () => void {
    this.changeListeners.add(listener);
    return () => void this.changeListeners.delete(listener);
  }

  private changed(keyId: string): void {
    for (const listener of this.changeListeners) listener(keyId);
  }

  // ── creation ──────────────────────────────────────────────────────────

  /** Validates everything first and reports every problem, so a form can show them all. */
  validateNew(input: { name: string; description?: string; ipLock: IpLockInput }): { errors: Record<string, string>; entries: string[] } {
    const errors: Record<string, string> = {};
    const name = input.name.trim();
    if (!name) errors.name = 'Give the key a name.';
    else if (name.length > 64) errors.name = 'A name has at most 64 characters.';
    else if (!KEY_NAME_PATTERN.test(name))
      errors.name = 'Use letters, digits, dots, dashes and underscores (no spaces); start with a letter or digit.';
    else if (/^pk_/i.test(name)) errors.name = 'A name may not start with pk_ (that is how key ids look).';
    if ((input.description ?? '').length > MAX_DESCRIPTION_LENGTH)
      errors.description = `A description has at most ${MAX_DESCRIPTION_LENGTH} characters.`;
    const { entries, error } = this.validateIpLock(input.ipLock);
    if (error) errors.ip_list = error;
    return { errors, entries };
  }

  /**
   * validateNew plus the one rule that needs the database (a free name), for forms
   * that show every problem inline before anything is created.
   */
  async checkNew(input: {
    name: string;
    description?: string;
    ipLock: IpLockInput;
  }): Promise<{ errors: Record<string, string>; entries: string[] }> {
    const result = this.validateNew(input);
    const name = input.name.trim();
    if (!result.errors.name && (await this.models.Key.exists({ nameLower: name.toLowerCase() }))) {
      result.errors.name = duplicateName(name).message;
    }
    return result;
  }

  async create(input: {
    name: string;
    description?: string;
    ipLock: IpLockInput;
    actor: string;
    rotatedFrom?: string;
  }): Promise<{ key: string; view: KeyView }> {
    const { errors, entries } = this.validateNew(input);
    const first = Object.entries(errors)[0];
    if (first) throw new DomainError('invalid', first[1], first[0]);
    const name = input.name.trim();

    // A key id collision (40 random bits) is possible in principle: try again with a fresh key.
    for (let attempt = 0; ; attempt++) {
      const { keyId, key } = generateKey();
      try {
        const now = this.clock();
        const record = await this.models.Key.create({
          keyId,
          name,
          nameLower: name.toLowerCase(),
          description: (input.description ?? '').trim(),
          createdBy: input.actor,
          hash: hashKey(key),
          cipher: encryptKey(key, keyId, this.options.encryptionKey),
          status: 'active',
          ipLock: { mode: input.ipLock.mode, entries, firstIp: null },
          rotatedFrom: input.rotatedFrom ?? null,
          changedAt: now,
          createdAt: now,
          updatedAt: now,
        });
        await this.audit.record({
          actor: input.actor,
          action: input.rotatedFrom ? 'key.created_by_rotation' : 'key.created',
          keyId,
          details: {
            name,
            ipLock: input.ipLock.mode,
            entries,
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

  // ── lookup ────────────────────────────────────────────────────────────

  /** `pk_<id>` (any status) or a name (keys not revoked); throws not_found. */
  async get(ref: string): Promise<KeyView> {
    return this.toView(await this.getRecord(ref));
  }

  /** Newest first. */
  async list({ includeRevoked = false, limit = 1000 } = {}): Promise<KeyView[]> {
    const filter = includeRevoked ? {} : { status: { $ne: 'revoked' as const } };
    // _id breaks ties between keys created in the same millisecond (ObjectIds grow).
    const records = await this.models.Key.find(filter).sort({ createdAt: -1, _id: -1 }).limit(limit).lean<KeyRecord[]>();
    const phones = await this.models.Phone.find({ keyId: { $in: records.map((r) => r.keyId) } }, { number: 1, keyId: 1 }).lean();
    const numbersOf = new Map<string, string[]>();
    for (const phone of phones) numbersOf.set(phone.keyId!, [...(numbersOf.get(phone.keyId!) ?? []), phone.number]);
    return records.map((r) => this.viewOf(r, numbersOf.get(r.keyId) ?? []));
  }

  /** Keys by status, and active keys due for rotation (for the metrics). */
  async countByStatus(): Promise<Record<KeyStatus | 'rotation_due', number>> {
    const { Key } = this.models;
    const [active, rotating, revoked, due] = await Promise.all([
      Key.countDocuments({ status: 'active' }),
      Key.countDocuments({ status: 'rotating' }),
      Key.countDocuments({ status: 'revoked' }),
      Key.countDocuments({ status: 'active', rotationDue: true }),
    ]);
    return { active, rotating, revoked, rotation_due: due };
  }

  // ── governance ────────────────────────────────────────────────────────

  validateIpLock(lock: IpLockInput): { entries: string[]; error?: string } {
    if (lock.mode !== 'list') return { entries: [] };
    const { entries, invalid } = parseIpList(lock.list ?? '');
    if (invalid.length > 0) return { entries, error: `Not an IP address or CIDR range: ${invalid.join(', ')}` };
    if (entries.length === 0) return { entries, error: 'List at least one IP address or CIDR range.' };
    if (entries.length > 100) return { entries, error: 'At most 100 addresses or ranges.' };
    return { entries };
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
    this.changed(key.keyId);
    await this.audit.record({
      actor,
      action: lock.mode === 'off' ? 'key.unlocked' : 'key.locked',
      keyId: key.keyId,
      details: { mode: lock.mode, entries },
    });
    return this.toView(updated);
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
    for (const number of numbers) {
      const before = await this.models.Phone.findOneAndUpdate(
        { number },
        { $set: { keyId, linkedAt: now, registeredAt: now }, $setOnInsert: { number, state: 'new' } },
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

  /** The first of `numbers` not linked to the key, if any. */
  async firstUnlinked(keyId: string, numbers: string[]): Promise<string | undefined> {
    const linked = await this.models.Phone.find({ number: { $in: numbers }, keyId }, { number: 1 }).lean();
    return numbers.find((n) => !linked.some((p) => p.number === n));
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
    if (previous) this.changed(old.keyId);
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
    if (revoked) this.changed(keyId);
    if (revoked) await this.audit.record({ actor, action: 'key.revoked', keyId, details: { reason } });
    return revoked;
  }

  // ── the webhook check ─────────────────────────────────────────────────

  /** Loads what the webhook check needs (decrypting the key); null for an unknown id. */
  async snapshot(keyId: string): Promise<KeySnapshot | null> {
    const record = await this.models.Key.findOne({ keyId }).lean<KeyRecord>();
    return record ? this.snapshotOf(record) : null;
  }

  snapshotOf(record: KeyRecord): KeySnapshot {
    return {
      keyId: record.keyId,
      status: record.status,
      graceEndsAt: record.graceEndsAt ?? null,
      ipLock: { mode: record.ipLock.mode, entries: [...record.ipLock.entries], firstIp: record.ipLock.firstIp ?? null },
      secret: decryptKey(record.cipher, record.keyId, this.options.encryptionKey),
    };
  }

  /**
   * Given `pk_<id>` and the client IP: the signing secret, or why the key is refused.
   * Decides from a snapshot (possibly cached by the caller); never writes.
   */
  judge(snapshot: KeySnapshot | null, ip: string, now = this.clock()): WebhookKey | WebhookKeyRefusal {
    if (!snapshot) return { ok: false, reason: 'unknown_key', message: 'unknown key id' };
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
      return {
        ok: false,
        reason: 'ip_not_allowed',
        message: `key ${id} is locked to the first IP that used it; ${client || ip} is not it`,
      };
    }
    return { ok: true, keyId: snapshot.keyId, secret: snapshot.secret, claimFirstIp: lock.mode === 'first' && !lock.firstIp };
  }

  /** The check with a fresh read: `pk_<id>` (or the bare id) and the client IP. */
  async check(publicId: string, ip: string): Promise<WebhookKey | WebhookKeyRefusal> {
    const keyId = parsePublicId(publicId) ?? (/^[a-z2-7]{8}$/.test(publicId) ? publicId : undefined);
    if (!keyId) return { ok: false, reason: 'unknown_key', message: 'unknown key id' };
    return this.judge(await this.snapshot(keyId), ip);
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
      this.changed(keyId);
      await this.audit.record({
        actor: `phone:${publicIdOf(keyId)}`,
        action: 'key.ip_locked_on_first_use',
        keyId,
        details: { ip: client },
      });
      return true;
    }
    // Lost the race, or the lock changed meanwhile: answer by the lock as it is now.
    const current = await this.models.Key.findOne({ keyId }, { ipLock: 1 }).lean<KeyRecord>();
    if (!current) return false;
    if (current.ipLock.mode === 'first') return current.ipLock.firstIp === client;
    if (current.ipLock.mode === 'list') return ipMatches(client, current.ipLock.entries);
    return true;
  }

  // ── helpers ───────────────────────────────────────────────────────────

  private async findRecord(ref: string): Promise<KeyRecord | null> {
    const trimmed = ref.trim();
    const keyId = parsePublicId(trimmed);
    if (keyId) return this.models.Key.findOne({ keyId }).lean<KeyRecord>();
    if (!trimmed) return null;
    return this.models.Key.findOne({ nameLower: trimmed.toLowerCase() }).lean<KeyRecord>();
  }

  private async getRecord(ref: string): Promise<KeyRecord> {
    const record = await this.findRecord(ref);
    if (!record) throw new DomainError('not_found', `No key called "${ref.trim()}" (give its pk_ id or its name; see /keys list)`, 'key');
    return record;
  }

  private async successorName(name: string): Promise<string> {
    const base = name.replace(/-r\d+$/, '').slice(0, 58);
    for (let n = 2; ; n++) {
      const candidate = `${base}-r${n}`;
      if (!(await this.models.Key.exists({ nameLower: candidate.toLowerCase() }))) return candidate;
    }
  }

  private async toView(record: KeyRecord): Promise<KeyView> {
    const phones = await this.models.Phone.find({ keyId: record.keyId }, { number: 1 }).lean();
    return this.viewOf(
      record,
      phones.map((p) => p.number),
    );
  }

  private viewOf(record: KeyRecord, phoneNumbers: string[]): KeyView {
    return {
      keyId: record.keyId,
      publicId: publicIdOf(record.keyId),
      name: record.name,
      description: record.description ?? '',
      createdBy: record.createdBy,
      createdAt: record.createdAt,
      lastUsedAt: record.lastUsedAt ?? null,
      timesUsed: record.timesUsed ?? 0,
      status: record.status,
      ipLock: { mode: record.ipLock.mode, entries: [...record.ipLock.entries], firstIp: record.ipLock.firstIp ?? null },
      phoneNumbers: phoneNumbers.sort(),
      rotationDue: record.rotationDue ?? false,
      graceEndsAt: record.graceEndsAt ?? null,
      rotatedTo: record.rotatedTo ?? null,
      rotatedFrom: record.rotatedFrom ?? null,
    };
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
