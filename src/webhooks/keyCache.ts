import { performance } from 'node:perf_hooks';
import { LRUCache } from 'lru-cache';
import type { Clock } from '../domain/clock.js';
import type { KeySnapshot } from '../domain/keyCheck.js';
import type { Logger } from '../logger.js';
import type { KeyFields, KeyModel } from '../models/index.js';

/** Reads one key's snapshot from the database (the domain's `KeyCheck`). */
export interface KeySnapshotSource {
  snapshot(keyId: string): Promise<KeySnapshot | null>;
}

export interface KeyCacheOptions {
  /** Most keys kept (LRU). */
  max?: number;
  /** How often to ask the database which keys changed. */
  pollIntervalMs?: number;
  /**
   * Each poll looks this far back before the newest `changedAt` it has seen, so a change
   * whose `changedAt` was stamped a little before one already seen is not missed (commit
   * latency, clocks of other instances). Must exceed the instances' clock differences.
   */
  overlapMs?: number;
  /** Cached entries are used only while a poll that started this recently succeeded. */
  maxStalenessMs?: number;
  /**
   * Ids outside the list of key ids are still read from the database this many times a second
   * (a key created on another instance a moment ago, before a poll brought its id); beyond
   * that they are answered "unknown" from memory. Default 10.
   */
  unknownReadsPerSecond?: number;
  /** Milliseconds of a monotonic clock (performance.now); tests pass their own. */
  monotonicNow?: () => number;
}

export interface KeyCacheStats {
  size: number;
  hits: number;
  /** Requests answered "unknown key" from the list of key ids, without a read. */
  unknown: number;
  /** Key ids known to exist (loaded once, then kept current by the polls). */
  knownIds: number;
  /** Snapshots read from the database (misses, and every get while polls fail). */
  loads: number;
  polls: number;
  pollFailures: number;
}

interface PendingLoad {
  promise: Promise<KeySnapshot | null>;
  /** Set when the key changed while loading: the result must not be cached. */
  stale: boolean;
}

const POLL_FIELDS = { keyId: 1, status: 1, changedAt: 1, createdAt: 1 } as const;

/**
 * The webhook receiver's key snapshots (status, IP lock, decrypted secret), so a heartbeat
 * costs no key lookup. Revocation reaches it two ways:
 *  - on this instance at once: the domain announces each change it writes (`KeyChanges`),
 *    and the receiver calls `invalidate`;
 *  - from other instances within a second: every `pollIntervalMs` ONE indexed query
 *    (`changedAt > newest seen − overlap`) names the keys that changed, which are dropped
 *    and reloaded on their next use. Dropping, never overwriting with the polled document,
 *    keeps a slow poll from putting back an older state than a reload already fetched.
 * Unknown ids cost (almost) no read either: the cache holds every key id there is (loaded by the
 * first poll, then each poll adds the ids it sees, new keys included, and the domain announces
 * the ones created here), so an id outside that list is answered "unknown" from memory — while
 * a recent poll vouches for the list, as for cached keys — except for `unknownReadsPerSecond`
 * reads a second, which let a key created on another instance a moment ago work before the
 * next poll brings its id. A flood of random ids thus costs at most that many reads a second;
 * a key created here is usable at once, one created elsewhere at once too (within the read
 * budget) or else within a poll (≤ 1 s). The list grows with keys, never with requests.
 * When the last good poll is older than `maxStalenessMs` because polls run late (a busy database
 * or event loop), a request for a cached key waits for a poll (one for all of them) rather than
 * reading its key. If polls fail, the cache is bypassed (every request reads the key) until a
 * poll succeeds again, so a broken poll never serves a revoked key for long.
 */
export class KeyCache {
  private readonly entries: LRUCache<string, KeySnapshot>;
  private readonly loading = new Map<string, PendingLoad>();
  private readonly pollIntervalMs: number;
  private readonly overlapMs: number;
  private readonly maxStalenessMs: number;
  private readonly monotonicNow: () => number;
  /** The newest `changedAt` a poll returned (the writers' clock, not ours). */
  private newestChange: Date;
  private lastGoodPollStartedAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private stopped = true;
  private failingSince: number | undefined;
  private readonly counters = { hits: 0, unknown: 0, loads: 0, polls: 0, pollFailures: 0 };
  /** Every key id in the database (undefined until a poll has loaded them). */
  private knownIds: Set<string> | undefined;
  private readonly unknownReadsPerSecond: number;
  /** Token bucket of reads for ids outside the list: tokens, and when it was last filled. */
  private unknownReads: { tokens: number; at: number };
  /** Changes (`keyId|changedAt`) still inside the overlap, and how many more polls may drop their key. */
  private recentChanges = new Map<string, number>();
  private readonly dropsPerChange: number;

  constructor(
    private readonly keys: KeySnapshotSource,
    private readonly Key: KeyModel,
    clock: Clock,
    private readonly logger: Logger,
    options: KeyCacheOptions = {},
  ) {
    this.entries = new LRUCache({ max: options.max ?? 10_000 });
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.overlapMs = options.overlapMs ?? 2_000;
    this.maxStalenessMs = options.maxStalenessMs ?? 1_000;
    this.monotonicNow = options.monotonicNow ?? (() => performance.now());
    this.unknownReadsPerSecond = options.unknownReadsPerSecond ?? 10;
    this.unknownReads = { tokens: this.unknownReadsPerSecond, at: this.monotonicNow() };
    this.dropsPerChange = Math.max(1, Math.ceil(this.overlapMs / this.pollIntervalMs));
    this.newestChange = clock();
  }

  /** Starts polling (the first poll at once). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const tick = async () => {
      await this.pollNow();
      if (!this.stopped) this.timer = setTimeout(tick, this.pollIntervalMs).unref();
    };
    void tick();
  }

  /** The poll in flight, or a new one: never two at once. */
  private pollNow(): Promise<void> {
    this.polling ??= this.poll().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.polling;
  }

  /** The key's snapshot, null for an unknown key. Throws when the database fails. */
  async get(keyId: string): Promise<KeySnapshot | null> {
    // A late poll (a busy database, a busy event loop) must not turn every request into a key
    // read: one poll vouches for the whole cache again, so requests wait for that one instead.
    // (Twice at most: a poll already in flight may have started too long ago to vouch.)
    const answerable = () => this.entries.has(keyId) || (this.knownIds !== undefined && !this.knownIds.has(keyId));
    for (let attempt = 0; attempt < 2 && !this.fresh() && answerable() && !this.stopped && this.failingSince === undefined; attempt++) {
      await this.pollNow();
    }
    if (this.fresh()) {
      if (this.knownIds && !this.knownIds.has(keyId) && !this.takeUnknownRead()) {
        this.counters.unknown++;
        return null;
      }
      const hit = this.entries.get(keyId);
      if (hit) {
        this.counters.hits++;
        return hit;
      }
    }
    return this.load(keyId);
  }

  /** Forgets the key (it may exist now), and any load of it in flight: its next use reads the database. */
  invalidate(keyId: string): void {
    this.knownIds?.add(keyId);
    this.entries.delete(keyId);
    const pending = this.loading.get(keyId);
    if (pending) {
      pending.stale = true;
      this.loading.delete(keyId);
    }
  }

  stats(): KeyCacheStats {
    return { size: this.entries.size, knownIds: this.knownIds?.size ?? 0, ...this.counters };
  }

  /** One indexed query for keys changed since the newest change seen (minus the overlap). */
  async poll(): Promise<void> {
    const startedAt = this.monotonicNow();
    const since = new Date(this.newestChange.getTime() - this.overlapMs);
    this.counters.polls++;
    try {
      // From the primary (whatever MONGODB_URI's readPreference): a lagging secondary would hide a revocation.
      const changed = await this.Key.find({ changedAt: { $gt: since } }, POLL_FIELDS)
        .read('primary')
        .lean<Pick<KeyFields, 'keyId' | 'status' | 'changedAt' | 'createdAt'>[]>();
      // Once: every id there is. A key created meanwhile is in this poll's changes or the next ones (the overlap).
      this.knownIds ??= await this.loadKeyIds();
      const stillRecent = new Map<string, number>();
      for (const { keyId, status, changedAt, createdAt } of changed) {
        this.knownIds.add(keyId);
        if (changedAt.getTime() > this.newestChange.getTime()) this.newestChange = changedAt;
        // A new key, unchanged since: nothing about it can be cached but its absence, just undone.
        if (status === 'active' && createdAt && changedAt.getTime() === createdAt.getTime()) continue;
        // Each change is seen by every poll within the overlap; its key is dropped on the
        // first few (a second write in the same millisecond is caught too), not forever.
        const change = `${keyId}|${changedAt.getTime()}`;
        const drops = this.recentChanges.get(change) ?? this.dropsPerChange;
        if (drops > 0) this.invalidate(keyId);
        stillRecent.set(change, Math.max(0, drops - 1));
      }
      this.recentChanges = stillRecent;
      this.lastGoodPollStartedAt = startedAt;
      if (this.failingSince !== undefined) this.logger.info('key cache: polling works again');
      this.failingSince = undefined;
    } catch (error) {
      this.counters.pollFailures++;
      if (this.failingSince === undefined) {
        this.failingSince = startedAt;
        this.logger.warn({ err: error }, 'key cache: polling for changed keys failed; reading keys from the database until it works again');
      }
    }
  }

  /** One read for an id outside the list, if the budget has one left (refilled continuously, at most one second's worth). */
  private takeUnknownRead(): boolean {
    const now = this.monotonicNow();
    const refill = ((now - this.unknownReads.at) / 1000) * this.unknownReadsPerSecond;
    this.unknownReads = { tokens: Math.min(this.unknownReadsPerSecond, this.unknownReads.tokens + refill), at: now };
    if (this.unknownReads.tokens < 1) return false;
    this.unknownReads.tokens--;
    return true;
  }

  /** Every key id, from the keyId index alone. */
  private async loadKeyIds(): Promise<Set<string>> {
    const ids = await this.Key.find({}, { _id: 0, keyId: 1 }).hint({ keyId: 1 }).read('primary').lean<{ keyId: string }[]>();
    return new Set(ids.map((k) => k.keyId));
  }

  /** Entries may be used only while a recent poll vouches for them. */
  private fresh(): boolean {
    return this.monotonicNow() - this.lastGoodPollStartedAt <= this.maxStalenessMs;
  }

  /** Reads the key once however many requests want it at the same moment. */
  private load(keyId: string): Promise<KeySnapshot | null> {
    const inFlight = this.loading.get(keyId);
    if (inFlight) return inFlight.promise;
    this.counters.loads++;
    const pending: PendingLoad = { stale: false, promise: undefined as unknown as Promise<KeySnapshot | null> };
    pending.promise = this.keys.snapshot(keyId).then(
      (snapshot) => {
        if (this.loading.get(keyId) === pending) this.loading.delete(keyId);
        if (snapshot) this.knownIds?.add(keyId);
        if (snapshot && !pending.stale) this.entries.set(keyId, snapshot);
        return snapshot;
      },
      (error: unknown) => {
        if (this.loading.get(keyId) === pending) this.loading.delete(keyId);
        throw error;
      },
    );
    this.loading.set(keyId, pending);
    return pending.promise;
  }
}
