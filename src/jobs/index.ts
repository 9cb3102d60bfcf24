import type { AppContext } from '../context.js';

export const JOB_NAMES = ['silent-phones', 'key-rotation', 'expire-rotated-keys'] as const;
export type JobName = (typeof JOB_NAMES)[number];

export interface Scheduler {
  start(): void;
  /** Stops scheduling and waits for runs in progress. */
  stop(): Promise<void>;
}

export function createScheduler(_context: AppContext): Scheduler {
  // Filled by the scheduled jobs work (issue 5).
  return { start() {}, async stop() {} };
}

export async function runJob(_name: JobName, _context: AppContext): Promise<void> {
  // Filled by the scheduled jobs work (issue 5).
}
