import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { isDuplicateKeyError } from '../domain/errors.js';
import type { Models } from '../models/index.js';

/**
 * A job run's lease in MongoDB (JobLease, unique `name`): whoever holds an unexpired lease
 * runs the job; everyone else skips that run. It expires, so a holder that crashed blocks the
 * job for one lease length at most.
 */

/** Long enough for any run; short enough that a crashed holder is replaced soon. */
export const DEFAULT_LEASE_MS = 5 * 60_000;

/** Identifies this process in lease documents (for operators), random so restarts differ. */
const PROCESS_HOLDER = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

let runCounter = 0;
/** A holder id per run: two runs in one process (or two app instances in one test) are distinct holders. */
export function newHolderId(): string {
  runCounter += 1;
  return `${PROCESS_HOLDER}#${runCounter}`;
}

export interface Lease {
  name: string;
  holder: string;
  until: Date;
  /** Frees the lease (only if this run still holds it) and records how the run ended. */
  release(now: Date, error?: string | null): Promise<void>;
}

export interface AcquireOptions {
  holder?: string;
  now: Date;
  ttlMs?: number;
}

/**
 * Takes the lease `name` if it is free or expired: one atomic findOneAndUpdate with upsert.
 * When the lease is held, the filter matches nothing and the upsert's insert hits the unique
 * index on `name` (E11000): that is "someone else has it". Returns null then.
 */
export async function acquireLease(
  models: Pick<Models, 'JobLease'>,
  name: string,
  { holder = newHolderId(), now, ttlMs = DEFAULT_LEASE_MS }: AcquireOptions,
): Promise<Lease | null> {
  const until = new Date(now.getTime() + ttlMs);
  let taken: { holder?: string | null } | null;
  try {
    taken = await models.JobLease.findOneAndUpdate(
      { name, $or: [{ until: null }, { until: { $lte: now } }] },
      { $set: { holder, until, lastStartedAt: now } },
      { upsert: true, returnDocument: 'after' },
    ).lean();
  } catch (error) {
    if (isDuplicateKeyError(error)) return null;
    throw error;
  }
  if (!taken || taken.holder !== holder) return null;
  return {
    name,
    holder,
    until,
    async release(finishedAt, error = null) {
      await models.JobLease.updateOne(
        { name, holder, until },
        { $set: { until: null, lastFinishedAt: finishedAt, lastError: error ? error.slice(0, 500) : null } },
      );
    },
  };
}

/** Who holds the lease and until when (null when free), for logs and tests. */
export async function leaseHolder(
  models: Pick<Models, 'JobLease'>,
  name: string,
  now: Date,
): Promise<{ holder: string; until: Date } | null> {
  const lease = await models.JobLease.findOne({ name }).lean();
  if (!lease?.holder || !lease.until || lease.until.getTime() <= now.getTime()) return null;
  return { holder: lease.holder, until: lease.until };
}
