import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { AppContext } from '../../../context.js';
import { refuseChange } from '../../permissions.js';
import { laterReply, replySafely, respondReply, type Reply } from '../../replies.js';

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
export const keyRefOf = (args: ButtonArgs): string => `pk_${args.action.value ?? ''}`;
