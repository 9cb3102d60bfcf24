import type { WebClient } from '@slack/web-api';
import type { Config } from './config.js';
import type { Database } from './db/connect.js';
import type { Clock } from './domain/clock.js';
import type { Domain } from './domain/index.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { Models } from './models/index.js';
import type { AlertChannel } from './slack/alertChannel.js';
import type { SlackOutbox } from './slack/outbox/index.js';

/**
 * What every adapter (bot, webhooks, jobs) is built from. Assembled once, in
 * the composition root (src/main.ts via createPhonekeys), or by a test.
 */
export interface AppContext {
  config: Config;
  logger: Logger;
  database: Database;
  models: Models;
  clock: Clock;
  domain: Domain;
  /** Prometheus counters; adapters count what they see (webhook statuses, refusals, job runs, Slack errors). */
  metrics: Metrics;
  /** The interactive Slack Web API client (bot token): short timeout, no retries, never waits out a rate limit. */
  slack: WebClient;
  /** Every message owed to Slack goes out through here (its own client). */
  slackOutbox: SlackOutbox;
  /** Whether alerts can be posted in ALERT_CHANNEL_ID. */
  alertChannel: AlertChannel;
}
