import { randomBytes } from 'node:crypto';
import type { Types } from 'mongoose';
import type { Models, OutboxMessageRecord } from '../models/index.js';
import type { Clock } from './clock.js';
import { isDuplicateKeyError } from './errors.js';

/**
 * The outbox's ledger (README: Slack outbox): the messages owed to the chat, and their claims.
 * It knows which message is owed and in what state its delivery is, not how it looks or which
 * API sends it: that is the drain's (src/slack/outbox/). The domain owes messages through
 * `enqueue` (once) and `want` (a message kept up to date).
 */

export type OutboxItem = OutboxMessageRecord & {
  /** Set on a claimed item whose previous attempt never finished (a crash, a lost claim): its outcome is unknown. */
  abandoned?: boolean;
};

export interface OutboxRef {
  kind: string;
  subject: string;
  episode: string;
}

/** A claim outlives any attempt: an attempt's Slack calls time out well before. */
export const CLAIM_MS = 2 * 60_000;
/** Finished items are kept this long (then a TTL index removes them). */
const KEEP_MS = 90 * 24 * 60 * 60_000;
/** Where the members of a batch wait while their lead is tried: only the lead comes due. */
const PARKED = new Date('9999-01-01T00:00:00Z');

const newClaim = () => randomBytes(9).toString('base64url');

export class Outbox {
  constructor(
    private readonly models: Pick<Models, 'OutboxMessage'>,
    private readonly clock: Clock,
  ) {}

  // ── owing ─────────────────────────────────────────────────────────────

  /**
   * Owes a message once: created unless it exists already, in whatever state (so a run that
   * repeats a decision, or two runs that race, owe it once). Due at `dueAt` (default now).
   */
  async enqueue(ref: OutboxRef, { payload = {}, dueAt }: { payload?: Record<string, unknown>; dueAt?: Date } = {}): Promise<void> {
    const now = this.clock();
    await this.upsert(ref, { $setOnInsert: { payload, nextAttemptAt: dueAt ?? now, state: 'pending', owedAt: now } });
  }

  /**
   * A message kept up to date (an alert): asks for it to show `version`. Creates it, or brings a
   * delivered (or given up) one back so it is delivered again. A delivery in progress is not
   * disturbed: it finishes, sees the newer version wanted, and goes again.
   */
  async want(ref: OutboxRef, version: number): Promise<void> {
    const now = this.clock();
    await this.upsert(ref, {
      $max: { wanted: version },
      $set: { state: 'pending', purgeAt: null, owedAt: now },
      $setOnInsert: { nextAttemptAt: now },
    });
    // Given up earlier (say the channel was broken): it gets its attempts again.
    await this.models.OutboxMessage.updateOne({ ...ref, failures: { $gt: 0 }, claim: null }, { $set: { failures: 0 } });
  }

  /** Brings a pending message forward to now (and records `set` in its payload); false when there is none. */
  async expedite(ref: OutboxRef, set: Record<string, unknown> = {}): Promise<boolean> {
    const now = this.clock();
    const payload = Object.fromEntries(Object.entries(set).map(([k, v]) => [`payload.${k}`, v]));
    const moved = await this.models.OutboxMessage.updateOne(
      { ...ref, state: 'pending', claim: null },
      { $set: { nextAttemptAt: now, ...payload } },
    );
    if (moved.matchedCount === 1) return true;
    // Being delivered right now: it goes out anyway; the payload is still recorded.
    if (Object.keys(payload).length > 0) await this.models.OutboxMessage.updateOne({ ...ref, state: 'pending' }, { $set: payload });
    return (await this.models.OutboxMessage.exists({ ...ref, state: 'pending' })) !== null;
  }

  /** Records fields in a message's payload (e.g. the file of a reveal, uploaded after it). False once it was delivered. */
  async amend(ref: OutboxRef, set: Record<string, unknown>): Promise<boolean> {
    const payload = Object.fromEntries(Object.entries(set).map(([k, v]) => [`payload.${k}`, v]));
    const result = await this.models.OutboxMessage.updateOne({ ...ref, state: 'pending' }, { $set: payload });
    return result.matchedCount === 1;
  }

  /** Drops a message still owed (its reason is gone: e.g. the reveal DM was never posted). */
  async withdraw(ref: OutboxRef, reason: string): Promise<void> {
    await this.models.OutboxMessage.updateOne(
      { ...ref, state: 'pending' },
      { $set: { state: 'cancelled', nextAttemptAt: this.clock(), lastError: reason, purgeAt: this.keepUntil() } },
    );
  }

  find(ref: OutboxRef): Promise<OutboxItem | null> {
    return this.models.OutboxMessage.findOne(ref).lean<OutboxItem>();
  }

  /** Messages still owed, for /metrics. */
  countPending(): Promise<number> {
    return this.models.OutboxMessage.countDocuments({ state: 'pending' });
  }

  // ── delivering (the drain) ────────────────────────────────────────────

  /**
   * Claims the due message that has waited longest, skipping `exceptKinds` (a rate-limited
   * method's) and `exclude` (tried in this pass). One atomic update: of any number of drains,
   * one gets it. The claim moves `nextAttemptAt` forward, so an abandoned claim comes due again.
   */
  async claimNext({
    exceptKinds = [],
    exclude = [],
  }: {
    exceptKinds?: string[];
    exclude?: Types.ObjectId[];
  } = {}): Promise<OutboxItem | null> {
    const now = this.clock();
    const claim = { nextAttemptAt: new Date(now.getTime() + CLAIM_MS), claim: newClaim() };
    const before = await this.models.OutboxMessage.findOneAndUpdate(
      {
        state: 'pending',
        nextAttemptAt: { $lte: now },
        ...(exceptKinds.length ? { kind: { $nin: exceptKinds } } : {}),
        ...(exclude.length ? { _id: { $nin: exclude } } : {}),
      },
      { $set: claim, $inc: { attempts: 1 } },
      { sort: { nextAttemptAt: 1, _id: 1 }, returnDocument: 'before' },
    ).lean<OutboxItem>();
    if (!before) return null;
    return { ...before, ...claim, attempts: before.attempts + 1, abandoned: before.claim !== null };
  }

  /**
   * The items delivered together with `lead` in one message (a batching kind): the batch it
   * already leads (a retry sends the same message, so a lookup can find it), or up to `size` - 1
   * more due items of its kind, parked under it. Returns them all, lead first.
   */
  async claimBatch(lead: OutboxItem, size: number): Promise<OutboxItem[]> {
    const { OutboxMessage } = this.models;
    const batch = String(lead._id);
    if (lead.batch !== batch) {
      const now = this.clock();
      const others = await OutboxMessage.find(
        { state: 'pending', nextAttemptAt: { $lte: now }, kind: lead.kind, _id: { $ne: lead._id } },
        { _id: 1 },
      )
        .sort({ nextAttemptAt: 1, _id: 1 })
        .limit(size - 1)
        .lean();
      await OutboxMessage.updateMany(
        { _id: { $in: others.map((o) => o._id) }, state: 'pending', nextAttemptAt: { $lte: now } },
        { $set: { batch, nextAttemptAt: PARKED } },
      );
      await OutboxMessage.updateOne({ _id: lead._id, claim: lead.claim }, { $set: { batch } });
    }
    const members = await OutboxMessage.find({ batch, state: 'pending', _id: { $ne: lead._id } })
      .sort({ _id: 1 })
      .lean<OutboxItem[]>();
    return [{ ...lead, batch }, ...members];
  }

  /** A step of a multi-step delivery is done: a retry starts after it. */
  async saveProgress(item: OutboxItem, step: number, ts: string): Promise<void> {
    await this.models.OutboxMessage.updateOne({ _id: item._id, claim: item.claim }, { $set: { [`progress.${step}`]: ts } });
  }

  /**
   * Delivered: records where (channel, ts) and which version Slack now shows. Returns false when
   * a newer version was asked for meanwhile (the item stays owed and is due at once) or the
   * claim was lost.
   */
  async delivered(
    items: OutboxItem[],
    { channel, ts, shown = 0 }: { channel?: string | null; ts?: string | null; shown?: number },
  ): Promise<boolean> {
    const [lead, ...members] = items;
    if (!lead) return true;
    const now = this.clock();
    const where = { ...(channel ? { channel } : {}), ...(ts ? { ts } : {}) };
    const done = {
      ...where,
      state: 'sent' as const,
      sentAt: now,
      // A later `want` finds it due at once, with its attempts counted afresh.
      nextAttemptAt: now,
      attempts: 0,
      claim: null,
      uncertain: false,
      lastError: null,
      progress: {},
      purgeAt: this.keepUntil(now),
    };
    const finished = await this.models.OutboxMessage.updateOne(
      { _id: lead._id, claim: lead.claim, wanted: { $lte: shown } },
      { $set: done, $max: { shown } },
    );
    if (members.length > 0) {
      await this.models.OutboxMessage.updateMany({ _id: { $in: members.map((m) => m._id) }, batch: lead.batch }, { $set: done });
    }
    if (finished.matchedCount === 1) return true;
    // Asked for a newer version meanwhile: record this delivery and make it due again.
    await this.models.OutboxMessage.updateOne(
      { _id: lead._id, claim: lead.claim },
      {
        $set: { ...where, claim: null, nextAttemptAt: now, attempts: 0, uncertain: false, lastError: null, progress: {} },
        $max: { shown },
      },
    );
    return false;
  }

  /**
   * Tries again at `at`. `failed`: a refusal that counts towards giving up; `uncertain`: the
   * outcome is unknown (look the message up first); `wait`: no attempt was made (a dependency,
   * a rate limit known beforehand), so it does not count as one.
   */
  async retry(
    items: OutboxItem[],
    at: Date,
    {
      error = null,
      failed = false,
      uncertain = false,
      wait = false,
    }: { error?: string | null; failed?: boolean; uncertain?: boolean; wait?: boolean },
  ): Promise<void> {
    const [lead, ...members] = items;
    if (!lead) return;
    await this.models.OutboxMessage.updateOne(
      { _id: lead._id, claim: lead.claim },
      {
        $set: {
          nextAttemptAt: at,
          claim: null,
          lastError: error?.slice(0, 500) ?? lead.lastError,
          ...(uncertain ? { uncertain: true } : {}),
        },
        $inc: { failures: failed ? 1 : 0, attempts: wait ? -1 : 0 },
      },
    );
    if (members.length > 0) {
      await this.models.OutboxMessage.updateMany(
        { _id: { $in: members.map((m) => m._id) }, batch: lead.batch },
        { $set: { lastError: error } },
      );
    }
  }

  /** Slack refuses it for good: recorded, never tried again (unless the domain wants it again). */
  async giveUp(items: OutboxItem[], error: string): Promise<void> {
    await this.finish(items, 'given_up', error);
  }

  /** Nothing to send any more (its subject is gone): recorded, never tried again. */
  async cancel(items: OutboxItem[], reason: string): Promise<void> {
    await this.finish(items, 'cancelled', reason);
  }

  private async finish(items: OutboxItem[], state: 'given_up' | 'cancelled', why: string): Promise<void> {
    const [lead, ...members] = items;
    if (!lead) return;
    const now = this.clock();
    const set = { state, claim: null, nextAttemptAt: now, lastError: why.slice(0, 500), purgeAt: this.keepUntil(now) };
    await this.models.OutboxMessage.updateOne({ _id: lead._id, claim: lead.claim }, { $set: set });
    if (members.length > 0)
      await this.models.OutboxMessage.updateMany({ _id: { $in: members.map((m) => m._id) }, batch: lead.batch }, { $set: set });
  }

  private keepUntil(now = this.clock()): Date {
    return new Date(now.getTime() + KEEP_MS);
  }

  private async upsert(ref: OutboxRef, update: Record<string, unknown>): Promise<void> {
    try {
      await this.models.OutboxMessage.updateOne(ref, update, { upsert: true });
    } catch (error) {
      // Two upserts of one new item at once: the loser's insert hits the unique index; retry as an update.
      if (!isDuplicateKeyError(error)) throw error;
      await this.models.OutboxMessage.updateOne(ref, update);
    }
  }
}
