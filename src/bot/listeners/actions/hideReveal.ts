import type { AppContext } from '../../../context.js';
import { redactReveal, redactTokenReveal } from '../../../slack/reveal.js';
import type { ButtonArgs } from './reply.js';

type Redact = typeof redactReveal;

/** "Saved it — hide" in a reveal DM: redact it now (only its recipient can press it). */
function hide(context: AppContext, redact: Redact) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    const userId = args.body.user.id;
    try {
      await redact(context, args.action.value ?? '', { actor: userId, userId });
    } catch (error) {
      // The TTL sweep redacts it anyway.
      context.logger.error({ err: error }, 'hiding a reveal DM failed');
    }
  };
}

/** The key's reveal DM (the button's value is the key id). */
export const hideReveal = (context: AppContext) => hide(context, redactReveal);

/** An API token's reveal DM (the button's value is the token id). */
export const hideTokenReveal = (context: AppContext) => hide(context, redactTokenReveal);
