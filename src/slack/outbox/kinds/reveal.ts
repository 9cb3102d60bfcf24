import { OutboxKind } from '../../../domain/outboxRefs.js';
import { redactedRevealMessage, redactedTokenRevealMessage } from '../../blocks/revealMessage.js';
import type { Delivery, OutboxKind as Kind, Step } from '../kind.js';

/** Who redacted a reveal when nobody pressed its button. */
const REVEAL_EXPIRY_ACTOR = 'system:reveal-expiry';

interface RevealPayload {
  /** `key` or `token`. */
  owner?: string;
  id?: string;
  name?: string;
  channel?: string | null;
  ts?: string | null;
  fileId?: string | null;
  requestedBy?: string;
}

/**
 * The redaction of the DM that revealed a key or an API token: the message loses the secret
 * (chat.update) and a key's QR file is deleted. Due REVEAL_TTL_MINUTES after the reveal, or at
 * once by its button. Never given up on transient failures: a secret must not stay on screen
 * because Slack was down. A DM whose ts was never recorded (a crash right after posting it) is
 * found by the outbox id in its metadata.
 */
export const revealRedactionKind: Kind = {
  kind: OutboxKind.revealRedaction,
  method: 'chat.update',
  maxAgeMs: Number.POSITIVE_INFINITY,
  async render([item]): Promise<Delivery> {
    const p = item!.payload as RevealPayload;
    if (!p.channel || !p.id) return { skip: 'the reveal DM was never posted' };
    const message =
      p.owner === 'token'
        ? redactedTokenRevealMessage({ tokenId: p.id, name: p.name ?? '' })
        : redactedRevealMessage({ keyId: p.id, name: p.name ?? null });
    const steps: Step[] = [{ call: 'update', channel: p.channel, ts: p.ts ?? { find: String(item!._id) }, message, ifGone: 'skip' }];
    if (p.fileId) steps.push({ call: 'deleteFile', file: p.fileId });
    return { steps };
  },
  async afterDelivery([item], context) {
    const p = item!.payload as RevealPayload;
    if (!p.id) return;
    const ledger = p.owner === 'token' ? context.domain.tokenReveals : context.domain.reveals;
    await ledger.recordRedacted(p.id, p.requestedBy ?? REVEAL_EXPIRY_ACTOR);
  },
};
