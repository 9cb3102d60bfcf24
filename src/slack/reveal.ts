import QRCode from 'qrcode';
import type { AppContext } from '../context.js';
import type { ApiTokenView } from '../domain/apiTokens.js';
import type { KeyView } from '../domain/keys.js';
import { provisioningPayload } from '../domain/provisioning.js';
import type { RevealLedger } from '../domain/reveals.js';
import { redactedRevealMessage, redactedTokenRevealMessage, revealMessage, tokenRevealMessage } from './blocks/revealMessage.js';
import { isGoneError, slackErrorSummary } from './errors.js';
import type { SlackMessage } from './kit.js';

/**
 * Reveal once (README: Using /keys): a full key goes to its creator in exactly one DM
 * (the message and a QR code of it), a new API token likewise (no QR code); each DM is
 * redacted by its button or after REVEAL_TTL_MINUTES. The secret is held in memory only
 * for the duration of revealKey / revealToken.
 * Slack calls use context.slack, whose client does not log request bodies.
 * Shared by /keys (create, rotate, the hide button) and the reveal-expiry job.
 */

interface RevealTarget {
  ledger: RevealLedger;
  /** The key's or the token's id, as the ledger knows it. */
  id: string;
  /** `pk_<id>` / `mk_<id>`, for logs. */
  publicId: string;
  what: 'key' | 'API token';
}

/**
 * Posts the one DM that holds a secret and records it for redaction. Undefined when nobody
 * has seen the secret: the DM could not be posted, or could not be recorded (then it is
 * taken back at once, since nothing would ever redact it).
 */
async function postReveal(
  context: AppContext,
  userId: string,
  target: RevealTarget,
  message: SlackMessage,
  redacted: SlackMessage,
): Promise<{ channel: string; ts: string } | undefined> {
  const { slack, logger } = context;
  const log = target.what === 'key' ? { keyId: target.publicId } : { tokenId: target.publicId };
  let channel: string;
  let ts: string;
  try {
    const opened = await slack.conversations.open({ users: userId });
    channel = opened.channel?.id ?? '';
    if (!channel) throw new Error('conversations.open returned no channel');
    const posted = await slack.chat.postMessage({ channel, ...message });
    if (!posted.ts) throw new Error('chat.postMessage returned no ts');
    ts = posted.ts;
  } catch (error) {
    logger.error({ err: slackErrorSummary(error), ...log, userId }, `could not DM the new ${target.what}`);
    return undefined;
  }
  try {
    await target.ledger.recordPosted(target.id, { userId, channel, ts });
  } catch (error) {
    logger.error({ err: error, ...log }, 'could not record a reveal DM; redacting it at once');
    try {
      await slack.chat.update({ channel, ts, ...redacted });
    } catch (updateError) {
      // Nothing would ever redact it later: the message goes altogether.
      logger.error({ err: slackErrorSummary(updateError), ...log }, 'could not redact an unrecorded reveal DM; deleting it');
      await slack.chat
        .delete({ channel, ts })
        .catch((deleteError: unknown) =>
          logger.error(
            { err: slackErrorSummary(deleteError), ...log },
            `could not delete an unrecorded reveal DM: it still shows the ${target.what}`,
          ),
        );
    }
    return undefined;
  }
  return { channel, ts };
}

/**
 * DMs the key to `userId`, with a QR code of it. Resolves false when the DM could not be
 * posted (the key exists, but nobody has seen it: the caller tells the user to rotate).
 */
export async function revealKey(
  context: AppContext,
  userId: string,
  key: Pick<KeyView, 'keyId' | 'publicId' | 'name' | 'algorithm'>,
  fullKey: string,
  reason: 'created' | 'rotated',
): Promise<boolean> {
  const { slack, logger, domain } = context;
  const target: RevealTarget = { ledger: domain.reveals, id: key.keyId, publicId: key.publicId, what: 'key' };
  const posted = await postReveal(
    context,
    userId,
    target,
    revealMessage(key, fullKey, { ttlMs: context.config.revealTtlMs, reason, webhookUrl: context.config.webhookUrl }),
    redactedRevealMessage(key),
  );
  if (!posted) return false;

  // The QR code is a convenience: the DM already holds the key, so a failed upload is only logged.
  try {
    // The phone app's setup in one scan: the webhook URL, the key and its algorithm (docs/phone-keys.md).
    const payload = provisioningPayload(fullKey, key.algorithm, context.config.webhookUrl);
    const png = await QRCode.toBuffer(payload, { type: 'png', errorCorrectionLevel: 'M', margin: 2, scale: 6 });
    const uploaded = await slack.files.uploadV2({
      channel_id: posted.channel,
      file: png,
      filename: `${key.publicId}-qr.png`,
      title: `QR code of ${key.publicId}`,
      alt_text: `QR code of the phone key ${key.publicId}${context.config.webhookUrl ? ' and the webhook URL' : ''}, for the phone app`,
    });
    const fileId = uploadedFileId(uploaded);
    if (fileId && !(await domain.reveals.attachFile(key.keyId, posted.ts, fileId))) {
      // Hidden while the upload ran: the file is now the only copy left, delete it.
      await slack.files.delete({ file: fileId });
    }
  } catch (error) {
    logger.warn({ err: slackErrorSummary(error), keyId: key.publicId }, 'could not upload the QR code of a new key');
  }
  return true;
}

/** DMs a new management API token to `userId` (no QR code). False when nobody has seen it. */
export async function revealToken(context: AppContext, userId: string, token: ApiTokenView, fullToken: string): Promise<boolean> {
  const target: RevealTarget = { ledger: context.domain.tokenReveals, id: token.tokenId, publicId: token.publicId, what: 'API token' };
  const posted = await postReveal(
    context,
    userId,
    target,
    tokenRevealMessage(token, fullToken, context.config.revealTtlMs),
    redactedTokenRevealMessage(token),
  );
  return posted !== undefined;
}

/**
 * Redacts a reveal DM: the message loses the secret (chat.update) and its file, if any, is
 * deleted. Exactly once however many callers race (a conditional claim); a Slack failure
 * releases the claim for the next sweep. With `userId`, only that user's reveal (the
 * button's presser must be the recipient).
 */
async function redact(
  context: AppContext,
  ledger: RevealLedger,
  id: string,
  redacted: (name: string) => SlackMessage,
  { actor, userId }: { actor: string; userId?: string },
): Promise<boolean> {
  const { slack, logger } = context;
  const reveal = await ledger.claimRedaction(id, userId ? { userId } : {});
  if (!reveal) return false;
  try {
    await ignoreGone(slack.chat.update({ channel: reveal.channel, ts: reveal.ts, ...redacted(reveal.name) }));
    if (reveal.fileId) await ignoreGone(slack.files.delete({ file: reveal.fileId }));
  } catch (error) {
    logger.warn({ err: slackErrorSummary(error), revealOf: id }, 'could not redact a reveal DM; will retry');
    await ledger.releaseClaim(id, reveal.claimedAt);
    return false;
  }
  await ledger.recordRedacted(reveal, actor);
  return true;
}

/** A key's reveal DM (and its QR file). */
export const redactReveal = (context: AppContext, keyId: string, who: { actor: string; userId?: string }): Promise<boolean> =>
  redact(context, context.domain.reveals, keyId, (name) => redactedRevealMessage({ keyId, name }), who);

/** An API token's reveal DM. */
export const redactTokenReveal = (context: AppContext, tokenId: string, who: { actor: string; userId?: string }): Promise<boolean> =>
  redact(context, context.domain.tokenReveals, tokenId, (name) => redactedTokenRevealMessage({ tokenId, name }), who);

/**
 * Redacts reveal DMs (keys and API tokens) whose REVEAL_TTL_MINUTES has passed. Run every
 * minute by the scheduler, so redaction survives a restart. Returns how many it redacted.
 */
export async function redactExpiredReveals(context: AppContext): Promise<number> {
  let redacted = 0;
  const who = { actor: 'system:reveal-expiry' };
  for (const keyId of await context.domain.reveals.due()) if (await redactReveal(context, keyId, who)) redacted += 1;
  for (const tokenId of await context.domain.tokenReveals.due()) if (await redactTokenReveal(context, tokenId, who)) redacted += 1;
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
