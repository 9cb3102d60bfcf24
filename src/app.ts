import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, ExpressReceiver, LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { RetryOptions } from '@slack/web-api';
import express from 'express';
import { botAuthorization } from './bot/authorize.js';
import { registerListeners } from './bot/index.js';
import type { AppContext } from './context.js';
import { healthRouter } from './http/health.js';
import { requestLog } from './http/requestLog.js';
import { createScheduler, type Scheduler } from './jobs/index.js';
import type { Logger } from './logger.js';
import { slackClientOptions } from './slackClient.js';
import { createPhoneWebhookReceiver } from './webhooks/index.js';

export interface PhonekeysOptions {
  /** Slack Web API retries for Bolt's client (tests use 0 so a failing call cannot hang a run). */
  slackRetries?: RetryOptions;
  /** Start the scheduler in this process (defaults to config.runJobs). */
  runJobs?: boolean;
}

export interface Phonekeys {
  express: express.Express;
  bolt: App;
  scheduler: Scheduler;
  /** Starts listening; resolves with the bound port. */
  listen(port: number, host?: string): Promise<number>;
  /** Graceful stop: refuse new requests, finish those in flight, stop jobs, flush, close MongoDB. */
  close(): Promise<void>;
}

/** Wires the HTTP surface (Slack, phone webhooks, health) and the scheduler onto one context. */
export function createPhonekeys(context: AppContext, options: PhonekeysOptions = {}): Phonekeys {
  const { config, logger } = context;
  const app = express();
  app.disable('x-powered-by');
  if (config.trustProxy !== undefined) app.set('trust proxy', config.trustProxy);

  let shuttingDown = false;
  app.use(requestLog(logger));
  app.use((_req, res, next) => {
    if (!shuttingDown) return next();
    // A request on a kept-alive connection after shutdown began: refuse it so the client retries elsewhere.
    res.setHeader('Connection', 'close');
    res.status(503).json({ error: 'server is shutting down; retry' });
  });
  app.use(healthRouter(context.database));
  app.get('/metrics', async (_req, res) => {
    res.type(context.metrics.registry.contentType).send(await context.metrics.registry.metrics());
  });

  const webhooks = createPhoneWebhookReceiver(context);
  app.use('/webhooks/phone', webhooks.router);

  // Bolt parses its own raw body (for the signature check): no global body parser in front of it.
  const receiver = new ExpressReceiver({
    signingSecret: config.slack.signingSecret,
    endpoints: '/slack/events',
    app,
    logger: boltLogger(logger),
    processBeforeResponse: false,
  });
  const bolt = new App({
    authorize: botAuthorization(config.slack.botToken, context.slack),
    receiver,
    logger: boltLogger(logger),
    clientOptions: slackClientOptions(config, options.slackRetries),
  });
  bolt.error(async (error) => {
    logger.error({ err: error }, 'unhandled error in a Slack listener');
  });
  registerListeners(bolt, context);

  // Anything else: JSON 404 rather than Express's HTML page.
  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });

  const scheduler = createScheduler(context);
  let server: Server | undefined;

  return {
    express: app,
    bolt,
    scheduler,
    async listen(port, host) {
      server = createServer(app);
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(port, host, () => resolve());
      });
      if (options.runJobs ?? config.runJobs) scheduler.start();
      const bound = (server.address() as AddressInfo).port;
      logger.info({ port: bound }, 'listening');
      return bound;
    },
    async close() {
      shuttingDown = true;
      if (server) {
        const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
        server.closeIdleConnections();
        // Requests in flight get up to 8 s; then remaining connections are cut.
        const force = setTimeout(() => server!.closeAllConnections(), 8000);
        await closed;
        clearTimeout(force);
      }
      await scheduler.stop();
      await webhooks.close();
      await context.database.close();
      logger.info('stopped');
    },
  };
}

/** Bolt logs through our JSON logger (so its lines get the same redaction). */
function boltLogger(logger: Logger): BoltLogger {
  const child = logger.child({ component: 'bolt' });
  let level: LogLevel = LogLevel.INFO;
  const text = (parts: unknown[]) => parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' ');
  return {
    debug: (...msgs) => child.debug(text(msgs)),
    info: (...msgs) => child.info(text(msgs)),
    warn: (...msgs) => child.warn(text(msgs)),
    error: (...msgs) => child.error(text(msgs)),
    setLevel: (l) => void (level = l),
    getLevel: () => level,
    setName: () => {},
  };
}
