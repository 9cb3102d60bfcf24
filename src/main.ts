import { createPhonekeys } from './app.js';
import { buildContext } from './bootstrap.js';
import { configureOrExit } from './configure.js';
import { createScheduler } from './jobs/index.js';
import { createLogger } from './logger.js';

/**
 * The composition root. `node dist/src/main.js` runs the web process (Slack,
 * phone webhooks, health, and the scheduler unless RUN_JOBS=false);
 * `--worker` runs only the scheduler.
 */

/** SIGTERM to exit, at most. */
const HARD_STOP_MS = 9_500;

async function main(): Promise<void> {
  const role = process.argv.includes('--worker') ? 'worker' : 'web';
  const config = configureOrExit();
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  const context = await buildContext(config, { logger, role: role === 'worker' ? 'worker' : 'server' });

  let stop: () => Promise<void>;
  if (role === 'worker') {
    const scheduler = createScheduler(context);
    await context.alertChannel.check(context.slack);
    scheduler.start();
    logger.info('worker started: running scheduled jobs only');
    stop = async () => {
      await Promise.all([context.slackOutbox.stop(), scheduler.stop()]);
      await context.database.close();
    };
  } else {
    const phonekeys = createPhonekeys(context);
    await phonekeys.listen(config.port);
    stop = () => phonekeys.close();
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // Requests in flight get 8 s (SHUTDOWN_GRACE_MS); whatever still hangs after this (a job stuck on
    // an unreachable database) must not keep the process past a platform's kill (Heroku: 30 s).
    setTimeout(() => {
      logger.error({ afterMs: HARD_STOP_MS }, 'shutdown did not finish in time; exiting anyway');
      process.exit(1);
    }, HARD_STOP_MS).unref();
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/** Start-up failures the message alone explains (a stack trace would only hide it). */
const OPERATOR_ERRORS = new Set(['DataDirInUse', 'EmbeddedDatabaseUnavailable', 'EmulatorDataError']);

main().catch((error: unknown) => {
  const known = OPERATOR_ERRORS.has((error as Error)?.name);
  createLogger().fatal(known ? {} : { err: error }, `failed to start: ${(error as Error).message}`);
  process.exit(1);
});
