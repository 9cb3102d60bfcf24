import { type Connection, type HydratedDocument, type InferSchemaType, type Model, Schema } from 'mongoose';

/**
 * A job run's lease: whoever holds an unexpired lease for `name` runs the job.
 * It expires, so a crashed holder blocks the job for one lease length at most.
 */
const jobLeaseSchema = new Schema(
  {
    name: { type: String, required: true },
    holder: { type: String, default: null },
    until: { type: Date, default: null },
    lastStartedAt: { type: Date, default: null },
    lastFinishedAt: { type: Date, default: null },
    lastError: { type: String, default: null },
  },
  { collection: 'job_leases' },
);

jobLeaseSchema.index({ name: 1 }, { unique: true });

export type JobLeaseFields = InferSchemaType<typeof jobLeaseSchema>;
export type JobLeaseDocument = HydratedDocument<JobLeaseFields>;
export type JobLeaseModel = Model<JobLeaseFields>;

export const defineJobLeaseModel = (connection: Connection): JobLeaseModel => connection.model<JobLeaseFields>('JobLease', jobLeaseSchema);
