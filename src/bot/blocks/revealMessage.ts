import { durationText, escapeText } from '../format.js';
import { ActionId } from '../ids.js';
import { type Block, button, context, section } from './kit.js';

interface RevealedKey {
  keyId: string;
  publicId: string;
  name: string;
}

/**
 * The one message that ever holds a full key. Its notification text (`text`)
 * does not: only the blocks do, and they are replaced once hidden.
 */
export function revealMessage(
  key: RevealedKey,
  fullKey: string,
  ttlMs: number,
  reason: 'created' | 'rotated',
): { text: string; blocks: Block[] } {
  const what = reason === 'rotated' ? 'the new key that replaces a rotated one' : 'your new phone key';
  return {
    text: `Here is ${what}: ${key.publicId} (${key.name}). It is shown once.`,
    blocks: [
      section(
        `:key: Here is ${what} *${escapeText(key.name)}* (\`${key.publicId}\`). Copy it into the phone app now: *it is shown only once*.`,
      ),
      section(`\`\`\`${fullKey}\`\`\``),
      context(
        `Or scan the QR code below with the phone app. This message is hidden when you press the button, or in ${durationText(ttlMs)} at the latest.`,
      ),
      { type: 'actions', elements: [button('Saved it — hide', ActionId.hideReveal, key.keyId, { style: 'primary' })] },
    ],
  };
}

/** What the reveal message becomes: no key, and how to get a fresh one. */
export function redactedRevealMessage(key: { publicId: string; name: string }): { text: string; blocks: Block[] } {
  const text = `The key ${key.publicId} (${key.name}) was shown here once and is now hidden.`;
  return {
    text,
    blocks: [
      section(
        `:lock: The key *${escapeText(key.name)}* (\`${key.publicId}\`) was shown here once and is now hidden. It is never shown again: if it was not saved, rotate it with \`/keys rotate ${key.publicId}\`.`,
      ),
    ],
  };
}
