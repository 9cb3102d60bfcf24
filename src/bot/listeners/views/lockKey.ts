import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { AppContext } from '../../../context.js';
import { publicIdOf } from '../../../domain/keyMaterial.js';
import { BlockId } from '../../../slack/ids.js';
import { decodeMetadata } from '../../metadata.js';
import { setIpLock } from '../../operations.js';
import { laterReply, withReply } from '../../replies.js';
import { ipLockOf } from './forms.js';

/** "Lock to IP…" submitted: a bad list is shown inline; otherwise the lock is set and reported. */
export function lockKeySubmission(context: AppContext) {
  return async ({ ack, body, view }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs): Promise<void> => {
    const userId = body.user.id;
    const metadata = decodeMetadata(view.private_metadata);
    const lock = ipLockOf(view.state.values);
    const { error } = context.domain.keys.validateIpLock(lock);
    if (error) {
      await ack({ response_action: 'errors', errors: { [BlockId.ipList]: error } });
      return;
    }
    await ack();
    await withReply(context, laterReply(context, userId, metadata), 'lock key', () =>
      setIpLock(context, publicIdOf(metadata.keyId ?? ''), lock, userId),
    );
  };
}
