import { isDuplicateKeyError } from '../domain/errors.js';
import { publicIdOf } from '../domain/keyMaterial.js';
import type { KeyService } from '../domain/keys.js';
import type { Logger } from '../logger.js';
import type { Models } from '../models/index.js';
import { BatchWindow, type BatchWindowOptions } from './batchWindow.js';
import { hourlyTotalsUpdates, reversed } from './hourlyTotals.js';
import { type EventDoc, eventDoc, type IncomingPhoneEvent, type PhoneHealthOptions, phoneUpdates, usageUpdates } from './ingestWrites.js';

export type { IncomingPhoneEvent } from './ingestWrites.js';

export type IngestResult =
  | { outcome: 'stored' }
  /** This key already sent this webhook-id: nothing stored or changed again. */
  | { outcome: 'duplicate' }
  | { outcome: 'not_linked'; phoneNumber: string };

/** The database failed (or the service is closing): nothing was recorded; the phone should retry. */
export class IngestUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IngestUnavailableError';
  }
}

export interface IngestOptions extends PhoneHealthOptions, BatchWindowOptions {
  /** A batch is written at once when this many are queued. */
  maxBatch?: number;
  /** Requests queued beyond this are refused at once (the database cannot keep up). */
  maxQueued?: number;
  /** How long a heartbeat keeps its phone online, for the hourly totals (SILENT_AFTER_MINUTES; default 30 min). */
  silentAfterMs?: number;
  /** Stored events are deleted this long after they arrive (EVENT_RETENTION_DAYS; default 30 days). */
  eventRetentionMs?: number;
}

export interface IngestStats {
  batches: number;
  stored: number;
  duplicates: number;
  notLinked: number;
  failed: number;
  /** Database commands sent by batches (a heartbeat's share is commands / stored). */
  commands: number;
  /** Of those, the hourly totals' writes (one per batch that stored a counted event). */
  totalsCommands: number;
  /** Batches whose hourly totals could not be written (their events were still stored). */
  totalsFailed: number;
}

interface Pending {
  event: IncomingPhoneEvent;
  resolve(result: IngestResult): void;
  reject(error: unknown): void;
}

const REGISTERED = 'phone.registered';

/**
 * Records accepted phone webhooks. (keyId, webhookId) is unique in PhoneEvent, and the
 * insert decides: an event's side effects (a heartbeat's phone update, the key's
 * lastUsedAt/timesUsed) happen only for the documents the insert actually stored, so a
 * retried or doubled webhook changes nothing twice, even when both copies arrive at once.
 *
 * Events other than registrations are written in batches: those arriving within
 * the batch window (./batchWindow.ts: 5 ms, 25 ms under load; or `maxBatch` of them) cost five commands together — the links of their
 * numbers (one find, which also reads each number's last heartbeat), the events (one unordered
 * insertMany), the phones (one bulkWrite), the keys' usage counters (one bulkWrite) and the
 * hourly totals (one bulkWrite to PhoneHour; a failure there is logged, not the phones' problem). Batches are written one after another, so a phone's
 * heartbeats are applied in arrival order. Each request is answered once its batch is
 * written; a database error fails its batch, and the events it stored are deleted again so
 * the phone's retry is not taken for a duplicate.
 *
 * Registrations (rare: the app's login) are recorded one by one: event, then the links
 * (KeyService.linkPhones, audited), then the key's usage.
 */
export class PhoneEventIngest {
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private closed = false;
  private readonly window: BatchWindow;
  private readonly maxBatch: number;
  private readonly maxQueued: number;
  private readonly silentAfterMs: number;
  private readonly eventRetentionMs: number;
  private readonly health: PhoneHealthOptions;
  private readonly counters: IngestStats = {
    batches: 0,
    stored: 0,
    duplicates: 0,
    notLinked: 0,
    failed: 0,
    commands: 0,
    totalsCommands: 0,
    totalsFailed: 0,
  };

  constructor(
    private readonly models: Pick<Models, 'PhoneEvent' | 'Phone' | 'Key' | 'PhoneHour'>,
    private readonly keys: KeyService,
    private readonly logger: Logger,
    options: IngestOptions = {},
  ) {
    this.window = new BatchWindow(options);
    this.maxBatch = Math.max(1, options.maxBatch ?? 200);
    this.maxQueued = options.maxQueued ?? 10_000;
    this.silentAfterMs = options.silentAfterMs ?? 30 * 60_000;
    this.eventRetentionMs = options.eventRetentionMs ?? 30 * 24 * 3_600_000;
    this.health = { batteryLowPercent: options.batteryLowPercent };
  }

  /** Resolves once the event is written (or found a duplicate, or refused); rejects with IngestUnavailableError. */
  record(event: IncomingPhoneEvent): Promise<IngestResult> {
    if (this.closed) return Promise.reject(new IngestUnavailableError('the server is shutting down'));
    if (event.type === REGISTERED) return this.recordRegistration(event);
    if (this.queue.length >= this.maxQueued) return Promise.reject(new IngestUnavailableError('too many events waiting for the database'));
    return new Promise((resolve, reject) => {
      this.queue.push({ event, resolve, reject });
      const wait = this.window.arrival();
      if (this.queue.length >= this.maxBatch) this.startFlush();
      else this.timer ??= setTimeout(() => this.startFlush(), wait);
    });
  }

  /** Writes everything queued, then refuses new events. */
  async close(): Promise<void> {
    this.closed = true;
    this.startFlush();
    await this.flushing;
  }

  stats(): IngestStats {
    return { ...this.counters };
  }

  // ── batches ───────────────────────────────────────────────────────────

  private startFlush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flushing ??= this.drain().finally(() => {
      this.flushing = undefined;
      // Events queued while the last batch was written (and not taken by it) get their own timer.
      if (this.queue.length > 0) this.timer ??= setTimeout(() => this.startFlush(), 0);
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        await this.writeBatch(batch);
      } catch (error) {
        // writeBatch settles every request itself; this is a last resort for a bug.
        this.logger.error({ err: error }, 'phone event batch failed unexpectedly');
        for (const item of batch) item.reject(new IngestUnavailableError('could not record the event', { cause: error }));
      }
    }
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    this.counters.batches++;
    const { PhoneEvent, Phone, Key, PhoneHour } = this.models;

    // 1. Links: every number must be linked to the signing key, as of this batch.
    const numbers = [...new Set(batch.flatMap((item) => item.event.phoneNumbers))];
    let linkedTo: Map<string, string | null>;
    // Where each number's online time stands (the hourly totals), read with the links at no extra cost.
    let lastHeartbeat: Map<string, Date | null>;
    try {
      this.counters.commands++;
      // One reply for the whole batch (the default first batch of 101 would need a getMore).
      const phones = await Phone.collection
        .find<{ number: string; keyId?: string | null; lastHeartbeatAt?: Date | null }>(
          { number: { $in: numbers } },
          // the primary's answer: a number just linked (or unlinked) must count at once
          { projection: { _id: 0, number: 1, keyId: 1, lastHeartbeatAt: 1 }, batchSize: numbers.length + 1, readPreference: 'primary' },
        )
        .toArray();
      linkedTo = new Map(phones.map((p) => [p.number, p.keyId ?? null]));
      lastHeartbeat = new Map(phones.map((p) => [p.number, p.lastHeartbeatAt ?? null]));
    } catch (error) {
      return this.failAll(batch, error);
    }
    const linked: Pending[] = [];
    for (const item of batch) {
      const unlinked = item.event.phoneNumbers.find((n) => linkedTo.get(n) !== item.event.keyId);
      if (unlinked) {
        this.counters.notLinked++;
        item.resolve({ outcome: 'not_linked', phoneNumber: unlinked });
      } else linked.push(item);
    }
    if (linked.length === 0) return;

    // 2. Events: the unique (keyId, webhookId) index decides which are new.
    const docs = linked.map((item) => eventDoc(item.event, this.eventRetentionMs));
    const failedAt = new Map<number, 'duplicate' | 'error'>();
    try {
      this.counters.commands++;
      await PhoneEvent.collection.insertMany(docs, { ordered: false });
    } catch (error) {
      const writeErrors = (error as { writeErrors?: { index: number; code?: number }[] }).writeErrors;
      if (!Array.isArray(writeErrors) || writeErrors.length === 0) {
        // The outcome is unknown (e.g. the connection dropped): undo what may have been written.
        await this.deleteEvents(docs);
        return this.failAll(linked, error);
      }
      for (const writeError of writeErrors) failedAt.set(writeError.index, writeError.code === 11000 ? 'duplicate' : 'error');
      if ([...failedAt.values()].includes('error')) this.logger.error({ err: error }, 'some phone events could not be stored');
    }
    const stored: { item: Pending; doc: EventDoc }[] = [];
    linked.forEach((item, index) => {
      const failure = failedAt.get(index);
      if (failure === 'duplicate') {
        this.counters.duplicates++;
        item.resolve({ outcome: 'duplicate' });
      } else if (failure === 'error') {
        this.counters.failed++;
        item.reject(new IngestUnavailableError('could not store the event'));
      } else stored.push({ item, doc: docs[index]! });
    });
    if (stored.length === 0) return;

    // 3. Side effects of what was stored: heartbeats and send outcomes on phones, usage on keys, the hourly totals.
    const events = stored.map((s) => s.item.event);
    const phoneOps = phoneUpdates(events, this.health);
    const keyOps = usageUpdates(events);
    const totalsOps = hourlyTotalsUpdates(events, lastHeartbeat, this.silentAfterMs);
    this.counters.commands += (phoneOps.length > 0 ? 1 : 0) + 1 + (totalsOps.length > 0 ? 1 : 0);
    if (totalsOps.length > 0) this.counters.totalsCommands++;
    // The driver's bulkWrite, not mongoose's: these updates are already typed, and mongoose's
    // casting of a batch's hundreds of statements was most of the receiver's database-client
    // CPU per heartbeat (npm run bench); updatedAt is set by hand instead.
    const [sideEffects, totals] = await Promise.allSettled([
      Promise.all([
        phoneOps.length > 0 ? Phone.collection.bulkWrite(phoneOps, { ordered: false }) : undefined,
        Key.collection.bulkWrite(keyOps, { ordered: false }),
      ]),
      totalsOps.length > 0 ? PhoneHour.collection.bulkWrite(totalsOps, { ordered: false }) : undefined,
    ]);
    if (sideEffects.status === 'rejected') {
      // The phones retry the whole batch: take back the totals it added, so they are not counted twice.
      if (totals.status === 'fulfilled' && totalsOps.length > 0) await this.takeBackTotals(totalsOps);
      await this.deleteEvents(stored.map((s) => s.doc));
      return this.failAll(
        stored.map((s) => s.item),
        sideEffects.reason,
      );
    }
    if (totals.status === 'rejected') {
      // Reporting data only: the events are stored and the phones answered; this batch is missing from the totals.
      this.counters.totalsFailed++;
      this.logger.error({ err: totals.reason, events: stored.length }, 'could not add a batch of phone events to the hourly totals');
    }
    this.counters.stored += stored.length;
    for (const { item } of stored) item.resolve({ outcome: 'stored' });
  }

  private failAll(items: Pending[], error: unknown): void {
    this.counters.failed += items.length;
    this.logger.warn({ err: error, events: items.length }, 'could not record phone events: the database failed');
    for (const item of items) item.reject(new IngestUnavailableError('the database is unavailable', { cause: error }));
  }

  /** Best effort, as deleteEvents: if this fails too, the retried batch is counted twice in its hours. */
  private async takeBackTotals(ops: ReturnType<typeof hourlyTotalsUpdates>): Promise<void> {
    try {
      await this.models.PhoneHour.collection.bulkWrite(reversed(ops), { ordered: false });
    } catch (error) {
      this.logger.warn({ err: error }, 'could not take back the hourly totals of a failed batch; its retry will count twice');
    }
  }

  /** Best effort: the database just failed, so this may fail too (then a retry is answered 200). */
  private async deleteEvents(docs: EventDoc[]): Promise<void> {
    try {
      await this.models.PhoneEvent.collection.deleteMany({ _id: { $in: docs.map((d) => d._id) } });
    } catch (error) {
      this.logger.warn(
        { err: error, events: docs.length },
        'could not remove phone events of a failed batch; their retries will be answered as duplicates',
      );
    }
  }

  // ── registrations ─────────────────────────────────────────────────────

  private async recordRegistration(event: IncomingPhoneEvent): Promise<IngestResult> {
    const { PhoneEvent, Phone, Key } = this.models;
    const doc = eventDoc(event, this.eventRetentionMs);
    try {
      await PhoneEvent.collection.insertOne(doc);
    } catch (error) {
      if (isDuplicateKeyError(error)) {
        this.counters.duplicates++;
        return { outcome: 'duplicate' };
      }
      this.counters.failed++;
      throw new IngestUnavailableError('the database is unavailable', { cause: error });
    }
    try {
      await this.keys.linkPhones(event.keyId, event.phoneNumbers, `phone:${publicIdOf(event.keyId)}`);
      const device = event.data.device;
      if (device && typeof device === 'object') {
        await Phone.updateMany({ number: { $in: event.phoneNumbers }, keyId: event.keyId }, { $set: { device } });
      }
      await Key.updateOne({ keyId: event.keyId }, { $set: { lastUsedAt: event.receivedAt }, $inc: { timesUsed: 1 } });
    } catch (error) {
      await this.deleteEvents([doc]);
      this.counters.failed++;
      throw new IngestUnavailableError('the database is unavailable', { cause: error });
    }
    this.counters.stored++;
    return { outcome: 'stored' };
  }
}
