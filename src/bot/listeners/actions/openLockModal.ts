import type { AppContext } from '../../../context.js';
import { lockKeyModal } from '../../blocks/lockKeyModal.js';
import { encodeMetadata } from '../../metadata.js';
import { withReply } from '../../replies.js';
import { buttonReply, keyRefOf, refusedButton, type ButtonArgs } from './reply.js';

/** "Lock to IP…" in /keys list: opens the lock modal for that key. */
export function openLockModal(context: AppContext) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    if (await refusedButton(context, args)) return;
    await withReply(context, buttonReply(context, args), 'open lock modal', async () => {
      const key = await context.domain.keys.get(keyRefOf(args));
      if (key.status === 'revoked') return { text: `\`${key.publicId}\` (${key.name}) is revoked.` };
      const metadata = encodeMetadata({ keyId: key.keyId, responseUrl: args.body.response_url, channelId: args.body.channel?.id });
      await context.slack.views.open({ trigger_id: args.body.trigger_id, view: lockKeyModal(key, metadata) });
    });
  };
}
