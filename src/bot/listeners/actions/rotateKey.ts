import type { AppContext } from '../../../context.js';
import { rotateKey as rotate } from '../../operations.js';
import { withReply } from '../../replies.js';
import { type ButtonArgs, keyRefOf, presserReply } from './reply.js';

/** "Rotate…" (after its confirm dialog): rotate, DM the successor, say which replaces which. */
export function rotateKey(context: AppContext) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    await withReply(context, presserReply(context, args), 'rotate key', () => rotate(context, keyRefOf(args), args.body.user.id));
  };
}
