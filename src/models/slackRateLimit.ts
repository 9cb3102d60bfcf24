import { type Connection, type Model, Schema } from 'mongoose';

export interface SlackRateLimitFields {
  /** A Slack method, e.g. chat.postMessage. */
  method: string;
  /** When Slack said to wait (the app's clock): a clock that went back forgets the limit. */
  at: Date;
  /** Until when (Retry-After). */
  until: Date;
}

/**
 * A rate limit Slack announced (429 + Retry-After), shared by every instance's outbox: messages of
 * that method wait until then, and nothing else does. Expired documents are simply ignored.
 */
const slackRateLimitSchema = new Schema<SlackRateLimitFields>(
  {
    method: { type: String, required: true },
    at: { type: Date, required: true },
    until: { type: Date, required: true },
  },
  { collection: 'slack_rate_limits' },
);

slackRateLimitSchema.index({ method: 1 }, { unique: true });
slackRateLimitSchema.index({ until: 1 });

export type SlackRateLimitModel = Model<SlackRateLimitFields>;

export const defineSlackRateLimitModel = (connection: Connection): SlackRateLimitModel =>
  connection.model<SlackRateLimitFields>('SlackRateLimit', slackRateLimitSchema);
