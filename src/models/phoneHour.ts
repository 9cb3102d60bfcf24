import { type Connection, type InferSchemaType, type Model, Schema } from 'mongoose';

/** Hourly per-phone totals are kept this long (a TTL index on `hour`). */
export const PHONE_HOUR_RETENTION_DAYS = 400;

/**
 * One phone number's totals for one UTC hour, kept up to date by the webhook receiver as it
 * stores events (src/webhooks/hourlyTotals.ts): what the fleet report and App Home read, so
 * their cost follows phones × hours, never the number of stored events. Written only with `$inc`
 * upserts, so a field an hour never saw is absent (read as 0).
 */
const phoneHourSchema = new Schema(
  {
    phoneNumber: { type: String, required: true },
    /** The start of the hour (UTC). */
    hour: { type: Date, required: true },
    heartbeats: { type: Number },
    /** `message.phone.sent`, `message.phone.delivered`, `message.send.failed`, `message.send.expired`. */
    sent: { type: Number },
    delivered: { type: Number },
    failed: { type: Number },
    expired: { type: Number },
    /** `message.phone.received`. */
    received: { type: Number },
    /**
     * Milliseconds of this hour the phone was online: covered by a heartbeat received at most
     * SILENT_AFTER_MINUTES before (README: Fleet report). At most an hour, but readers cap it:
     * two instances may credit the same minutes.
     */
    onlineMs: { type: Number },
  },
  { collection: 'phone_hours', versionKey: false },
);

// The receiver's upserts, and every read: one phone's (or a list of phones') hours in a period.
phoneHourSchema.index({ phoneNumber: 1, hour: 1 }, { unique: true });
phoneHourSchema.index({ hour: 1 }, { expireAfterSeconds: PHONE_HOUR_RETENTION_DAYS * 24 * 3600 });

export type PhoneHourFields = InferSchemaType<typeof phoneHourSchema>;
export type PhoneHourModel = Model<PhoneHourFields>;

export const definePhoneHourModel = (connection: Connection): PhoneHourModel =>
  connection.model<PhoneHourFields>('PhoneHour', phoneHourSchema);
