import type { KeyFields, Models } from '../models/index.js';
import type { AuditLog } from './audit.js';
import type { Clock } from './clock.js';
import type { KeyService } from './keys.js';

/**
 * Key age and rotation grace (README: Scheduled jobs and alerts), without Slack:
 * - keys older than KEY_ROTATION_DAYS are flagged `rotationDue` once (a conditional update);
 * - the two notices of a flag (DM to the creator, channel message) are tracked on the key
 *   (`rotationDmAt`, `rotationAnnouncedAt`) so a Slack failure delays them, never loses them:
 *   a notice is claimed by setting its field (conditional on it being null), and the claim is
 *   undone if the send fails;
 * - rotated keys whose grace has ended are revoked.
 */

export type RotationKey = Pick<KeyFields, 'keyId' | 'name' | 'createdBy' | 'createdAt' | 'rotationFlaggedAt'>;

/** Keys whose notice this run sends; `claimedAt` identifies the claim (to release it). */
export interface NoticeClaim {
  keys: RotationKey[];
  claimedAt: Date;
}

export interface RotationOptions {
  keyRotationMs: number;
}

export const EXPIRY_ACTOR = 'system:expire-rotated-keys';
export const ROTATION_ACTOR = 'system:key-rotation';

const BATCH = 100;
const MAX_PER_RUN = 5000;
const NOTICE_FIELDS = { keyId: 1, name: 1, createdBy: 1, createdAt: 1, rotationFlaggedAt: 1 } as const;

export class RotationService {
  constructor(
    private readonly models: Models,
    private readonly keys: KeyService,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly options: RotationOptions,
  ) {}

  /** Keys created before this instant are due for rotation. */
  dueBefore(now = this.clock()): Date {
    return new Date(now.getTime() - this.options.keyRotationMs);
  }

  /** Flags every active key older than KEY_ROTATION_DAYS that is not flagged yet; returns those this call flagged. */
  async flagDueKeys(): Promise<RotationKey[]> {
    const now = this.clock();
    const dueBefore = this.dueBefore(now);
    const flagged: RotationKey[] = [];
    const passed: string[] = [];
    while (flagged.length + passed.length < MAX_PER_RUN) {
      const due = await this.models.Key.find(
        { status: 'active', createdAt: { $lt: dueBefore }, rotationDue: false, keyId: { $nin: passed } },
        { keyId: 1 },
      )
        .sort({ createdAt: 1 })
        .limit(BATCH)
        .lean();
      for (const { keyId } of due) {
        const key = await this.models.Key.findOneAndUpdate(
          { keyId, status: 'active', createdAt: { $lt: dueBefore }, rotationDue: false },
          { $set: { rotationDue: true, rotationFlaggedAt: now, rotationDmAt: null, rotationAnnouncedAt: null } },
          { returnDocument: 'after', projection: NOTICE_FIELDS },
        ).lean<RotationKey>();
        if (!key) {
          passed.push(keyId);
          continue;
        }
        flagged.push(key);
        await this.audit.record({ actor: ROTATION_ACTOR, action: 'key.rotation_due', keyId, details: { createdAt: key.createdAt } });
      }
      if (due.length < BATCH) break;
    }
    return flagged;
  }

  /** Claims the creator DMs still to send (flagged, still active keys). */
  claimPendingDms(): Promise<NoticeClaim> {
    return this.claimNotices('rotationDmAt');
  }

  /** Claims the keys still to announce in the alert channel. */
  claimPendingAnnouncements(): Promise<NoticeClaim> {
    return this.claimNotices('rotationAnnouncedAt');
  }

  /** The DM could not be sent: it goes out on a later run. */
  async releaseDm(key: RotationKey, claimedAt: Date): Promise<void> {
    await this.models.Key.updateOne({ keyId: key.keyId, rotationDmAt: claimedAt }, { $set: { rotationDmAt: null } });
  }

  /** The channel message could not be posted: its keys are announced on a later run. */
  async releaseAnnouncements(keys: RotationKey[], claimedAt: Date): Promise<void> {
    await this.models.Key.updateMany(
      { keyId: { $in: keys.map((k) => k.keyId) }, rotationAnnouncedAt: claimedAt },
      { $set: { rotationAnnouncedAt: null } },
    );
  }

  /**
   * Revokes rotated keys whose grace period has ended, each with one conditional update
   * (still `rotating`) and an audit entry. Returns the keyIds revoked by this call.
   */
  async expireRotatedKeys(): Promise<string[]> {
    const now = this.clock();
    const revoked: string[] = [];
    const passed: string[] = [];
    while (revoked.length + passed.length < MAX_PER_RUN) {
      const due = await this.models.Key.find({ status: 'rotating', graceEndsAt: { $lte: now }, keyId: { $nin: passed } }, { keyId: 1 })
        .sort({ graceEndsAt: 1 })
        .limit(BATCH)
        .lean();
      for (const { keyId } of due) {
        const record = await this.keys.revokeRecord(keyId, EXPIRY_ACTOR, 'rotation grace ended', { status: 'rotating' });
        if (record) revoked.push(keyId);
        else passed.push(keyId);
      }
      if (due.length < BATCH) break;
    }
    return revoked;
  }

  private async claimNotices(field: 'rotationDmAt' | 'rotationAnnouncedAt'): Promise<NoticeClaim> {
    const now = this.clock();
    const pending = await this.models.Key.find({ rotationDue: true, status: 'active', [field]: null }, { keyId: 1 })
      .sort({ rotationFlaggedAt: 1 })
      .limit(MAX_PER_RUN)
      .lean();
    const claimed: RotationKey[] = [];
    for (const { keyId } of pending) {
      const key = await this.models.Key.findOneAndUpdate(
        { keyId, rotationDue: true, status: 'active', [field]: null },
        { $set: { [field]: now } },
        { returnDocument: 'after', projection: NOTICE_FIELDS },
      ).lean<RotationKey>();
      if (key) claimed.push(key);
    }
    return { keys: claimed, claimedAt: now };
  }
}
