import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { App, type Logger as BoltLogger, ExpressReceiver, LogLevel, SocketModeReceiver } from '@slack/bolt';
import type { RetryOptions } from '@slack/web-api';
import express from 'express';
import { createManagementApi } from './api/index.js';
import { botAuthorization } from './bot/authorize.js';
import { registerListeners } from './bot/index.js';
import { slackRequestLabels } from './bot/requestLabels.js';
import { PHONE_WEBHOOK_PATH } from './config.js';
import type { AppContext } from './context.js';
import { limitConnectionsPerIp } from './http/connectionLimit.js';
import { healthRouter } from './http/health.js';
import { plainRoute } from './http/plainRoute.js';
import { requestLog } from './http/requestLog.js';
import { slackTimestampWindow } from './http/slackTimestamp.js';
import { createScheduler, type Scheduler } from './jobs/index.js';
import type { Logger } from './logger.js';
import type { AlertChannelStatus } from './slack/alertChannel.js';
import { slackClientOptions } from './slack/client.js';
import { slackErrorSummary } from './slack/errors.js';
import { createPhoneWebhookReceiver, type PhoneWebhookReceiver } from './webhooks/index.js';

export interface PhonekeysOptions {
  /** Slack Web API retries for Bolt's client (tests use 0 so a failing call cannot hang a run). */
  slackRetries?: RetryOptions;
  /** Start the scheduler in this process (defaults to config.runJobs). */
  runJobs?: boolean;
  /** Open connections allowed from one client address (default 100); not applied behind a proxy (`TRUST_PROXY`). */
  maxConnectionsPerIp?: number;
}

/**
 * Time limits of every HTTP request, measured by Node from the request's first byte, for phones
 * on mobile data (a heartbeat is a few hundred bytes): the headers within 10 s, the whole
 * request within 30 s (phone webhooks have their own, shorter deadline: src/webhooks). An idle
 * kept-alive connection stays open 65 s, longer than the usual load balancer's idle timeout
 * (60 s), so the server never closes a connection the balancer is about to reuse, and a phone
 * that heartbeats every 30–60 s can keep its connection. Checked every second (Node's default
 * is every 30 s).
 */
export const HTTP_TIMEOUTS = {
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 65_000,
  connectionsCheckingInterval: 1_000,
} as const;

export const DEFAULT_MAX_CONNECTIONS_PER_IP = 100;

export interface Phonekeys {
  express: express.Express;
  bolt: App;
  scheduler: Scheduler;
  /** The phone webhook receiver (its `stats()`: key cache and batch counters). */
  webhooks: PhoneWebhookReceiver;
  /** Starts listening; resolves with the bound port. */
  listen(port: number, host?: string): Promise<number>;
  /** Graceful stop: refuse new requests, finish those in flight, stop jobs, flush, close MongoDB. */
  close(): Promise<void>;
}

/** Wires the HTTP surface (Slack, phone webhooks, management API, health) and the scheduler onto one context. */
export function createPhonekeys(context: AppContext, options: PhonekeysOptions = {}): Phonekeys {
  const { config, logger } = context;
  const app = express();
  app.disable('x-powered-by');
  if (config.trustProxy !== undefined) app.set('trust proxy', config.trustProxy);

  let shuttingDown = false;
  app.use(requestLog(logger));
  // Health first: /healthz answers 200 as long as the process runs (README: Operations), /readyz 503 once draining.
  app.use(
    healthRouter(
      context.database,
      () => shuttingDown,
      async () => ({ alert_channel: readyzChannel(await context.alertChannel.status()) }),
    ),
  );
  app.use((_req, res, next) => {
    closeConnectionOnceShuttingDown(res, () => shuttingDown);
    if (!shuttingDown) return next();
    // A request on a kept-alive connection after shutdown began: refuse it so the client retries elsewhere.
    res.status(503).json({ error: 'server is shutting down; retry' });
  });
  context.metrics.watchDatabase(context.database);
  app.get('/metrics', async (_req, res) => {
    res.type(context.metrics.registry.contentType).send(await context.metrics.registry.metrics());
  });

  // Served ahead of this app (listen below): see src/http/plainRoute.ts.
  const webhooks = createPhoneWebhookReceiver(context);
  app.use('/api/v1', createManagementApi(context));

  // Slack reaches Bolt either over HTTP at /slack/events, or (SLACK_APP_TOKEN) by Socket Mode: a
  // WebSocket the app opens to Slack, so nothing needs to reach this server but the phones.
  const socketMode = config.slack.appToken !== undefined;
  const receiver = socketMode ? socketModeReceiver(context) : httpReceiver(context, app);
  const authorization = botAuthorization(config.slack.botToken, context.slack);
  const bolt = new App({
    authorize: authorization.authorize,
    receiver,
    logger: boltLogger(logger),
    clientOptions: slackClientOptions(config, options.slackRetries),
  });
  bolt.error(async (error) => {
    logger.error({ err: error }, 'unhandled error in a Slack listener');
  });
  // Slack's request is answered at ack(); the listener's work goes on after it. Counted here, and
  // remembered until done so a shutdown lets it finish (its replies, its writes) before closing MongoDB.
  const slackWork = new Set<Promise<void>>();
  bolt.use(async ({ body, next }) => {
    context.metrics.slackRequests.inc(slackRequestLabels(body));
    const work = next();
    slackWork.add(work);
    try {
      await work;
    } finally {
      slackWork.delete(work);
    }
  });
  registerListeners(bolt, context);
  // A key revoked or a number unlinked on this instance (from Slack, the API or a job) made Slack
  // messages due at once (a reveal DM's redaction, alerts closed): an outbox pass now rather than
  // at the next tick.
  const stopFollowingUp = context.domain.keyChanges.subscribeFollowUps(() => context.slackOutbox.kick());

  // Anything else: JSON 404 rather than Express's HTML page.
  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  // Never Express's HTML error page (with a stack trace outside production).
  app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    logger.error({ err: error }, 'unhandled error in a request');
    if (!res.headersSent) res.status(500).json({ error: 'internal error' });
  });

  const scheduler = createScheduler(context);
  let server: Server | undefined;
  let closing: Promise<void> | undefined;

  return {
    express: app,
    bolt,
    scheduler,
    webhooks,
    async listen(port, host) {
      const listener = plainRoute({
        express: app,
        logger,
        path: PHONE_WEBHOOK_PATH,
        handler: webhooks.handle,
        draining: () => shuttingDown,
      });
      server = createServer(HTTP_TIMEOUTS, listener);
      // Behind a proxy every connection comes from the proxy: the cap belongs there instead.
      if (config.trustProxy === undefined) {
        limitConnectionsPerIp(server, options.maxConnectionsPerIp ?? DEFAULT_MAX_CONNECTIONS_PER_IP, logger);
      }
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(port, host, () => resolve());
      });
      if (options.runJobs ?? config.runJobs) scheduler.start();
      // Socket Mode connects (and reconnects) in the background: phones and health are served meanwhile.
      if (socketMode) {
        bolt.start().then(
          () => logger.info('connected to Slack by Socket Mode'),
          (error: unknown) =>
            logger.error({ err: slackErrorSummary(error) }, 'could not connect to Slack by Socket Mode (check SLACK_APP_TOKEN)'),
        );
      }
      authorization.warm((error) => logger.warn({ error: (error as Error)?.message }, 'auth.test failed; Slack requests will ask again'));
      // Can alerts be posted? Said in the log, /readyz and App Home; the admins are DMed if not.
      context.alertChannel.check(context.slack).then(
        () => context.slackOutbox.kick(),
        (error: unknown) => logger.warn({ err: error }, 'could not check ALERT_CHANNEL_ID at start'),
      );
      const bound = (server.address() as AddressInfo).port;
      logger.info({ port: bound }, 'listening');
      return bound;
    },
    close() {
      closing ??= (async () => {
        const started = performance.now();
        const left = () => Math.max(0, SHUTDOWN_GRACE_MS - (performance.now() - started));
        shuttingDown = true;
        stopFollowingUp();
        // No new job runs from now on; runs in progress finish (stop() waits for them below). Slack
        // calls of the outbox are aborted at once: their messages are left for the next run.
        const outboxStopped = context.slackOutbox.stop();
        const jobsStopped = scheduler.stop();
        // Socket Mode: no new Slack requests (those in flight finish below, as over HTTP).
        if (socketMode)
          await bolt
            .stop()
            .catch((error: unknown) => logger.warn({ err: slackErrorSummary(error) }, 'closing the Socket Mode connection failed'));
        if (server) await closeServer(server, SHUTDOWN_GRACE_MS);
        const slackDone = await settledWithin([...slackWork], left());
        if (!slackDone) logger.warn({ pending: slackWork.size }, 'Slack work still running at shutdown; its replies may be lost');
        await Promise.all([jobsStopped, outboxStopped]);
        // Events accepted but not yet written: written now (each was answered only once written, so none is lost).
        await webhooks.close();
        await context.database.close();
        logger.info({ seconds: Math.round(performance.now() - started) / 1000 }, 'stopped');
      })();
      return closing;
    },
  };
}

/** The alert channel's state as /readyz shows it (snake_case, like the management API). */
function readyzChannel(status: AlertChannelStatus) {
  return { id: status.channel, state: status.state, error: status.error, since: status.since, fix: status.fix };
}

/** Requests in flight get this long to finish at shutdown; then their connections are cut. */
export const SHUTDOWN_GRACE_MS = 8_000;

/**
 * Responses sent once shutdown has begun carry `Connection: close`, so a kept-alive client
 * opens a new connection (to another instance) for its next request instead of reusing this
 * one, and Node closes the socket as soon as the response is out.
 */
function closeConnectionOnceShuttingDown(res: ServerResponse, shuttingDown: () => boolean): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
    if (shuttingDown() && !this.headersSent) this.setHeader('Connection', 'close');
    return writeHead.apply(this, args);
  } as ServerResponse['writeHead'];
}

/**
 * Stops listening and resolves once every connection is closed: idle kept-alive ones at once
 * (and any that goes idle later), busy ones after their response; after `forceAfterMs` the
 * remaining ones are cut.
 */
function closeServer(server: Server, forceAfterMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    const force = setTimeout(() => server.closeAllConnections(), forceAfterMs);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** True when every promise settled within ms. */
async function settledWithin(promises: Promise<unknown>[], ms: number): Promise<boolean> {
  if (promises.length === 0) return true;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const all = Promise.allSettled(promises).then(() => true);
  try {
    return await Promise.race([all, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Slack over HTTP: POST /slack/events on our Express app (the future-timestamp check in front of Bolt's). */
function httpReceiver(context: AppContext, app: express.Express): ExpressReceiver {
  const { config, logger } = context;
  // Bolt checks a Slack request's timestamp against the past only: the future is refused here first.
  app.use('/slack/events', slackTimestampWindow(logger.child({ component: 'slack' })));
  // Bolt parses its own raw body (for the signature check): no global body parser in front of it.
  return new ExpressReceiver({
    signingSecret: config.slack.signingSecret,
    endpoints: '/slack/events',
    app,
    logger: boltLogger(logger),
    processBeforeResponse: false,
  });
}

/**
 * Slack by Socket Mode (README: Socket Mode): apps.connections.open with the app-level token, on
 * SLACK_API_URL when set, then a WebSocket. Requests arrive authenticated by that connection, so
 * there is no signature or timestamp to check; /slack/events is not served.
 */
function socketModeReceiver(context: AppContext): SocketModeReceiver {
  const { config, logger } = context;
  return new SocketModeReceiver({
    appToken: config.slack.appToken!,
    logger: boltLogger(logger),
    installerOptions: { clientOptions: config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {} },
  });
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
