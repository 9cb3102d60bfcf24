import type { AppContext } from '../../../context.js';
import type { RevealLedger } from '../../../domain/reveals.js';
import type { ButtonArgs } from './reply.js';

/** "Saved it — hide" in a reveal DM: its redaction is due now (only its recipient can ask); the outbox does it. */
function hide(context: AppContext, ledger: (context: AppContext) => RevealLedger) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    const userId = args.body.user.id;
    try {
      if (await ledger(context).requestRedaction(args.action.value ?? '', { actor: userId, userId })) context.slackOutbox.kick();
    } catch (error) {
      // The redaction stays owed: REVEAL_TTL_MINUTES after the reveal, the outbox does it anyway.
      context.logger.error({ err: error }, 'hiding a reveal DM failed');
    }
  };
}

/** The key's reveal DM (the button's value is the key id). */
export const hideReveal = (context: AppContext) => hide(context, (c) => c.domain.reveals);

/** An API token's reveal DM (the button's value is the token id). */
export const hideTokenReveal = (context: AppContext) => hide(context, (c) => c.domain.tokenReveals);
