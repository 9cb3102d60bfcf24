/**
 * The hourly per-phone totals a batch of stored events adds (README: Fleet report), as plain
 * driver operations: one `$inc` upsert per (number, UTC hour) touched, however many events.
 *
 * Online time: a heartbeat received at `t` covers [t, t + SILENT_AFTER_MINUTES) — the phone is
 * online at a moment when its last heartbeat is at most that old, which is exactly when the
 * silent-phones job does not call it silent. Each heartbeat credits the part of its cover that
 * the number's previous heartbeat did not already cover, split at hour boundaries; so minutes
 * are credited as they are covered (at most SILENT_AFTER_MINUTES ahead), never later.
 */

export const HOUR_MS = 3_600_000;

const HEARTBEAT = 'phone.heartbeat';

/** The counter each counted event type adds one to. */
const COUNTER_OF: Readonly<Record<string, string>> = {
  [HEARTBEAT]: 'heartbeats',
  'message.phone.sent': 'sent',
  'message.phone.delivered': 'delivered',
  'message.send.failed': 'failed',
  'message.send.expired': 'expired',
  'message.phone.received': 'received',
};

export interface CountedEvent {
  type: string;
  phoneNumbers: string[];
  /** Server time: the hour an event counts in, and where a heartbeat's cover starts. */
  receivedAt: Date;
}

export type HourlyTotalsUpdate = {
  updateOne: { filter: { phoneNumber: string; hour: Date }; update: { $inc: Record<string, number> }; upsert: true };
};

export const startOfHour = (ms: number): number => Math.floor(ms / HOUR_MS) * HOUR_MS;

/**
 * @param events the batch's stored events, in the order they were received
 * @param lastHeartbeatBefore each number's last heartbeat before this batch (null: none yet)
 * @param silentAfterMs how long a heartbeat covers
 */
export function hourlyTotalsUpdates(
  events: readonly CountedEvent[],
  lastHeartbeatBefore: ReadonlyMap<string, Date | null>,
  silentAfterMs: number,
): HourlyTotalsUpdate[] {
  const buckets = new Map<string, { phoneNumber: string; hour: number; inc: Record<string, number> }>();
  const add = (phoneNumber: string, hour: number, field: string, amount: number) => {
    const key = `${phoneNumber}\u0000${hour}`;
    let bucket = buckets.get(key);
    if (!bucket) buckets.set(key, (bucket = { phoneNumber, hour, inc: {} }));
    bucket.inc[field] = (bucket.inc[field] ?? 0) + amount;
  };
  // How far each number is covered by the heartbeats seen so far (before and in this batch).
  const coveredUntil = new Map<string, number>();

  for (const event of events) {
    const counter = COUNTER_OF[event.type];
    if (!counter) continue;
    const at = event.receivedAt.getTime();
    for (const number of event.phoneNumbers) {
      add(number, startOfHour(at), counter, 1);
      if (event.type !== HEARTBEAT) continue;
      const previous = lastHeartbeatBefore.get(number);
      const covered = coveredUntil.get(number) ?? (previous ? previous.getTime() + silentAfterMs : Number.NEGATIVE_INFINITY);
      const end = at + silentAfterMs;
      // A heartbeat older than the last one (another instance's clock) adds nothing.
      for (let from = Math.max(at, covered); from < end; ) {
        const hourEnd = startOfHour(from) + HOUR_MS;
        const to = Math.min(end, hourEnd);
        add(number, startOfHour(from), 'onlineMs', to - from);
        from = to;
      }
      coveredUntil.set(number, Math.max(covered, end));
    }
  }
  return [...buckets.values()].map(({ phoneNumber, hour, inc }) => ({
    updateOne: { filter: { phoneNumber, hour: new Date(hour) }, update: { $inc: inc }, upsert: true },
  }));
}

/** The same updates with every amount negated: takes back what a failed batch added. */
export function reversed(updates: readonly HourlyTotalsUpdate[]): HourlyTotalsUpdate[] {
  return updates.map(({ updateOne: { filter, update } }) => ({
    updateOne: {
      filter,
      update: { $inc: Object.fromEntries(Object.entries(update.$inc).map(([field, amount]) => [field, -amount])) },
      upsert: true,
    },
  }));
}
