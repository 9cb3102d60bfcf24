import { OutboxKind } from '../../../domain/outboxRefs.js';
import { alertChannelBrokenDm, phoneTakeoverNotice } from '../../blocks/channelNotices.js';
import type { Delivery, OutboxKind as Kind } from '../kind.js';
import { keyRefs } from './keyRefs.js';

/** The DM to an admin when alerts cannot be posted in ALERT_CHANNEL_ID (once per outage, at most once a day). */
export const adminAlertChannelKind: Kind = {
  kind: OutboxKind.adminAlertChannel,
  method: 'chat.postMessage',
  async render([item], context): Promise<Delivery> {
    const p = item!.payload as { channel: string; error: string | null; since: Date };
    // Sent even if the channel works again by now: messages may have been given up meanwhile.
    const state = await context.models.SlackChannel.findOne({ channel: p.channel }).lean();
    const message = alertChannelBrokenDm(p.channel, p.error, new Date(p.since), state?.ok === true);
    return { steps: [{ call: 'dm', user: item!.subject, message }] };
  },
};

/** A phone number moved to another key: one notice in ALERT_CHANNEL_ID. */
export const phoneTakeoverKind: Kind = {
  kind: OutboxKind.phoneTakeover,
  method: 'chat.postMessage',
  async render([item], context): Promise<Delivery> {
    const p = item!.payload as { number: string; from: string; to: string; at: Date };
    const keys = await keyRefs(context, [p.from, p.to]);
    const message = phoneTakeoverNotice(p.number, keys.get(p.from)!, keys.get(p.to)!, new Date(p.at));
    return { steps: [{ call: 'post', channel: context.config.slack.alertChannelId, message }] };
  },
};
