import type { AppContext } from '../../../context.js';
import { keyListPage } from '../../../slack/blocks/keyList.js';
import { withReply } from '../../replies.js';
import { type ButtonArgs, presserReply } from './reply.js';

/** "Next page" of /keys list: the list message is replaced by the asked-for page. */
export function listPage(context: AppContext) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    const page = Number.parseInt(args.action.value ?? '0', 10) || 0;
    await withReply(context, presserReply(context, args, { replaceOriginal: true }), 'list page', async () =>
      keyListPage(await context.domain.keys.list(), page),
    );
  };
}
