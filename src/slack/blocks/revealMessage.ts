import { publicIdOf } from '../../domain/keyMaterial.js';
import { durationText, type KeyRef, keyLabel, keyPlain } from '../format.js';
import { ActionId } from '../ids.js';
import { button, context, type SlackMessage, section } from '../kit.js';

/**
 * The one message that ever holds a full key. Its notification text (`text`)
 * does not: only the blocks do, and they are replaced once hidden.
 */
export function revealMessage(key: KeyRef, fullKey: string, ttlMs: number, reason: 'created' | 'rotated'): SlackMessage {
  const what = reason === 'rotated' ? 'the new key that replaces a rotated one' : 'your new phone key';
  return {
    text: `Here is ${what}: ${keyPlain(key)}. It is shown once.`,
    blocks: [
      section(`:key: Here is ${what} ${keyLabel(key)}. Copy it into the phone app now: *it is shown only once*.`),
      section(`\`\`\`${fullKey}\`\`\``),
      context(
        `Or scan the QR code below with the phone app. This message is hidden when you press the button, or in ${durationText(ttlMs)} at the latest.`,
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
