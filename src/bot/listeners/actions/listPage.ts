import type { AppContext } from '../../../context.js';
import { decodeKeysPage } from '../../../slack/blocks/keyList.js';
import { keysPage } from '../../keysPage.js';
import { withReply } from '../../replies.js';
import { type ButtonArgs, presserReply } from './reply.js';

/** "Next page" of /keys list: the list message is replaced by the page after the cursor the button carries. */
export function listPage(context: AppContext) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    await withReply(context, presserReply(context, args, { replaceOriginal: true }), 'list page', () =>
      keysPage(context, decodeKeysPage(args.action.value)),
    );
  };
}
