import type { AppContext } from '../context.js';
import { publicIdOf } from '../domain/keyMaterial.js';
import { KEYS_PER_ROTATION_NOTICE, rotationDm, rotationNotice } from '../slack/blocks/rotationNotices.js';
import { isPermanentDmError, slackErrorSummary } from '../slack/errors.js';
import { isSlackUserId } from '../slack/format.js';

/**
 * key-rotation: flags keys older than KEY_ROTATION_DAYS (domain/rotation.ts), then sends the
 * notices still owed: a DM to each key's creator and messages in ALERT_CHANNEL_ID listing
 * the keys (several per message). Notices that Slack refused go out on a later run.
 */

export interface KeyRotationSummary {
  flagged: number;
  dmsSent: number;
  announced: number;
  slackFailures: number;
}

const DAY_MS = 24 * 60 * 60_000;

export async function keyRotationJob(context: AppContext): Promise<KeyRotationSummary> {
  const { rotation } = context.domain;
  const log = context.logger.child({ job: 'key-rotation' });
  const rotationDays = Math.round((context.config.keyRotationMs / DAY_MS) * 100) / 100;

  const flagged = await rotation.flagDueKeys();
  for (const key of flagged) log.info({ keyId: publicIdOf(key.keyId), name: key.name }, 'key due for rotation');

  const summary: KeyRotationSummary = { flagged: flagged.length, dmsSent: 0, announced: 0, slackFailures: 0 };

  const dms = await rotation.claimPendingDms();
  for (const key of dms.keys) {
    if (!isSlackUserId(key.createdBy)) continue; // created by a system actor: nobody to DM
    try {
      const opened = await context.slack.conversations.open({ users: key.createdBy });
      const channel = opened.channel?.id;
      if (!channel) throw new Error('conversations.open returned no channel');
      await context.slack.chat.postMessage({ channel, ...rotationDm(key, context.clock(), rotationDays) });
      summary.dmsSent++;
    } catch (error) {
      if (isPermanentDmError(error)) {
        log.warn(
          { keyId: publicIdOf(key.keyId), user: key.createdBy, err: slackErrorSummary(error) },
          'cannot DM the key creator about rotation; giving up on that DM',
        );
        continue;
      }
      summary.slackFailures++;
      log.warn(
        { keyId: publicIdOf(key.keyId), err: slackErrorSummary(error) },
        'could not DM the key creator about rotation; retrying on the next run',
      );
      await rotation.releaseDm(key, dms.claimedAt);
    }
  }

  const announcements = await rotation.claimPendingAnnouncements();
  const channel = context.config.slack.alertChannelId;
  for (let i = 0; i < announcements.keys.length; i += KEYS_PER_ROTATION_NOTICE) {
    const batch = announcements.keys.slice(i, i + KEYS_PER_ROTATION_NOTICE);
    try {
      await context.slack.chat.postMessage({ channel, ...rotationNotice(batch, context.clock(), rotationDays), unfurl_links: false });
      summary.announced += batch.length;
      log.info({ keys: batch.map((k) => publicIdOf(k.keyId)) }, 'rotation notice posted');
    } catch (error) {
      summary.slackFailures++;
      log.warn(
        { keys: batch.map((k) => publicIdOf(k.keyId)), err: slackErrorSummary(error) },
        'could not post the rotation notice; retrying on the next run',
      );
      await rotation.releaseAnnouncements(announcements.keys.slice(i), announcements.claimedAt);
      break;
    }
  }
  return summary;
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
