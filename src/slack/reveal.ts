import QRCode from 'qrcode';
import type { AppContext } from '../context.js';
import type { ApiTokenView } from '../domain/apiTokens.js';
import type { KeyView } from '../domain/keys.js';

import { OutboxKind } from '../domain/outboxRefs.js';
import { provisioningPayload } from '../domain/provisioning.js';

import type { RevealLedger } from '../domain/reveals.js';
import { revealMessage, tokenRevealMessage } from './blocks/revealMessage.js';
import { slackErrorSummary } from './errors.js';
import type { SlackMessage } from './kit.js';
import { METADATA_EVENT } from './outbox/calls.js';
import { classify } from './outbox/failures.js';

/**
 * Reveal once (README: Using /keys): a full key goes to its creator in exactly one DM (the
 * message and a QR code of it), a new API token likewise (no QR code). Each DM's redaction is
 * owed in the Slack outbox before the DM is posted (due after REVEAL_TTL_MINUTES, or at once by
 * its button), and the DM carries that outbox id in its metadata: whatever happens after the post
 * (a crash, the database gone), the outbox finds the DM and redacts it. The secret is held in
 * memory only for the duration of revealKey / revealToken; the DM is posted on the interactive
 * client (its creator is waiting), which never retries a post on its own (a retried post could
 * leave a second copy that nothing redacts).
 */

interface RevealTarget {
  ledger: RevealLedger;
  /** The key's or the token's id, as the ledger knows it. */
  id: string;
  /** `pk_<id>` / `mk_<id>`, for logs. */
  publicId: string;
  name: string;
  what: 'key' | 'API token';
}

/** Posts the one DM that holds a secret, its redaction owed first. Undefined when nobody has seen the secret. */
async function postReveal(
  context: AppContext,
  userId: string,
  target: RevealTarget,
  message: SlackMessage,
): Promise<{ channel: string; ts: string } | undefined> {
  const { slack, logger } = context;
  const log = target.what === 'key' ? { keyId: target.publicId } : { tokenId: target.publicId };
  let channel: string;
  try {
    const opened = await slack.conversations.open({ users: userId });
    channel = opened.channel?.id ?? '';
    if (!channel) throw new Error('conversations.open returned no channel');
  } catch (error) {
    logger.error({ err: slackErrorSummary(error), ...log, userId }, `could not DM the new ${target.what}`);
    return undefined;
  }
  const outboxId = await target.ledger.owe(target.id, { userId, channel, name: target.name });
  let ts: string;
  try {
    const posted = await slack.chat.postMessage({
      channel,
      ...message,
      metadata: { event_type: METADATA_EVENT, event_payload: { outbox_id: outboxId, step: 0 } },
    });
    if (!posted.ts) throw new Error('chat.postMessage returned no ts');
    ts = posted.ts;
  } catch (error) {
    logger.error({ err: slackErrorSummary(error), ...log, userId }, `could not DM the new ${target.what}`);
    // Certainly not posted: nothing to redact. Maybe posted (no answer): the redaction will look for it.
    if (classify(error).type !== 'uncertain') await target.ledger.abandon(target.id);
    return undefined;
  }
  try {
    await target.ledger.recordPosted(target.id, { userId, channel, ts });
  } catch (error) {
    // Unrecorded, the DM is still owed its redaction (found by its metadata); the creator is told it failed.
    logger.error({ err: error, ...log }, 'could not record a reveal DM; it is redacted when due all the same');
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
  const target: RevealTarget = { ledger: domain.reveals, id: key.keyId, publicId: key.publicId, name: key.name, what: 'key' };
  const posted = await postReveal(
    context,
    userId,
    target,
    revealMessage(key, fullKey, { ttlMs: context.config.revealTtlMs, reason, webhookUrl: context.config.webhookUrl }),
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
  const target: RevealTarget = {
    ledger: context.domain.tokenReveals,
    id: token.tokenId,
    publicId: token.publicId,
    name: token.name,
    what: 'API token',
  };
  return (await postReveal(context, userId, target, tokenRevealMessage(token, fullToken, context.config.revealTtlMs))) !== undefined;
}

type Who = { actor: string; userId?: string };

/** "Saved it — hide": the redaction is due now (only `userId`'s reveal, when given), and one outbox pass runs. True when that pass redacted it. */
async function redactNow(context: AppContext, ledger: RevealLedger, id: string, who: Who): Promise<boolean> {
  if (!(await ledger.requestRedaction(id, who))) return false;
  const drained = await context.slackOutbox.drain();
  return (drained.delivered[OutboxKind.revealRedaction] ?? 0) > 0;
}

/** A key's reveal DM (and its QR file). */
export const redactReveal = (context: AppContext, keyId: string, who: Who): Promise<boolean> =>
  redactNow(context, context.domain.reveals, keyId, who);

/** An API token's reveal DM. */
export const redactTokenReveal = (context: AppContext, tokenId: string, who: Who): Promise<boolean> =>
  redactNow(context, context.domain.tokenReveals, tokenId, who);

/** One outbox pass; returns how many reveal DMs (keys and API tokens) it redacted: those past REVEAL_TTL_MINUTES, or asked for. */
export async function redactExpiredReveals(context: AppContext): Promise<number> {
  const drained = await context.slackOutbox.drain();
  return drained.delivered[OutboxKind.revealRedaction] ?? 0;
}

/** files.uploadV2 nests completeUploadExternal's answers: files[i].files[j]. */
function uploadedFileId(result: unknown): string | undefined {
  const files = (result as { files?: Array<{ files?: Array<{ id?: string }>; id?: string }> }).files ?? [];
  return files[0]?.files?.[0]?.id ?? files[0]?.id;
}
