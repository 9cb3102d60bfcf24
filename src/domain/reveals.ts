import type { ApiTokenModel, KeyModel } from '../models/index.js';
import type { AuditLog } from './audit.js';
import type { Clock } from './clock.js';
import { publicIdOf } from './keyMaterial.js';

/** What was revealed: a phone key (its DM also has a QR file) or a management API token. */
export interface RevealSubject {
  kind: 'key' | 'token';
  model: KeyModel | ApiTokenModel;
  /** The document's id field: `keyId` or `tokenId`. */
  idField: 'keyId' | 'tokenId';
  /** `pk_<id>` / `mk_<id>`. */
  publicIdOf(id: string): string;
}

/** Where a secret was revealed: the one message (and file) that holds it. */
export interface Reveal {
  /** The key's or the token's id. */
  id: string;
  /** Its name, for the redacted message. */
  name: string;
  userId: string;
  channel: string;
  ts: string;
  fileId: string | null;
  expiresAt: Date;
}

interface RevealDocument {
  name?: string;
  reveal?: { userId?: string | null; channel?: string | null; ts?: string | null; fileId?: string | null; expiresAt?: Date | null };
}

/** One model type for the queries below: both models share the `reveal` subdocument and `name`. */
type AnyRevealModel = KeyModel;

/**
 * Bookkeeping of a reveal-once DM, on the secret's `reveal` subdocument (keys and API tokens
 * alike). The redaction is claimed with one conditional update (redactedAt null → now), so the
 * button, the TTL sweep and a second instance never redact twice; a failed redaction releases
 * its claim so the next sweep retries. Knows nothing of Slack: channel/ts/fileId are opaque to it.
 */
export class RevealLedger {
  private readonly model: AnyRevealModel;

  constructor(
    private readonly subject: RevealSubject,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly options: { revealTtlMs: number },
  ) {
    this.model = subject.model as AnyRevealModel;
  }

  private byId(id: string): Record<string, string> {
    return { [this.subject.idField]: id };
  }

  /** Audit entries of keys name the key; those of tokens name the token in their details. */
  private auditTarget(id: string): { keyId?: string; details: Record<string, unknown> } {
    return this.subject.kind === 'key' ? { keyId: id, details: {} } : { details: { token: this.subject.publicIdOf(id) } };
  }

  /** The reveal message was posted: it must be redacted by `expiresAt`. */
  async recordPosted(id: string, where: { userId: string; channel: string; ts: string }): Promise<Date> {
    const now = this.clock();
    const expiresAt = new Date(now.getTime() + this.options.revealTtlMs);
    await this.model.updateOne(this.byId(id), {
      $set: {
        'reveal.userId': where.userId,
        'reveal.channel': where.channel,
        'reveal.ts': where.ts,
        'reveal.fileId': null,
        'reveal.expiresAt': expiresAt,
        'reveal.redactedAt': null,
      },
    });
    const target = this.auditTarget(id);
    await this.audit.record({
      actor: where.userId,
      action: `${this.subject.kind}.revealed`,
      keyId: target.keyId,
      details: { ...target.details, to: where.userId, expiresAt },
    });
    return expiresAt;
  }

  /**
   * A file of the secret (a key's QR code) was uploaded. False when the reveal was redacted
   * meanwhile: then nobody will delete the file but the caller, who must.
   */
  async attachFile(id: string, ts: string, fileId: string): Promise<boolean> {
    const result = await this.model.updateOne(
      { ...this.byId(id), 'reveal.ts': ts, 'reveal.redactedAt': null },
      { $set: { 'reveal.fileId': fileId } },
    );
    return result.matchedCount === 1;
  }

  /**
   * The secret was revoked: its reveal DM, if it still shows it, is due for redaction now (the
   * sweep does it within a minute if the immediate redaction fails).
   */
  async makeDue(id: string): Promise<void> {
    await this.model.updateOne(
      { ...this.byId(id), 'reveal.ts': { $ne: null }, 'reveal.redactedAt': null },
      { $set: { 'reveal.expiresAt': this.clock() } },
    );
  }

  /**
   * Claims the redaction of a reveal (only `userId`'s, when given).
   * Null when there is nothing to redact: never revealed, or already redacted.
   */
  async claimRedaction(id: string, { userId }: { userId?: string } = {}): Promise<(Reveal & { claimedAt: Date }) | null> {
    const claimedAt = this.clock();
    const before = await this.model
      .findOneAndUpdate(
        { ...this.byId(id), 'reveal.ts': { $ne: null }, 'reveal.redactedAt': null, ...(userId ? { 'reveal.userId': userId } : {}) },
        { $set: { 'reveal.redactedAt': claimedAt } },
        { returnDocument: 'before', projection: { name: 1, reveal: 1 } },
      )
      .lean<RevealDocument>();
    if (!before?.reveal?.ts || !before.reveal.channel) return null;
    return {
      id,
      name: before.name ?? '',
      userId: before.reveal.userId ?? '',
      channel: before.reveal.channel,
      ts: before.reveal.ts,
      fileId: before.reveal.fileId ?? null,
      expiresAt: before.reveal.expiresAt ?? claimedAt,
      claimedAt,
    };
  }

  /** The redaction failed: give the claim back so the next sweep retries. */
  async releaseClaim(id: string, claimedAt: Date): Promise<void> {
    await this.model.updateOne({ ...this.byId(id), 'reveal.redactedAt': claimedAt }, { $set: { 'reveal.redactedAt': null } });
  }

  async recordRedacted(reveal: Reveal, actor: string): Promise<void> {
    const target = this.auditTarget(reveal.id);
    await this.audit.record({
      actor,
      action: `${this.subject.kind}.reveal_redacted`,
      keyId: target.keyId,
      details: { ...target.details, of: this.subject.publicIdOf(reveal.id) },
    });
  }

  /** Ids whose reveal message outlived REVEAL_TTL_MINUTES and is not redacted yet. */
  async due(limit = 100): Promise<string[]> {
    const rows = await this.model
      .find(
        { 'reveal.expiresAt': { $lte: this.clock() }, 'reveal.redactedAt': null, 'reveal.ts': { $ne: null } },
        { [this.subject.idField]: 1 },
      )
      .sort({ 'reveal.expiresAt': 1 })
      .limit(limit)
      .lean<Record<string, string>[]>();
    return rows.map((row) => row[this.subject.idField]!);
  }
}

export const keyRevealSubject = (model: KeyModel): RevealSubject => ({ kind: 'key', model, idField: 'keyId', publicIdOf });
