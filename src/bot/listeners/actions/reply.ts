import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { AppContext } from '../../../context.js';
import { publicIdOf } from '../../../domain/keyMaterial.js';
import type { KeyView } from '../../../domain/keys.js';
import type { ModalView, SlackMessage } from '../../../slack/kit.js';
import { encodeMetadata } from '../../metadata.js';
import { buttonReply, type Reply, withReply } from '../../replies.js';

export type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

/** A reply to the presser (see replies.ts buttonReply). */
export const presserReply = (context: AppContext, { body, respond }: ButtonArgs, options: { replaceOriginal?: boolean } = {}): Reply =>
  buttonReply(context, body, respond, options);

/** The key a key button is about (its value is the key id). */
export const keyRefOf = (args: ButtonArgs): string => publicIdOf(args.action.value ?? '');

/**
 * A key button that opens a modal about that key (Lock to IP…, Unlink phone…): loads the key,
 * lets `refuse` answer instead (e.g. a revoked key), else opens the modal with the key and where
 * to answer in its metadata.
 */
export function openKeyModal(
  context: AppContext,
  during: string,
  refuse: (key: KeyView) => SlackMessage | undefined,
  modal: (key: KeyView, metadata: string) => ModalView,
) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    await withReply(context, presserReply(context, args), during, async () => {
      const key = await context.domain.keys.get(keyRefOf(args));
      const refusal = refuse(key);
      if (refusal) return refusal;
      const metadata = encodeMetadata({ keyId: key.keyId, responseUrl: args.body.response_url, channelId: args.body.channel?.id });
      await context.slack.views.open({ trigger_id: args.body.trigger_id, view: modal(key, metadata) });
    });
  };
}
