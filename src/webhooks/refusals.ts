import type { Clock } from '../domain/clock.js';
import type { Logger } from '../logger.js';
import type { WebhookRefusalModel } from '../models/index.js';
import type { RefusalReason } from './verify.js';

export interface RefusalRecord {
  reason: RefusalReason;
  status: number;
  /** The bare key id the request named, when it named one in the right form (unverified). */
  keyId: string | null;
  ip: string | null;
  /** Never a secret, a signature or the body. */
  message: string;
}

interface Tally {
  windowStart: Date;
  reason: string;
  status: number;
  keyId: string | null;
  ip: string | null;
  count: number;
  lastAt: Date;
  message: string;
}

const WINDOW_MS = 60_000;

/**
 * Counts refused webhooks per (minute, reason, key, ip) in memory and writes the counts
 * with one bulk upsert (`$inc count`) per `flushEveryMs`: each tuple is written at most once
 * a second however hard a phone (or an attacker) hammers, and nothing of the request but
 * these fields is kept. Writes are best effort: on failure the counts wait for the next
 * flush; past `maxTuples` distinct tuples the extra ones are dropped (and logged once).
 */
export class RefusalRecorder {
  private pending = new Map<string, Tally>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private droppedSince: number | undefined;
  private failing = false;
  private closed = false;

  constructor(
    private readonly model: WebhookRefusalModel,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly flushEveryMs = 1_000,
    private readonly maxTuples = 5_000,
  ) {}

  count(refusal: RefusalRecord): void {
    const now = this.clock();
    const windowStart = new Date(Math.floor(now.getTime() / WINDOW_MS) * WINDOW_MS);
    const id = [windowStart.getTime(), refusal.reason, refusal.keyId ?? '', refusal.ip ?? ''].join('|');
    const tally = this.pending.get(id);
    if (tally) {
      tally.count++;
      tally.lastAt = now;
      tally.message = refusal.message;
    } else if (this.pending.size < this.maxTuples) {
      this.pending.set(id, {
        windowStart,
        reason: refusal.reason,
        status: refusal.status,
        keyId: refusal.keyId,
        ip: refusal.ip,
        count: 1,
        lastAt: now,
        message: refusal.message,
      });
    } else {
      if (this.droppedSince === undefined)
        this.logger.warn({ tuples: this.maxTuples }, 'too many distinct webhook refusals to count; dropping some until the next flush');
      this.droppedSince ??= now.getTime();
      return;
    }
    if (!this.closed) this.timer ??= setTimeout(() => void this.flush(), this.flushEveryMs).unref();
  }

  /** Writes every pending count (one bulk upsert). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushing;
    if (this.pending.size === 0) return;
    this.flushing = this.write().finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
  }

  /** A last flush; counts that cannot be written then are dropped. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private async write(): Promise<void> {
    const tallies = [...this.pending.values()];
    this.pending = new Map();
    this.droppedSince = undefined;
    try {
      await this.model.bulkWrite(
        tallies.map((t) => ({
          updateOne: {
            filter: { windowStart: t.windowStart, reason: t.reason, keyId: t.keyId, ip: t.ip },
            update: { $inc: { count: t.count }, $set: { status: t.status, lastAt: t.lastAt, message: t.message } },
            upsert: true,
          },
        })),
        { ordered: false },
      );
      if (this.failing) this.logger.info('webhook refusal counts are written again');
      this.failing = false;
    } catch (error) {
      // Put back the counts not written (all of them unless the error lists the failed ones).
      const writeErrors = (error as { writeErrors?: { index: number }[] }).writeErrors;
      const failed =
        Array.isArray(writeErrors) && writeErrors.length > 0 ? writeErrors.map((e) => tallies[e.index]!).filter(Boolean) : tallies;
      for (const t of failed) this.restore(t);
      if (!this.failing) this.logger.warn({ err: error, tuples: failed.length }, 'could not write webhook refusal counts; will retry');
      this.failing = true;
      if (this.pending.size > 0 && !this.closed) this.timer ??= setTimeout(() => void this.flush(), this.flushEveryMs).unref();
    }
  }

  private restore(t: Tally): void {
    const id = [t.windowStart.getTime(), t.reason, t.keyId ?? '', t.ip ?? ''].join('|');
    const current = this.pending.get(id);
    if (current) {
      current.count += t.count;
      return;
    }
    if (this.pending.size < this.maxTuples) this.pending.set(id, t);
  }
}
