import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Domain } from './domain/index.js';
import { slackErrorCode } from './slack/errors.js';

/**
 * Prometheus metrics (README: Operations → Metrics). One registry per app instance (not prom-client's
 * global), so two instances in one test process count separately.
 * Gauges of phones and keys by status are read from MongoDB at scrape time.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly webhookRequests = this.counter(
    'phonekeys_webhook_requests_total',
    "Phone webhook requests, by event type, HTTP status and the key's environment (live, test; unknown until the signature checks out)",
    ['type', 'status', 'environment'],
  );

  readonly webhookRefusals = this.counter(
    'phonekeys_webhook_refusals_total',
    'Refused phone webhooks, by reason (missing_header, signature_mismatch, stale_timestamp, unknown_key, revoked, ip_not_allowed, not_linked, …; database_unavailable and database_timeout for 503s)',
    ['reason'],
  );

  readonly jobRuns = this.counter(
    'phonekeys_job_runs_total',
    'Scheduled job runs, by job and outcome (ok; failed; skipped: lease held elsewhere or the database unavailable)',
    ['job', 'outcome'],
  );

  readonly jobDuration = new Histogram({
    name: 'phonekeys_job_duration_seconds',
    help: 'Scheduled job run time',
    labelNames: ['job'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60],
    registers: [this.registry],
  });

  readonly slackApiErrors = this.counter('phonekeys_slack_api_errors_total', 'Failed Slack Web API calls, by method and error', [
    'method',
    'error',
  ]);

  readonly slackRequests = this.counter(
    'phonekeys_slack_requests_total',
    'Slack requests handled, by kind (command, action, view_submission, view_closed, event, other) and name (the /keys subcommand, action_id, callback_id or event type)',
    ['kind', 'name'],
  );

  readonly outboxMessages = this.counter(
    'phonekeys_slack_outbox_messages_total',
    'Slack messages the outbox finished with, by kind and outcome (sent; given_up: Slack refused it for good; cancelled: nothing left to say)',
    ['kind', 'outcome'],
  );

  readonly outboxGivenUp = this.counter(
    'phonekeys_slack_outbox_given_up_total',
    'Slack messages given up, by kind and the error Slack answered (e.g. not_in_channel: /invite @phonekeys in ALERT_CHANNEL_ID)',
    ['kind', 'error'],
  );

  constructor(domain?: Pick<Domain, 'phones' | 'keys' | 'outbox'>) {
    collectDefaultMetrics({ register: this.registry, prefix: 'phonekeys_' });
    if (!domain) return;
    this.byStatus(
      'phonekeys_phones',
      "Linked phones by status (online, silent, failing, never_seen, paused) and their key's environment (live, test)",
      () => domain.phones.countByStatus(),
      'environment',
    );
    this.byStatus('phonekeys_keys', 'Keys by status (active, rotating, revoked) and whether rotation is due', () =>
      domain.keys.countByStatus(),
    );
    new Gauge({
      name: 'phonekeys_slack_outbox_pending',
      help: 'Slack messages owed and not delivered yet (alerts, replies, DMs, redactions)',
      registers: [this.registry],
      async collect() {
        const pending = await withinScrapeBudget(domain.outbox.countPending());
        if (pending !== undefined) this.set(pending);
      },
    });
  }

  private counter<Label extends string>(name: string, help: string, labelNames: readonly Label[]): Counter<Label> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  /**
   * A gauge by `status`, read at scrape time; during a database outage the last values stay and
   * /metrics keeps answering. With `group`, `read` answers by that label first (e.g. environment).
   */
  private byStatus(
    name: string,
    help: string,
    read: () => Promise<Record<string, number> | Record<string, Record<string, number>>>,
    group?: string,
  ): void {
    new Gauge({
      name,
      help,
      labelNames: group ? ['status', group] : ['status'],
      registers: [this.registry],
      async collect() {
        const counts = await withinScrapeBudget(read());
        if (!counts) return;
        this.reset();
        const set = (byStatus: Record<string, number>, extra: Record<string, string>) => {
          for (const [status, count] of Object.entries(byStatus)) this.set({ status: status.replace(' ', '_'), ...extra }, count);
        };
        if (!group) return set(counts as Record<string, number>, {});
        for (const [value, byStatus] of Object.entries(counts as Record<string, Record<string, number>>)) set(byStatus, { [group]: value });
      },
    });
  }

  /** `phonekeys_alert_channel_ok`: 1 when alerts can be posted in ALERT_CHANNEL_ID, 0 when Slack refuses them, -1 not known yet. */
  watchAlertChannel(status: () => Promise<{ state: 'ok' | 'broken' | 'unknown' }>): void {
    if (this.registry.getSingleMetric('phonekeys_alert_channel_ok')) return;
    new Gauge({
      name: 'phonekeys_alert_channel_ok',
      help: 'Whether alerts can be posted in ALERT_CHANNEL_ID: 1 yes, 0 Slack refuses them (see /readyz for the fix), -1 not known yet',
      registers: [this.registry],
      async collect() {
        const known = await withinScrapeBudget(status());
        if (known) this.set(known.state === 'ok' ? 1 : known.state === 'broken' ? 0 : -1);
      },
    });
  }

  /** `phonekeys_database_up`: 1 when MongoDB answers a ping at scrape time, else 0 (the alert to page on). */
  watchDatabase(database: { ping(timeoutMs?: number): Promise<boolean> }): void {
    if (this.registry.getSingleMetric('phonekeys_database_up')) return;
    new Gauge({
      name: 'phonekeys_database_up',
      help: 'Whether MongoDB answered a ping when scraped (1) or not (0)',
      registers: [this.registry],
      async collect() {
        this.set((await database.ping(SCRAPE_BUDGET_MS)) ? 1 : 0);
      },
    });
  }

  /** Counts a failed Slack call; returns the error so callers can rethrow. */
  slackError(method: string, error: unknown): unknown {
    this.slackApiErrors.inc({ method, error: slackErrorCode(error) });
    return error;
  }
}

/** A scrape must not wait for a database that does not answer: the gauges' reads get this long. */
const SCRAPE_BUDGET_MS = 1_000;

/** The result, or undefined when it failed or took longer than the scrape budget (1 s). */
export async function withinScrapeBudget<T>(work: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), SCRAPE_BUDGET_MS)));
  try {
    return await Promise.race([work, late]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
    work.catch(() => {}); // a late failure is not an unhandled rejection
  }
}
