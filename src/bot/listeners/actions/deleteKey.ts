import type { AppContext } from '../../../context.js';
import { BlockId } from '../../../slack/ids.js';
import { deleteKey as revoke } from '../../operations.js';
import { withReply } from '../../replies.js';
import { type ButtonArgs, keyRefOf, presserReply } from './reply.js';

/**
 * "Delete" (danger, after its confirm dialog), from /keys list or /keys delete:
 * revokes. The /keys delete question is replaced by the answer; the list stays.
 */
export function deleteKey(context: AppContext) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    const replaceOriginal = args.action.block_id === BlockId.deleteConfirmation;
    await withReply(context, presserReply(context, args, { replaceOriginal }), 'delete key', () =>
      revoke(context, keyRefOf(args), args.body.user.id),
    );
  };
}
