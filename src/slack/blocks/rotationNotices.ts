import type { RotationKey } from '../../domain/rotation.js';
import { durationText, escapeText, keyLabel, keyPlain, mention, slackDate } from '../format.js';
import { ActionId } from '../ids.js';
import { button, confirmDialog, context, type SlackMessage, section } from '../kit.js';

/** The key-rotation job's messages: DMs to each key's creator, and notices in ALERT_CHANNEL_ID. */

/** KEY_ROTATION_WARN_DAYS before a key is due: a DM to its creator with a Rotate now button. */
export function rotationWarningDm(key: RotationKey, dueAt: Date, now: Date): SlackMessage {
  const inTime = durationText(dueAt.getTime() - now.getTime());
  const how =
    'Rotate now gives you the new key by DM (with its QR code); the old one keeps working during the grace period, so the phone can switch over at its own pace.';
  return {
    text: `:hourglass_flowing_sand: Your phone key ${keyPlain(key)} is due for rotation in ${inTime}. ${how}`,
    blocks: [
      section(`:hourglass_flowing_sand: Your phone key ${keyLabel(key)} is due for rotation in *${inTime}* (${slackDate(dueAt)}).`),
      section(how),
      {
        type: 'actions',
        block_id: `rotate_now_${key.keyId}`,
        elements: [
          button('Rotate now', ActionId.rotateNow, key.keyId, {
            style: 'primary',
            confirm: confirmDialog(
              'Rotate this key now?',
              `A new key replaces *${escapeText(key.name)}*; the old one keeps working during the grace period.`,
              'Rotate',
            ),
          }),
        ],
      },
    ],
  };
}

/** The DM to a key's creator when it is due for rotation. */
export function rotationDm(key: RotationKey, now: Date, rotationDays: number): SlackMessage {
  const age = durationText(now.getTime() - key.createdAt.getTime());
  const how = `Rotate it with \`/keys rotate ${escapeText(key.name)}\`: you get the new key by DM, and the old one keeps working during the grace period so the phone can switch over.`;
  return {
    text: `:key: Your phone key ${keyPlain(key)} is ${age} old and due for rotation (older than ${rotationDays} days). ${how}`,
    blocks: [
      section(`:key: Your phone key ${keyLabel(key)} is *${age}* old and due for rotation (keys older than ${rotationDays} days are).`),
      section(how),
    ],
  };
}

/** Keys per channel notice: one block each, plus a title and a footer, within Slack's 50 blocks per message. */
export const KEYS_PER_ROTATION_NOTICE = 40;

/** One message in ALERT_CHANNEL_ID listing keys flagged in a run (at most KEYS_PER_ROTATION_NOTICE). */
export function rotationNotice(keys: RotationKey[], now: Date, rotationDays: number): SlackMessage {
  const shown = keys.slice(0, KEYS_PER_ROTATION_NOTICE);
  const lines = shown.map(
    (k) =>
      `• ${keyLabel(k)}, created ${slackDate(k.createdAt)} by ${mention(k.createdBy)} (${durationText(now.getTime() - k.createdAt.getTime())} old)`,
  );
  const title = shown.length === 1 ? '1 phone key is due for rotation' : `${shown.length} phone keys are due for rotation`;
  return {
    text: `:key: ${title} (older than ${rotationDays} days): ${shown.map(keyPlain).join(', ')}. Rotate with /keys rotate &lt;name&gt;.`,
    blocks: [
      section(`:key: *${title}* (older than ${rotationDays} days)`),
      ...lines.map((line) => section(line)),
      context('Rotate each with `/keys rotate &lt;name&gt;`; the old key keeps working during the grace period.'),
    ],
  };
}
