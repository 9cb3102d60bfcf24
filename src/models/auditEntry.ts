import { type Connection, type HydratedDocument, type InferSchemaType, type Model, Schema } from 'mongoose';

/** Who did what to which key or phone, and when. Written for every change. */
const auditEntrySchema = new Schema(
  {
    at: { type: Date, required: true, default: () => new Date() },
    /** A Slack user ID, `api:<token name>`, or `system:<job>` / `phone:<pk_id>` for automatic changes. */
    actor: { type: String, required: true },
    action: { type: String, required: true },
    keyId: { type: String, default: null },
    phoneNumber: { type: String, default: null },
    details: { type: Schema.Types.Mixed, default: {} },
  },
  { collection: 'audit_entries', minimize: false },
);

// Newest first; _id orders entries of the same millisecond (a change and its consequences).
auditEntrySchema.index({ at: -1, _id: -1 });
auditEntrySchema.index({ keyId: 1, at: -1, _id: -1 });
// `/keys audit @person` and `/keys audit <key> @person`.
auditEntrySchema.index({ actor: 1, at: -1, _id: -1 });
auditEntrySchema.index({ keyId: 1, actor: 1, at: -1, _id: -1 });

export type AuditEntryFields = InferSchemaType<typeof auditEntrySchema>;
export type AuditEntryDocument = HydratedDocument<AuditEntryFields>;
export type AuditEntryModel = Model<AuditEntryFields>;

export const defineAuditEntryModel = (connection: Connection): AuditEntryModel =>
  connection.model<AuditEntryFields>('AuditEntry', auditEntrySchema);
