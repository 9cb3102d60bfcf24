import { type Connection, type HydratedDocument, type InferSchemaType, type Model, Schema } from 'mongoose';

/** One accepted, verified webhook. (keyId, webhookId) is unique: retries are stored once. */
const phoneEventSchema = new Schema(
  {
    keyId: { type: String, required: true },
    webhookId: { type: String, required: true },
    type: { type: String, required: true },
    /** The first number the event names (kept for queries by one number)… */
    phoneNumber: { type: String, default: null },
    /** …and all of them: a dual-SIM heartbeat speaks for both numbers. */
    phoneNumbers: { type: [String], default: [] },
    /** The event's `data`, unknown extra fields included. */
    data: { type: Schema.Types.Mixed, required: true },
    /** The payload's own `timestamp`. */
    occurredAt: { type: Date, required: true },
    receivedAt: { type: Date, required: true },
    ip: { type: String, default: null },
    /** receivedAt + EVENT_RETENTION_DAYS (as configured when it was stored): the TTL index deletes it then. */
    expiresAt: { type: Date },
  },
  { collection: 'phone_events', minimize: false },
);

phoneEventSchema.index({ keyId: 1, webhookId: 1 }, { unique: true });
// The first heartbeat of a number after an outage (multikey: either SIM's number).
phoneEventSchema.index({ phoneNumbers: 1, type: 1, receivedAt: 1 });
// Bounded storage: each event is deleted at its expiresAt (the hourly totals outlive it).
phoneEventSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });

export type PhoneEventFields = InferSchemaType<typeof phoneEventSchema>;
export type PhoneEventDocument = HydratedDocument<PhoneEventFields>;
export type PhoneEventModel = Model<PhoneEventFields>;

export const definePhoneEventModel = (connection: Connection): PhoneEventModel =>
  connection.model<PhoneEventFields>('PhoneEvent', phoneEventSchema);
