import { type Connection, type HydratedDocument, type InferSchemaType, type Model, Schema } from 'mongoose';

/**
 * One outage of one phone and the Slack message that tells on-call about it.
 * Created by the single atomic up → down transition, so there is exactly one per
 * outage; posting, resolving and reminding are further conditional updates on it.
 */
const silentAlertSchema = new Schema(
  {
    phoneNumber: { type: String, required: true },
    keyId: { type: String, required: true },
    /** The last heartbeat before the phone went silent. */
    silentSince: { type: Date, required: true },
    detectedAt: { type: Date, required: true },
    channel: { type: String, required: true },
    /** Slack message ts once posted; null while the post is pending (or failed, to retry). */
    ts: { type: String, default: null },
    postedAt: { type: Date, default: null },
    /** A poster's claim, so two instances never post the same alert. */
    claimedUntil: { type: Date, default: null },
    postAttempts: { type: Number, default: 0 },
    lastError: { type: String, default: null },
    lastRemindedAt: { type: Date, default: null },
    reminders: { type: Number, default: 0 },
    /** The heartbeat that ended the outage. */
    resolvedAt: { type: Date, default: null },
    recoveryPostedAt: { type: Date, default: null },
  },
  { timestamps: true, collection: 'silent_alerts' },
);

silentAlertSchema.index({ phoneNumber: 1, silentSince: 1 }, { unique: true });
// The claims of the posting loop, oldest first (fields that #11's outbox will replace).
silentAlertSchema.index({ postedAt: 1, detectedAt: 1 }); // alerts still to post
silentAlertSchema.index({ recoveryPostedAt: 1, resolvedAt: 1 }); // recovery notices still to post
silentAlertSchema.index({ resolvedAt: 1, postedAt: 1 }); // open alerts due a reminder

export type SilentAlertFields = InferSchemaType<typeof silentAlertSchema>;
export type SilentAlertDocument = HydratedDocument<SilentAlertFields>;
export type SilentAlertModel = Model<SilentAlertFields>;

export const defineSilentAlertModel = (connection: Connection): SilentAlertModel =>
  connection.model<SilentAlertFields>('SilentAlert', silentAlertSchema);
