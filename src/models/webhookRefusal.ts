import { type Connection, type HydratedDocument, type InferSchemaType, type Model, Schema } from 'mongoose';

/**
 * Refused webhooks, counted per (window, reason, key, ip) rather than stored one
 * by one: a misconfigured or hostile phone cannot grow the database.
 */
const webhookRefusalSchema = new Schema(
  {
    windowStart: { type: Date, required: true },
    reason: { type: String, required: true },
    status: { type: Number, required: true },
    keyId: { type: String, default: null },
    ip: { type: String, default: null },
    count: { type: Number, default: 0 },
    lastAt: { type: Date, required: true },
    /** The last refusal message, for the operator (never a secret). */
    message: { type: String, default: '' },
  },
  { collection: 'webhook_refusals' },
);

webhookRefusalSchema.index({ windowStart: 1, reason: 1, keyId: 1, ip: 1 }, { unique: true });
// Kept 30 days: counts are for diagnosing phones, not an archive.
webhookRefusalSchema.index({ windowStart: 1 }, { expireAfterSeconds: 30 * 24 * 3600 });

export type WebhookRefusalFields = InferSchemaType<typeof webhookRefusalSchema>;
export type WebhookRefusalDocument = HydratedDocument<WebhookRefusalFields>;
export type WebhookRefusalModel = Model<WebhookRefusalFields>;

export const defineWebhookRefusalModel = (connection: Connection): WebhookRefusalModel =>
  connection.model<WebhookRefusalFields>('WebhookRefusal', webhookRefusalSchema);
