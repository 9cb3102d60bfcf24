import type { AppContext } from '../../../context.js';
import { decodePhonesPage } from '../../../slack/blocks/phoneList.js';
import { phonesPage as page } from '../../phonesPage.js';
import { withReply } from '../../replies.js';
import { type ButtonArgs, presserReply } from './reply.js';

/** "Next page" of /keys phones: the message is replaced by the next page (same filter). */
export function phonesPage(context: AppContext) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    await withReply(context, presserReply(context, args, { replaceOriginal: true }), 'phones page', () =>
      page(context, decodePhonesPage(args.action.value)),
    );
  };
}
