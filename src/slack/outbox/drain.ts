import type { Types } from 'mongoose';
import type { OutboxItem } from '../../domain/outbox.js';
import { slackErrorSummary } from '../errors.js';
import { SlackCalls } from './calls.js';
import { backoffMs, channelBackoffMs, classify, type Failure, MAX_REFUSALS } from './failures.js';
import type { OutboxContext } from './kind.js';
import { type Delivery, METHOD_OF, type OutboxKind, type Step } from './kind.js';

/**
 * The outbox's one loop (README: Slack outbox): claim the due message that waited longest,
 * render it (its kind), make its Slack calls, record the outcome — delivered (with the ts),
 * rescheduled, or given up — and take the next. Any number of passes may run at once, in one
 * process or many: each claim is atomic. A failing message moves back in the queue, so it never
 * blocks the others.
 */

export interface DrainResult {
  /** Messages delivered (or found already delivered), by kind. */
  delivered: Record<string, number>;
  /** Of those, the deliveries that created a message (a post or DM, not an update), by kind. */
  created: Record<string, number>;
  /** Attempts that failed and were rescheduled. */
  failed: number;
  givenUp: number;
}

export interface DrainOptions {
  /** Most messages one pass handles; the next pass carries on. */
  max?: number;
}

/** `failed`: Slack in trouble (no answer, 5xx); `refused`: Slack said no; `limited`: Slack said later. */
type Outcome = 'delivered' | 'again' | 'failed' | 'refused' | 'limited' | 'given up' | 'cancelled' | 'waiting' | 'stop';

/** After this many unknown outcomes in a row Slack is in trouble: the pass ends (the next one carries on). */
const SLACK_DOWN_AFTER = 5;
const DEFAULT_MAX_AGE_MS = 24 * 60 * 60_000;

export class Drainer {
  /** Method → when Slack told us (app clock, ms) to wait until when: read from MongoDB at each pass (every instance's 429s), and our own. */
  private limits = new Map<string, { at: number; until: number }>();
  private readonly calls: SlackCalls;

  constructor(
    private readonly context: OutboxContext,
    private readonly kinds: ReadonlyMap<string, OutboxKind>,
    client: ConstructorParameters<typeof SlackCalls>[0],
    private readonly signal: AbortSignal,
  ) {
    this.calls = new SlackCalls(client);
  }

  async pass({ max = 500 }: DrainOptions = {}): Promise<DrainResult> {
    const result: DrainResult = { delivered: {}, created: {}, failed: 0, givenUp: 0 };
    const { outbox } = this.context.domain;
    const tried: Types.ObjectId[] = [];
    let troubleInARow = 0;
    await this.loadLimits();
    for (let handled = 0; handled < max && !this.signal.aborted; handled++) {
      const item = await outbox.claimNext({ exceptKinds: this.limitedKinds(), exclude: tried });
      if (!item) break;
      tried.push(item._id);
      const kind = this.kinds.get(item.kind);
      if (!kind) {
        this.context.logger.error({ kind: item.kind, outboxId: String(item._id) }, 'outbox message of an unknown kind; given up');
        await outbox.giveUp([item], `unknown kind ${item.kind}`);
        continue;
      }
      const items = kind.batch && kind.batch > 1 ? await outbox.claimBatch(item, kind.batch) : [item];
      const outcome = await this.deliver(kind, items, () => {
        result.created[kind.kind] = (result.created[kind.kind] ?? 0) + items.length;
      });
      if (outcome === 'delivered' || outcome === 'again') {
        result.delivered[kind.kind] = (result.delivered[kind.kind] ?? 0) + items.length;
        troubleInARow = 0;
        // A newer version was asked for while it was being delivered: it may go again in this pass.
        if (outcome === 'again') tried.pop();
      } else if (outcome === 'failed' || outcome === 'refused' || outcome === 'limited') {
        result.failed++;
        if (outcome === 'failed') troubleInARow++;
      } else if (outcome === 'given up') result.givenUp += items.length;
      if (outcome === 'stop' || troubleInARow >= SLACK_DOWN_AFTER) break;
    }
    return result;
  }

  // ── one message ───────────────────────────────────────────────────────

  private async deliver(kind: OutboxKind, items: OutboxItem[], onCreated: () => void): Promise<Outcome> {
    const { outbox } = this.context.domain;
    const lead = items[0]!;
    let delivery: Delivery;
    try {
      delivery = await kind.render(items, this.context);
    } catch (error) {
      // A bug or the database: logged, tried again later (if the database is gone, the claim expires instead).
      this.context.logger.error({ err: error, kind: kind.kind, outboxId: String(lead._id) }, 'could not render an outbox message');
      await outbox.retry(items, new Date(this.context.clock().getTime() + backoffMs(lead.attempts)), { error: 'render failed' });
      return 'failed';
    }
    if ('skip' in delivery) {
      await outbox.cancel(items, delivery.skip);
      this.count(kind, 'cancelled', items.length);
      return 'cancelled';
    }
    if ('wait' in delivery) {
      await outbox.retry(items, delivery.wait, { wait: true });
      return 'waiting';
    }
    if ('done' in delivery) {
      return (await outbox.delivered(items, { shown: delivery.shows ?? 0 })) ? 'delivered' : 'again';
    }
    let where = { channel: lead.channel, ts: lead.ts };
    let created = false;
    for (const [index, step] of delivery.steps.entries()) {
      const done = lead.progress?.[String(index)];
      if (done) {
        // Done by an earlier attempt: not again. Its ts (DONE for an upload, which has none) is where the item lives.
        if (creates(step) && !created) {
          where = { channel: channelOf(step) ?? where.channel, ts: done === DONE ? where.ts : done };
          created = true;
        }
        continue;
      }
      const until = this.limitedUntil(METHOD_OF[step.call]);
      if (until) {
        await outbox.retry(items, new Date(until), { wait: true });
        return 'waiting';
      }
      let made: { channel: string | null; ts: string | null };
      try {
        made = await this.calls.run(step, { id: String(lead._id), step: index, lookFirst: lead.uncertain || lead.abandoned === true });
      } catch (error) {
        return this.failed(kind, items, step, error);
      }
      if (creates(step)) {
        if (!created) {
          where = { channel: made.channel, ts: made.ts ?? where.ts };
          onCreated();
        }
        created = true;
        if (index < delivery.steps.length - 1) await outbox.saveProgress(lead, index, made.ts ?? DONE);
        if (made.channel === this.context.alertChannel.id) await this.context.alertChannel.reportOk(made.channel);
      }
    }
    await kind.afterDelivery?.(items, this.context, where);
    const current = await outbox.delivered(items, { ...where, shown: delivery.shows ?? 0 });
    this.count(kind, 'sent', items.length);
    return current ? 'delivered' : 'again';
  }

  private async failed(kind: OutboxKind, items: OutboxItem[], step: Step, error: unknown): Promise<Outcome> {
    const { outbox } = this.context.domain;
    const lead = items[0]!;
    const failure = classify(error);
    const now = this.context.clock().getTime();
    const log = {
      kind: kind.kind,
      outboxId: String(lead._id),
      subject: lead.subject,
      attempt: lead.attempts,
      err: slackErrorSummary(error),
    };
    const at = (ms: number) => new Date(now + ms);
    switch (failure.type) {
      case 'aborted':
        // Shutting down: the next run takes it (looking first: the call may have gone through).
        await outbox.retry(items, at(0), { wait: true, uncertain: creates(step) });
        return 'stop';
      case 'ratelimited': {
        const method = METHOD_OF[step.call];
        await this.setLimit(method, now, now + failure.retryAfterMs);
        this.context.logger.warn({ ...log, method, retryAfterMs: failure.retryAfterMs }, 'Slack rate limit: that method waits');
        await outbox.retry(items, at(failure.retryAfterMs), { error: failure.code });
        return 'limited';
      }
      case 'channel': {
        const channel = channelOf(step);
        if (channel && channel === this.context.alertChannel.id) await this.context.alertChannel.reportBroken(channel, failure.code);
        return this.refused(kind, items, failure, channelBackoffMs(lead.failures + 1), log);
      }
      case 'invalid':
        return this.refused(kind, items, failure, backoffMs(lead.attempts), log);
      case 'gone':
        return this.giveUp(kind, items, failure, log);
      case 'uncertain':
      case 'transient': {
        if (now - lead.owedAt.getTime() > (kind.maxAgeMs ?? DEFAULT_MAX_AGE_MS)) return this.giveUp(kind, items, failure, log);
        this.context.logger.warn(log, 'could not deliver a Slack message; retrying later');
        await outbox.retry(items, at(backoffMs(lead.attempts)), {
          error: failure.code,
          uncertain: failure.type === 'uncertain' && creates(step),
        });
        return 'failed';
      }
    }
  }

  /** A refusal that will not go away by itself: a few attempts, then give up. */
  private async refused(kind: OutboxKind, items: OutboxItem[], failure: Failure, retryInMs: number, log: object): Promise<Outcome> {
    const lead = items[0]!;
    if (lead.failures + 1 >= MAX_REFUSALS) return this.giveUp(kind, items, failure, log);
    this.context.logger.warn(log, 'Slack refused a message; retrying later');
    await this.context.domain.outbox.retry(items, new Date(this.context.clock().getTime() + retryInMs), {
      error: failure.code,
      failed: true,
    });
    return 'refused';
  }

  private async giveUp(kind: OutboxKind, items: OutboxItem[], failure: Failure, log: object): Promise<Outcome> {
    this.context.logger.error({ ...log, failure: failure.type }, 'Slack message given up');
    await this.context.domain.outbox.giveUp(items, failure.code);
    this.context.metrics.outboxGivenUp.inc({ kind: kind.kind, error: failure.code }, items.length);
    this.count(kind, 'given_up', items.length);
    return 'given up';
  }

  private count(kind: OutboxKind, outcome: 'sent' | 'given_up' | 'cancelled', n: number): void {
    this.context.metrics.outboxMessages.inc({ kind: kind.kind, outcome }, n);
  }

  /** The rate limits in force, as every instance learnt them. */
  private async loadLimits(): Promise<void> {
    const now = this.context.clock();
    const limits = await this.context.models.SlackRateLimit.find({ until: { $gt: now } }).lean();
    this.limits = new Map(limits.map((l) => [l.method, { at: l.at.getTime(), until: l.until.getTime() }]));
  }

  private async setLimit(method: string, at: number, until: number): Promise<void> {
    this.limits.set(method, { at, until });
    await this.context.models.SlackRateLimit.updateOne(
      { method },
      { $set: { at: new Date(at), until: new Date(until) } },
      { upsert: true },
    ).catch((error: unknown) =>
      this.context.logger.warn({ err: error, method }, 'could not share a Slack rate limit; other instances will meet it themselves'),
    );
  }

  /** Until when `method` is rate limited, or 0. A clock that went back (NTP, a test) forgets the limit. */
  private limitedUntil(method: string): number {
    const limit = this.limits.get(method);
    const now = this.context.clock().getTime();
    if (!limit || now >= limit.until || now < limit.at) return 0;
    return limit.until;
  }

  /** Kinds whose first call is a method Slack told us to wait with. */
  private limitedKinds(): string[] {
    const limited = new Set([...this.limits.keys()].filter((method) => this.limitedUntil(method) > 0));
    return limited.size === 0 ? [] : [...this.kinds.values()].filter((k) => limited.has(k.method)).map((k) => k.kind);
  }
}

/** The progress mark of a step that created something without a ts (an upload). */
const DONE = 'done';
const creates = (step: Step): boolean => step.call === 'post' || step.call === 'dm' || step.call === 'upload';
const channelOf = (step: Step): string | null => ('channel' in step ? step.channel : null);
