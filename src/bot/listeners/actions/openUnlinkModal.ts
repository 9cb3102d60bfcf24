import type { AppContext } from '../../../context.js';
import { unlinkPhoneModal } from '../../blocks/unlinkPhoneModal.js';
import { encodeMetadata } from '../../metadata.js';
import { withReply } from '../../replies.js';
import { buttonReply, keyRefOf, refusedButton, type ButtonArgs } from './reply.js';

/** "Unlink phone…" in /keys list: opens a modal listing the key's numbers. */
export function openUnlinkModal(context: AppContext) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    if (await refusedButton(context, args)) return;
    await withReply(context, buttonReply(context, args), 'open unlink modal', async () => {
      const key = await context.domain.keys.get(keyRefOf(args));
      if (key.phoneNumbers.length === 0) return { text: `No phone numbers are linked to \`${key.publicId}\` (${key.name}).` };
      const metadata = encodeMetadata({ keyId: key.keyId, responseUrl: args.body.response_url, channelId: args.body.channel?.id });
      await context.slack.views.open({ trigger_id: args.body.trigger_id, view: unlinkPhoneModal(key, metadata) });
    });
  };
}
