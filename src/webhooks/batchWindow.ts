/**
 * How long the first event of a batch waits for others. Few events: a short wait, so a lone
 * heartbeat is answered at once. Many (`busyAbovePerSecond` or more): a longer one, so a batch
 * holds enough events to keep the database commands per event low however fast the database
 * answers (at 1,000 events/s and 25 ms, 25 events share a batch's five commands) — still short
 * beside anything a phone waits for.
 */
export interface BatchWindowOptions {
  /** The wait when events are few (0: the same tick only). Default 5 ms. */
  flushWindowMs?: number;
  /** The wait under load. Default 25 ms. */
  busyFlushWindowMs?: number;
  /** Events per second from which the longer wait applies. Default 200. */
  busyAbovePerSecond?: number;
  /** A monotonic clock in ms (tests). Default performance.now. */
  now?: () => number;
}

export class BatchWindow {
  private readonly quietMs: number;
  private readonly busyMs: number;
  private readonly busyAbove: number;
  private readonly now: () => number;
  /** Arrivals in the current second of the monotonic clock, and in the one before it. */
  private second = 0;
  private count = 0;
  private previous = 0;

  constructor(options: BatchWindowOptions = {}) {
    this.quietMs = options.flushWindowMs ?? 5;
    this.busyMs = Math.max(this.quietMs, options.busyFlushWindowMs ?? 25);
    this.busyAbove = options.busyAbovePerSecond ?? 200;
    this.now = options.now ?? (() => performance.now());
  }

  /** Counts one arrival and says how long a batch it starts should wait. */
  arrival(): number {
    const second = Math.floor(this.now() / 1000);
    if (second !== this.second) {
      this.previous = second === this.second + 1 ? this.count : 0;
      this.second = second;
      this.count = 0;
    }
    // The rate: this second's count so far, or the whole last second's, whichever is higher.
    return Math.max(++this.count, this.previous) >= this.busyAbove ? this.busyMs : this.quietMs;
  }
}
