import { createOutboxClient } from '../client.js';
import { Drainer, type DrainOptions, type DrainResult } from './drain.js';
import type { OutboxContext, OutboxKind } from './kind.js';
import { OUTBOX_KINDS } from './kinds/index.js';

export type { DrainResult } from './drain.js';

/**
 * The Slack outbox of this process (README: Slack outbox): its own Web API client (no automatic
 * retries, rate limits returned at once, every call abortable), passes of the one loop, and the
 * shutdown that aborts them. Jobs drain it after their transitions; the scheduler every few
 * seconds; a button that changes an alert kicks it.
 */
export class SlackOutbox {
  private readonly abort = new AbortController();
  private readonly drainer: Drainer;
  private readonly passes = new Set<Promise<DrainResult>>();
  private kicking: Promise<void> | undefined;
  private kickAgain = false;
  private stopped = false;

  constructor(
    private readonly context: OutboxContext,
    kinds: readonly OutboxKind[] = OUTBOX_KINDS,
  ) {
    const client = createOutboxClient(context.config, this.abort.signal, (method, error) => context.metrics.slackError(method, error));
    this.drainer = new Drainer(context, new Map(kinds.map((k) => [k.kind, k])), client, this.abort.signal);
  }

  /** One pass: delivers what is due now. Resolves with what it did (empty once stopped). */
  async drain(options: DrainOptions = {}): Promise<DrainResult> {
    if (this.stopped) return { delivered: {}, created: {}, failed: 0, givenUp: 0 };
    const pass = this.drainer.pass(options);
    this.passes.add(pass);
    try {
      return await pass;
    } finally {
      this.passes.delete(pass);
    }
  }

  /** A pass soon, in the background (a button changed an alert; the scheduler's tick). Passes asked for meanwhile are merged. */
  kick(): void {
    if (this.stopped) return;
    if (this.kicking) {
      this.kickAgain = true;
      return;
    }
    this.kicking = (async () => {
      do {
        this.kickAgain = false;
        await this.drain().catch((error: unknown) =>
          this.context.logger.warn({ err: error }, 'Slack outbox pass failed; the next one retries'),
        );
      } while (this.kickAgain && !this.stopped);
    })().finally(() => {
      this.kicking = undefined;
    });
  }

  /** Shutdown: aborts Slack calls in flight (their messages are left for the next run) and waits for the passes to record that. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await Promise.allSettled([...this.passes, this.kicking]);
  }
}
