import type { Models } from '../models/index.js';
import type { AuditLog } from './audit.js';
import type { Clock } from './clock.js';
import { publicIdOf } from './keyMaterial.js';

/** Where a key was revealed: the one message (and QR file) that holds it. */
export interface Reveal {
  keyId: string;
  /** The key's name, for the redacted message. */
  name: string;
  userId: string;
  channel: string;
  ts: string;
  fileId: string | null;
  expiresAt: Date;
}

/**
 * Bookkeeping of the reveal-once DM, on the key's `reveal` subdocument.
 * The redaction is claimed with one conditional update (redactedAt null → now),
 * so the button, the TTL sweep and a second instance never redact twice; a
 * failed redaction releases its claim so the next sweep retries.
 * Knows nothing of Slack: channel/ts/fileId are opaque to it.
 */
export class RevealLedger {
  constructor(
    private readonly models: Pick<Models, 'Key'>,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly options: { revealTtlMs: number },
  ) {}

  /** The reveal message was posted: it must be redacted by `expiresAt`. */
  async recordPosted(keyId: string, where: { userId: string; channel: string; ts: string }): Promise<Date> {
    const now = this.clock();
    const expiresAt = new Date(now.getTime() + this.options.revealTtlMs);
    await this.models.Key.updateOne(
      { keyId },
      {
        $set: {
          'reveal.userId': where.userId,
          'reveal.channel': where.channel,
          'reveal.ts': where.ts,
          'reveal.fileId': null,
          'reveal.expiresAt': expiresAt,
          'reveal.redactedAt': null,
        },
      },
    );
    await this.audit.record({ actor: where.userId, action: 'key.revealed', keyId, details: { to: where.userId, expiresAt } });
    return expiresAt;
  }

  /**
   * The QR file was uploaded. False when the reveal was redacted meanwhile:
   * then nobody will delete the file but the caller, who must.
   */
  async attachFile(keyId: string, ts: string, fileId: string): Promise<boolean> {
    const result = await this.models.Key.updateOne(
      { keyId, 'reveal.ts': ts, 'reveal.redactedAt': null },
      { $set: { 'reveal.fileId': fileId } },
    );
    return result.matchedCount === 1;
  }

  /**
   * Claims the redaction of a key's reveal (only `userId`'s, when given).
   * Null when there is nothing to redact: never revealed, or already redacted.
   */
  async claimRedaction(keyId: string, { userId }: { userId?: string } = {}): Promise<(Reveal & { claimedAt: Date }) | null> {
    const claimedAt = this.clock();
    const before = await this.models.Key.findOneAndUpdate(
      { keyId, 'reveal.ts': { $ne: null }, 'reveal.redactedAt': null, ...(userId ? { 'reveal.userId': userId } : {}) },
      { $set: { 'reveal.redactedAt': claimedAt } },
      { returnDocument: 'before', projection: { keyId: 1, name: 1, reveal: 1 } },
    ).lean();
    if (!before?.reveal?.ts || !before.reveal.channel) return null;
    return {
      keyId,
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
  async releaseClaim(keyId: string, claimedAt: Date): Promise<void> {
    await this.models.Key.updateOne({ keyId, 'reveal.redactedAt': claimedAt }, { $set: { 'reveal.redactedAt': null } });
  }

  async recordRedacted(reveal: Reveal, actor: string): Promise<void> {
    await this.audit.record({ actor, action: 'key.reveal_redacted', keyId: reveal.keyId, details: { of: publicIdOf(reveal.keyId) } });
  }

  /** Keys whose reveal message outlived REVEAL_TTL_MINUTES and is not redacted yet. */
  async due(limit = 100): Promise<string[]> {
    const rows = await this.models.Key.find(
      { 'reveal.expiresAt': { $lte: this.clock() }, 'reveal.redactedAt': null, 'reveal.ts': { $ne: null } },
      { keyId: 1 },
    )
      .sort({ 'reveal.expiresAt': 1 })
      .limit(limit)
      .lean();
    return rows.map((row) => row.keyId);
  }
}
