import type { AppContext } from '../context.js';
import { publicIdOf } from '../domain/keyMaterial.js';
import { OutboxKind } from '../domain/outboxRefs.js';

/**
 * key-rotation: warns the creators of keys that will soon be due (KEY_ROTATION_WARN_DAYS),
 * flags keys older than KEY_ROTATION_DAYS (domain/rotation.ts), then one outbox pass delivers
 * the notices owed: the DMs, and the channel messages listing the flagged keys. Notices Slack
 * refused go out on a later pass.
 */

export interface KeyRotationSummary {
  warned: number;
  flagged: number;
  warningsSent: number;
  dmsSent: number;
  announced: number;
  slackFailures: number;
  givenUp: number;
}

export async function keyRotationJob(context: AppContext): Promise<KeyRotationSummary> {
  const { rotation } = context.domain;
  const log = context.logger.child({ job: 'key-rotation' });
  const warned = await rotation.warnDueSoon();
  for (const key of warned) log.info({ keyId: publicIdOf(key.keyId), name: key.name }, 'key due for rotation soon: creator warned');
  const flagged = await rotation.flagDueKeys();
  for (const key of flagged) log.info({ keyId: publicIdOf(key.keyId), name: key.name }, 'key due for rotation');
  const drained = await context.slackOutbox.drain();
  return {
    warned: warned.length,
    flagged: flagged.length,
    warningsSent: drained.delivered[OutboxKind.rotationWarning] ?? 0,
    dmsSent: drained.delivered[OutboxKind.rotationDue] ?? 0,
    announced: drained.delivered[OutboxKind.rotationNotice] ?? 0,
    slackFailures: drained.failed,
    givenUp: drained.givenUp,
  };
}

export interface ExpireRotatedKeysSummary {
  revoked: number;
}

/** expire-rotated-keys: rotated keys whose grace has ended are revoked (the receiver already refuses them). */
export async function expireRotatedKeysJob(context: AppContext): Promise<ExpireRotatedKeysSummary> {
  const revoked = await context.domain.rotation.expireRotatedKeys();
  for (const keyId of revoked)
    context.logger.info({ job: 'expire-rotated-keys', keyId: publicIdOf(keyId) }, 'rotated key revoked: its grace period ended');
  return { revoked: revoked.length };
}
