import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { AppContext } from '../../../context.js';
import { publicIdOf } from '../../../domain/keyMaterial.js';
import type { KeyView } from '../../../domain/keys.js';
import type { ModalView } from '../../blocks/kit.js';
import { encodeMetadata } from '../../metadata.js';
import { refuseChange } from '../../permissions.js';
import { laterReply, type Message, type Reply, replySafely, respondReply, withReply } from '../../replies.js';

export type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

/** A reply to the presser: through the message's response_url when there is one, else a DM. */
export function buttonReply(context: AppContext, { body, respond }: ButtonArgs, { replaceOriginal = false } = {}): Reply {
  return body.response_url ? respondReply(respond, { replaceOriginal }) : laterReply(context, body.user.id, {});
}

/** Buttons that change something re-check the presser: true (and the refusal sent) when refused. */
export async function refusedButton(context: AppContext, args: ButtonArgs): Promise<boolean> {
  const refusal = refuseChange(context.config, args.body.user.id);
  if (!refusal) return false;
  await replySafely(context, buttonReply(context, args), { text: refusal });
  return true;
}

/** The key a key button is about (its value is the key id). */
export const keyRefOf = (args: ButtonArgs): string => publicIdOf(args.action.value ?? '');

/**
 * A key button that opens a modal about that key (Lock to IP…, Unlink phone…): re-checks the
 * presser, loads the key, lets `refuse` answer instead (e.g. a revoked key), else opens the modal
 * with the key and where to answer in its metadata.
 */
export function openKeyModal(
  context: AppContext,
  during: string,
  refuse: (key: KeyView) => Message | undefined,
  modal: (key: KeyView, metadata: string) => ModalView,
) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    if (await refusedButton(context, args)) return;
    await withReply(context, buttonReply(context, args), during, async () => {
      const key = await context.domain.keys.get(keyRefOf(args));
      const refusal = refuse(key);
      if (refusal) return refusal;
      const metadata = encodeMetadata({ keyId: key.keyId, responseUrl: args.body.response_url, channelId: args.body.channel?.id });
      await context.slack.views.open({ trigger_id: args.body.trigger_id, view: modal(key, metadata) });
    });
  };
}
