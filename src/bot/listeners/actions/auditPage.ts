import type { AppContext } from '../../../context.js';
import { decodeAuditPage } from '../../../slack/blocks/auditList.js';
import { auditPage as page } from '../../auditPage.js';
import { withReply } from '../../replies.js';
import { type ButtonArgs, presserReply } from './reply.js';

/** "Older" of /keys audit: the message is replaced by the next page (same filters). */
export function auditPage(context: AppContext) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    await withReply(context, presserReply(context, args, { replaceOriginal: true }), 'audit page', () =>
      page(context, decodeAuditPage(args.action.value)),
    );
  };
}
