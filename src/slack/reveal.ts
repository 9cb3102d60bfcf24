import QRCode from 'qrcode';
import type { AppContext } from '../context.js';
import { publicIdOf } from '../domain/keyMaterial.js';
import type { KeyView } from '../domain/keys.js';
import { redactedRevealMessage, revealMessage } from './blocks/revealMessage.js';
import { isGoneError, slackErrorSummary } from './errors.js';

/**
 * Reveal once (README: Using /keys): the full key goes to its creator in exactly one DM
 * (the message and a QR code of it), which is redacted by its button or after
 * REVEAL_TTL_MINUTES. The key is held in memory only for the duration of revealKey.
 * Slack calls use context.slack, whose client does not log request bodies.
 * Shared by /keys (create, rotate, the hide button) and the reveal-expiry job.
 */

/**
 * DMs the key to `userId`. Resolves false when the DM could not be posted
 * (the key exists, but nobody has seen it: the caller tells the user to rotate).
 */
export async function revealKey(
  context: AppContext,
  userId: string,
  key: Pick<KeyView, 'keyId' | 'publicId' | 'name'>,
  fullKey: string,
  reason: 'created' | 'rotated',
): Promise<boolean> {
  const { slack, logger, domain } = context;
  let channel: string;
  let ts: string;
  try {
    const opened = await slack.conversations.open({ users: userId });
    channel = opened.channel?.id ?? '';
    if (!channel) throw new Error('conversations.open returned no channel');
    const posted = await slack.chat.postMessage({ channel, ...revealMessage(key, fullKey, context.config.revealTtlMs, reason) });
    if (!posted.ts) throw new Error('chat.postMessage returned no ts');
    ts = posted.ts;
  } catch (error) {
    logger.error({ err: slackErrorSummary(error), keyId: key.publicId, userId }, 'could not DM the new key');
    return false;
  }
  try {
    await domain.reveals.recordPosted(key.keyId, { userId, channel, ts });
  } catch (error) {
    // Unrecorded, the DM would never be redacted: take the key out now and report the reveal failed.
    logger.error({ err: error, keyId: key.publicId }, 'could not record a reveal DM; redacting it at once');
    try {
      await slack.chat.update({ channel, ts, ...redactedRevealMessage(key) });
    } catch (updateError) {
      // Nothing would ever redact it later: the message goes altogether.
      logger.error({ err: slackErrorSummary(updateError), keyId: key.publicId }, 'could not redact an unrecorded reveal DM; deleting it');
      await slack.chat
        .delete({ channel, ts })
        .catch((deleteError: unknown) =>
          logger.error(
            { err: slackErrorSummary(deleteError), keyId: key.publicId },
            'could not delete an unrecorded reveal DM: it still shows the key',
          ),
        );
    }
    return false;
  }

  // The QR code is a convenience: the DM already holds the key, so a failed upload is only logged.
  try {
    const png = await QRCode.toBuffer(fullKey, { type: 'png', errorCorrectionLevel: 'M', margin: 2, scale: 6 });
    const uploaded = await slack.files.uploadV2({
      channel_id: channel,
      file: png,
      filename: `${key.publicId}-qr.png`,
      title: `QR code of ${key.publicId}`,
      alt_text: `QR code of the phone key ${key.publicId}`,
    });
    const fileId = uploadedFileId(uploaded);
    if (fileId && !(await domain.reveals.attachFile(key.keyId, ts, fileId))) {
      // Hidden while the upload ran: the file is now the only copy left, delete it.
      await slack.files.delete({ file: fileId });
    }
  } catch (error) {
    logger.warn({ err: slackErrorSummary(error), keyId: key.publicId }, 'could not upload the QR code of a new key');
  }
  return true;
}

/**
 * Redacts a key's reveal DM: the message loses the key (chat.update) and the QR
 * file is deleted. Exactly once however many callers race (a conditional claim);
 * a Slack failure releases the claim for the next sweep. With `userId`, only that
 * user's reveal (the button's presser must be the recipient).
 */
export async function redactReveal(
  context: AppContext,
  keyId: string,
  { actor, userId }: { actor: string; userId?: string },
): Promise<boolean> {
  const { slack, logger, domain } = context;
  const reveal = await domain.reveals.claimRedaction(keyId, userId ? { userId } : {});
  if (!reveal) return false;
  try {
    await ignoreGone(
      slack.chat.update({
        channel: reveal.channel,
        ts: reveal.ts,
        ...redactedRevealMessage({ keyId, name: reveal.name }),
      }),
    );
    if (reveal.fileId) await ignoreGone(slack.files.delete({ file: reveal.fileId }));
  } catch (error) {
    logger.warn({ err: slackErrorSummary(error), keyId: publicIdOf(keyId) }, 'could not redact a reveal DM; will retry');
    await domain.reveals.releaseClaim(keyId, reveal.claimedAt);
    return false;
  }
  await domain.reveals.recordRedacted(reveal, actor);
  return true;
}

/**
 * Redacts reveal DMs whose REVEAL_TTL_MINUTES has passed (chat.update + files.delete).
 * Run every minute by the scheduler, so redaction survives a restart. Returns how many it redacted.
 */
export async function redactExpiredReveals(context: AppContext): Promise<number> {
  let redacted = 0;
  for (const keyId of await context.domain.reveals.due()) {
    if (await redactReveal(context, keyId, { actor: 'system:reveal-expiry' })) redacted += 1;
  }
  return redacted;
}

async function ignoreGone(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (!isGoneError(error)) throw error;
  }
}

/** files.uploadV2 nests completeUploadExternal's answers: files[i].files[j]. */
function uploadedFileId(result: unknown): string | undefined {
  const files = (result as { files?: Array<{ files?: Array<{ id?: string }>; id?: string }> }).files ?? [];
  return files[0]?.files?.[0]?.id ?? files[0]?.id;
}
