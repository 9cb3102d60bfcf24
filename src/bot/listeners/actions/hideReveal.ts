import type { AppContext } from '../../../context.js';
import { redactReveal } from '../../../slack/reveal.js';
import type { ButtonArgs } from './reply.js';

/** "Saved it — hide" in the reveal DM: redact it now (only its recipient can press it). */
export function hideReveal(context: AppContext) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    const userId = args.body.user.id;
    try {
      await redactReveal(context, args.action.value ?? '', { actor: userId, userId });
    } catch (error) {
      // The TTL sweep redacts it anyway.
      context.logger.error({ err: error }, 'hiding a reveal DM failed');
    }
  };
}
