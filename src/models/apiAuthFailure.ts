import { type Connection, type InferSchemaType, type Model, Schema } from 'mongoose';

/**
 * Failed management API authentications, counted per client IP and minute, shared by
 * every instance: more than the limit in one minute and the IP is refused (429) until
 * the minute ends. Counts expire after a day (TTL index).
 */
const apiAuthFailureSchema = new Schema(
  {
    ip: { type: String, required: true },
    windowStart: { type: Date, required: true },
    count: { type: Number, default: 0 },
  },
  { collection: 'api_auth_failures', versionKey: false },
);

apiAuthFailureSchema.index({ ip: 1, windowStart: 1 }, { unique: true });
apiAuthFailureSchema.index({ windowStart: 1 }, { expireAfterSeconds: 24 * 60 * 60 });

export type ApiAuthFailureFields = InferSchemaType<typeof apiAuthFailureSchema>;
export type ApiAuthFailureModel = Model<ApiAuthFailureFields>;

export const defineApiAuthFailureModel = (connection: Connection): ApiAuthFailureModel =>
  connection.model<ApiAuthFailureFields>('ApiAuthFailure', apiAuthFailureSchema);
