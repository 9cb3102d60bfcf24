import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { AppContext } from '../../../context.js';
import { publicIdOf } from '../../../domain/keyMaterial.js';
import { BlockId } from '../../../slack/ids.js';
import { decodeMetadata } from '../../metadata.js';
import { unlinkPhone } from '../../operations.js';
import { laterReply, withReply } from '../../replies.js';
import { selectedOf } from './forms.js';

/** "Unlink phone…" submitted: unlink the chosen number from the key. */
export function unlinkPhoneSubmission(context: AppContext) {
  return async ({ ack, body, view }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs): Promise<void> => {
    const userId = body.user.id;
    const number = selectedOf(view.state.values, BlockId.phoneNumber);
    if (!number) {
      await ack({ response_action: 'errors', errors: { [BlockId.phoneNumber]: 'Choose the number to unlink.' } });
      return;
    }
    await ack();
    const metadata = decodeMetadata(view.private_metadata);
    await withReply(context, laterReply(context, userId, metadata), 'unlink phone', () =>
      unlinkPhone(context, publicIdOf(metadata.keyId ?? ''), number, userId),
    );
  };
}
