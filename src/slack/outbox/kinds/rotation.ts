import { OutboxKind } from '../../../domain/outboxRefs.js';
import type { RotationKey } from '../../../domain/rotation.js';
import { KEYS_PER_ROTATION_NOTICE, rotationDm, rotationNotice, rotationWarningDm } from '../../blocks/rotationNotices.js';
import { isSlackUserId } from '../../format.js';
import type { Delivery, OutboxKind as Kind, OutboxContext } from '../kind.js';

const DAY_MS = 24 * 60 * 60_000;
const FIELDS = { keyId: 1, name: 1, createdBy: 1, createdAt: 1, rotationFlaggedAt: 1, status: 1, rotationDue: 1 } as const;
type NoticeKey = RotationKey & { status: string; rotationDue: boolean };

const rotationDays = (context: OutboxContext) => Math.round((context.config.keyRotationMs / DAY_MS) * 100) / 100;

/** A still active key (rotated or revoked since: nothing to say), created by a Slack user (else nobody to DM). */
async function dmKey(context: OutboxContext, keyId: string): Promise<NoticeKey | string> {
  const key = await context.models.Key.findOne({ keyId }, FIELDS).lean<NoticeKey>();
  if (key?.status !== 'active') return 'the key was rotated or revoked since';
  if (!isSlackUserId(key.createdBy)) return `its creator (${key.createdBy}) is not a Slack user`;
  return key;
}

/** KEY_ROTATION_WARN_DAYS before a key is due: the DM with a Rotate now button. */
export const rotationWarningKind: Kind = {
  kind: OutboxKind.rotationWarning,
  method: 'chat.postMessage',
  async render([item], context): Promise<Delivery> {
    const key = await dmKey(context, item!.subject);
    if (typeof key === 'string') return { skip: key };
    if (key.rotationDue) return { skip: 'the key is due already (its due notice says so)' };
    const dueAt = context.domain.rotation.dueAt(key.createdAt);
    return { steps: [{ call: 'dm', user: key.createdBy, message: rotationWarningDm(key, dueAt, context.clock()) }] };
  },
};

/** The DM to a key's creator when it is due for rotation. */
export const rotationDueKind: Kind = {
  kind: OutboxKind.rotationDue,
  method: 'chat.postMessage',
  async render([item], context): Promise<Delivery> {
    const key = await dmKey(context, item!.subject);
    if (typeof key === 'string') return { skip: key };
    return { steps: [{ call: 'dm', user: key.createdBy, message: rotationDm(key, context.clock(), rotationDays(context)) }] };
  },
};

/** Keys due for rotation, listed in one message in ALERT_CHANNEL_ID (up to 40 at a time). */
export const rotationNoticeKind: Kind = {
  kind: OutboxKind.rotationNotice,
  method: 'chat.postMessage',
  batch: KEYS_PER_ROTATION_NOTICE,
  async render(items, context): Promise<Delivery> {
    const keys = await context.models.Key.find({ keyId: { $in: items.map((i) => i.subject) }, status: 'active' }, FIELDS)
      .sort({ createdAt: 1 })
      .lean<NoticeKey[]>();
    if (keys.length === 0) return { skip: 'the keys were rotated or revoked since' };
    const message = rotationNotice(keys, context.clock(), rotationDays(context));
    return { steps: [{ call: 'post', channel: context.config.slack.alertChannelId, message }] };
  },
};
