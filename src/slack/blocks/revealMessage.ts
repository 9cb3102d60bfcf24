import { tokenPublicIdOf } from '../../domain/apiTokens.js';
import { publicIdOf } from '../../domain/keyMaterial.js';
import { durationText, escapeText, type KeyRef, keyLabel, keyPlain, type TokenRef, tokenLabel, tokenPlain } from '../format.js';
import { ActionId } from '../ids.js';
import { button, context, type SlackMessage, section } from '../kit.js';

/** Where the phone must post (mrkdwn): the URL, or what the operator must set for messages to say it. */
export function webhookUrlText(webhookUrl: string | undefined): string {
  if (webhookUrl) return `Webhook URL for the phone app: \`${escapeText(webhookUrl)}\``;
  return ":warning: I do not know this server's public address, so I cannot tell the phone where to post: ask whoever runs phonekeys to set `PUBLIC_URL` (its public base URL, e.g. `https://phonekeys.example.com`). The phone posts to `&lt;PUBLIC_URL&gt;/webhooks/phone`.";
}

/**
 * The one message that ever holds a full key. Its notification text (`text`)
 * does not: only the blocks do, and they are replaced once hidden.
 */
export function revealMessage(
  key: KeyRef,
  fullKey: string,
  { ttlMs, reason, webhookUrl }: { ttlMs: number; reason: 'created' | 'rotated'; webhookUrl: string | undefined },
): SlackMessage {
  const what = reason === 'rotated' ? 'the new key that replaces a rotated one' : 'your new phone key';
  const qr = webhookUrl ? 'the key and the webhook URL' : 'the key';
  return {
    text: `Here is ${what}: ${keyPlain(key)}. It is shown once.`,
    blocks: [
      section(`:key: Here is ${what} ${keyLabel(key)}. Copy it into the phone app now: *it is shown only once*.`),
      section(`\`\`\`${fullKey}\`\`\``),
      section(webhookUrlText(webhookUrl)),
      context(
        `Or scan the QR code below with the phone app (it holds ${qr}). This message is hidden when you press the button, or in ${durationText(ttlMs)} at the latest.`,
      ),
      { type: 'actions', elements: [button('Saved it — hide', ActionId.hideReveal, key.keyId, { style: 'primary' })] },
    ],
  };
}

/** What the reveal message becomes: no key, and how to get a fresh one. */
export function redactedRevealMessage(key: KeyRef): SlackMessage {
  return {
    text: `The key ${keyPlain(key)} was shown here once and is now hidden.`,
    blocks: [
      section(
        `:lock: The key ${keyLabel(key)} was shown here once and is now hidden. It is never shown again: if it was not saved, rotate it with \`/keys rotate ${publicIdOf(key.keyId)}\`.`,
      ),
    ],
  };
}

/** The one message that ever holds a full API token (in its blocks, not its notification text). */
export function tokenRevealMessage(token: TokenRef & { scope: string }, fullToken: string, ttlMs: number): SlackMessage {
  return {
    text: `Here is your new management API token ${tokenPlain(token)}. It is shown once.`,
    blocks: [
      section(
        `:key: Here is your new *${token.scope}* management API token ${tokenLabel(token)}. Put it in your script's secret store now: *it is shown only once*.`,
      ),
      section(`\`\`\`${fullToken}\`\`\``),
      context(
        `Send it as \`Authorization: Bearer &lt;token&gt;\` to \`/api/v1\`. This message is hidden when you press the button, or in ${durationText(ttlMs)} at the latest.`,
      ),
      { type: 'actions', elements: [button('Saved it — hide', ActionId.hideTokenReveal, token.tokenId, { style: 'primary' })] },
    ],
  };
}

/** What the token's reveal message becomes: no token, and what to do if it was lost. */
export function redactedTokenRevealMessage(token: TokenRef): SlackMessage {
  return {
    text: `The API token ${tokenPlain(token)} was shown here once and is now hidden.`,
    blocks: [
      section(
        `:lock: The API token ${tokenLabel(token)} was shown here once and is now hidden. It is never shown again: if it was not saved, revoke it (\`/keys token revoke ${tokenPublicIdOf(token.tokenId)}\`) and create another.`,
      ),
    ],
  };
}
