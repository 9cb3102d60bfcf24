import type { KeyFields, Models } from '../models/index.js';
import type { AuditLog } from './audit.js';
import type { Clock } from './clock.js';
import type { KeyService } from './keys.js';
import type { Outbox } from './outbox.js';
import { OutboxKind } from './outboxRefs.js';

/**
 * Key age and rotation grace (README: Scheduled jobs and alerts), without Slack:
 * - KEY_ROTATION_WARN_DAYS before a key is due, its creator is warned once (a DM with a Rotate
 *   now button);
 * - keys older than KEY_ROTATION_DAYS are flagged `rotationDue` once (a conditional update), with
 *   two notices: a DM to the creator, and the key's line in a channel message;
 * - rotated keys whose grace has ended are revoked.
 * The notices are owed in the outbox before the flag is written (idempotently: one per key and
 * notice), so a crash in between loses none; a Slack failure delays them, never loses them.
 */

export type RotationKey = Pick<KeyFields, 'keyId' | 'name' | 'createdBy' | 'createdAt' | 'rotationFlaggedAt'>;

export interface RotationOptions {
  keyRotationMs: number;
  /** 0: no warnings. */
  keyRotationWarnMs: number;
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
    private readonly outbox: Outbox,
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
        await this.outbox.enqueue({ kind: OutboxKind.rotationDue, subject: keyId, episode: 'due' });
        await this.outbox.enqueue({ kind: OutboxKind.rotationNotice, subject: keyId, episode: 'due' });
        const key = await this.models.Key.findOneAndUpdate(
          { keyId, status: 'active', createdAt: { $lt: dueBefore }, rotationDue: false },
          { $set: { rotationDue: true, rotationFlaggedAt: now } },
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

  /**
   * Warns, once, the creators of active keys that will be due within KEY_ROTATION_WARN_DAYS (and
   * are not due yet). Returns the keys warned by this call.
   */
  async warnDueSoon(): Promise<RotationKey[]> {
    if (this.options.keyRotationWarnMs <= 0) return [];
    const now = this.clock();
    const dueBefore = this.dueBefore(now);
    const warnBefore = new Date(dueBefore.getTime() + this.options.keyRotationWarnMs);
    const warned: RotationKey[] = [];
    const passed: string[] = [];
    while (warned.length + passed.length < MAX_PER_RUN) {
      const soon = await this.models.Key.find(
        { rotationWarnedAt: null, status: 'active', createdAt: { $gte: dueBefore, $lt: warnBefore }, keyId: { $nin: passed } },
        { keyId: 1 },
      )
        .limit(BATCH)
        .lean();
      for (const { keyId } of soon) {
        await this.outbox.enqueue({ kind: OutboxKind.rotationWarning, subject: keyId, episode: 'warning' });
        const key = await this.models.Key.findOneAndUpdate(
          { keyId, rotationWarnedAt: null, status: 'active' },
          { $set: { rotationWarnedAt: now } },
          { returnDocument: 'after', projection: NOTICE_FIELDS },
        ).lean<RotationKey>();
        if (key) warned.push(key);
        else passed.push(keyId);
      }
      if (soon.length < BATCH) break;
    }
    return warned;
  }

  /** When a key becomes due for rotation. */
  dueAt(createdAt: Date): Date {
    return new Date(createdAt.getTime() + this.options.keyRotationMs);
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
}
