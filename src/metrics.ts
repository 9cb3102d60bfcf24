import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Models } from './models/index.js';
import type { Clock } from './domain/clock.js';

/**
 * Prometheus metrics (SPEC §7). One registry per app instance (not prom-client's
 * global), so two instances in one test process count separately.
 * Gauges of phones and keys by status are read from MongoDB at scrape time.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly webhookRequests = new Counter({
    name: 'phonekeys_webhook_requests_total',
    help: 'Phone webhook requests, by event type and HTTP status',
    labelNames: ['type', 'status'] as const,
    registers: [this.registry],
  });

  readonly webhookRefusals = new Counter({
    name: 'phonekeys_webhook_refusals_total',
    help: 'Refused phone webhooks, by reason (missing_header, bad_signature, stale_timestamp, unknown_key, revoked, ip_not_allowed, …)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly jobRuns = new Counter({
    name: 'phonekeys_job_runs_total',
    help: 'Scheduled job runs, by job and outcome (ok, error, skipped: lease held elsewhere)',
    labelNames: ['job', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly jobDuration = new Histogram({
    name: 'phonekeys_job_duration_seconds',
    help: 'Scheduled job run time',
    labelNames: ['job'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60],
    registers: [this.registry],
  });

  readonly slackApiErrors = new Counter({
    name: 'phonekeys_slack_api_errors_total',
    help: 'Failed Slack Web API calls, by method and error',
    labelNames: ['method', 'error'] as const,
    registers: [this.registry],
  });

  constructor(models?: Models, clock?: Clock) {
    collectDefaultMetrics({ register: this.registry, prefix: 'phonekeys_process_' });
    if (!models || !clock) return;

    new Gauge({
      name: 'phonekeys_phones',
      help: 'Linked phones by status (online, silent, never_seen, paused)',
      labelNames: ['status'] as const,
      registers: [this.registry],
      async collect() {
        // During a database outage the last values stay; /metrics itself keeps answering.
        try {
        const now = clock();
        const linked = { keyId: { $ne: null } };
        const notPaused = { $or: [{ pausedUntil: null }, { pausedUntil: { $lte: now } }] };
        const [paused, online, silent, neverSeen] = await Promise.all([
          models.Phone.countDocuments({ ...linked, pausedUntil: { $gt: now } }),
          models.Phone.countDocuments({ ...linked, ...notPaused, state: 'up' }),
          models.Phone.countDocuments({ ...linked, ...notPaused, state: 'down' }),
          models.Phone.countDocuments({ ...linked, ...notPaused, state: 'new' }),
        ]);
        this.reset();
        this.set({ status: 'online' }, online);
        this.set({ status: 'silent' }, silent);
        this.set({ status: 'never_seen' }, neverSeen);
        this.set({ status: 'paused' }, paused);
        } catch {}
      },
    });

    new Gauge({
      name: 'phonekeys_keys',
      help: 'Keys by status (active, rotating, revoked) and whether rotation is due',
      labelNames: ['status'] as const,
      registers: [this.registry],
      async collect() {
        try {
        const [active, rotating, revoked, due] = await Promise.all([
          models.Key.countDocuments({ status: 'active' }),
          models.Key.countDocuments({ status: 'rotating' }),
          models.Key.countDocuments({ status: 'revoked' }),
          models.Key.countDocuments({ status: 'active', rotationDue: true }),
        ]);
        this.reset();
        this.set({ status: 'active' }, active);
        this.set({ status: 'rotating' }, rotating);
        this.set({ status: 'revoked' }, revoked);
        this.set({ status: 'rotation_due' }, due);
        } catch {}
      },
    });
  }

  /** Counts a failed Slack call; returns the error so callers can rethrow. */
  slackError(method: string, error: unknown): unknown {
    const code = (error as { data?: { error?: string }; code?: string })?.data?.error ?? (error as { code?: string })?.code ?? 'unknown';
    this.slackApiErrors.inc({ method, error: code });
    return error;
  }
}
