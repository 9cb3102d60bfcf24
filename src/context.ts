import type { WebClient } from '@slack/web-api';
import type { Config } from './config.js';
import type { Database } from './db/connect.js';
import type { Clock } from './domain/clock.js';
import type { Domain } from './domain/index.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { Models } from './models/index.js';

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
  /** Slack Web API client with the bot token, for work outside a Slack request (jobs, reveal expiry). */
  slack: WebClient;
}
