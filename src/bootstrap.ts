import type { RetryOptions } from '@slack/web-api';
import { logChanges } from './changeLog.js';
import { type Config, TRUST_EVERY_PROXY_PROBLEM } from './config.js';
import type { AppContext } from './context.js';
import { connectDatabase } from './db/connect.js';
import type { DataDirRole } from './db/dataDir.js';
import { type Clock, systemClock } from './domain/clock.js';
import { createDomain } from './domain/index.js';
import type { Logger } from './logger.js';
import { Metrics } from './metrics.js';
import { defineModels, ensureIndexes } from './models/index.js';
import { AlertChannel } from './slack/alertChannel.js';
import { createSlackClient } from './slack/client.js';
import { SlackOutbox } from './slack/outbox/index.js';

export interface BootstrapOptions {
  /** Overrides config.mongodbUri (tests). */
  mongodbUri?: string;
  logger: Logger;
  clock?: Clock;
  slackRetries?: RetryOptions;
  /** Who this process is, for the embedded database in DATA_DIR (default: a server). */
  role?: DataDirRole;
}

/** Connects to MongoDB, builds the indexes, the Slack clients and the outbox: the context every process role shares. */
export async function buildContext(
  config: Config,
  { logger, clock = systemClock, slackRetries, mongodbUri, role }: BootstrapOptions,
): Promise<AppContext> {
  if (config.usingDevelopmentEncryptionKey) {
    logger.warn('KEY_ENCRYPTION_KEY is unset: using the public development key to encrypt phone keys (never do this in production)');
  }
  if (config.trustProxy === true) {
    // Refused in production (src/config.ts); anywhere else said loudly, with the fix.
    logger.error(`TRUST_PROXY${TRUST_EVERY_PROXY_PROBLEM}. Refused when NODE_ENV=production.`);
  }
  if (config.slack.adminUserIds.length === 0) {
    logger.warn('ADMIN_USER_IDS is empty: every workspace member may create, change and delete keys');
  }
  const database = await connectDatabase({ uri: mongodbUri ?? config.mongodbUri, logger, dataDir: config.dataDir, role });
  const models = defineModels(database.connection);
  // Declared indexes built, changed ones reconciled, removed ones dropped: before any traffic.
  await ensureIndexes(models, logger);
  const domain = createDomain(models, config, clock);
  logChanges(logger, domain.audit);
  const metrics = new Metrics(domain);
  const slack = createSlackClient(config, slackRetries, (method, error) => metrics.slackError(method, error));
  const alertChannel = new AlertChannel(config, models, domain.outbox, clock, logger.child({ component: 'alert-channel' }));
  metrics.watchAlertChannel(() => alertChannel.status());
  const base = { config, logger, database, models, clock, domain, slack, metrics, alertChannel };
  return { ...base, slackOutbox: new SlackOutbox(base) };
}
