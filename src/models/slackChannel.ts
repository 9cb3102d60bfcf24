import { type Connection, type Model, Schema } from 'mongoose';

export interface SlackChannelFields {
  channel: string;
  /** true: we can post there; false: Slack refuses (`error` says why); null: not known yet. */
  ok: boolean | null;
  error: string | null;
  /** When it turned bad (an episode: the admins are told once per episode). */
  brokenSince: Date | null;
  checkedAt: Date;
}

/**
 * What we last learnt about posting in a channel (the alert channel): from the check at start
 * and from every outbox post there. Shared by all instances, read by /readyz, App Home, /metrics.
 */
const slackChannelSchema = new Schema<SlackChannelFields>(
  {
    channel: { type: String, required: true },
    ok: { type: Boolean, default: null },
    error: { type: String, default: null },
    brokenSince: { type: Date, default: null },
    checkedAt: { type: Date, required: true },
  },
  { collection: 'slack_channels' },
);

slackChannelSchema.index({ channel: 1 }, { unique: true });

export type SlackChannelModel = Model<SlackChannelFields>;

export const defineSlackChannelModel = (connection: Connection): SlackChannelModel =>
  connection.model<SlackChannelFields>('SlackChannel', slackChannelSchema);
