import type { AppContext } from '../../../context.js';
import { rotateKey as rotate } from '../../operations.js';
import { withReply } from '../../replies.js';
import { type ButtonArgs, keyRefOf, presserReply } from './reply.js';

/** Rotate now, in the rotation warning DM (admins): rotates, DMs the successor (revealed once). */
export function rotateNow(context: AppContext) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    await withReply(context, presserReply(context, args), 'rotate key now', () => rotate(context, keyRefOf(args), args.body.user.id));
  };
}
