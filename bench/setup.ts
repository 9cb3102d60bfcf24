/**
 * What the bench parts share: the product's configuration for a bench run, a database of the
 * run's database server, and the bench's own connection to it (an "other instance" that
 * creates keys and revokes them, as an admin would from Slack on another server).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildContext } from '../src/bootstrap.js';
import { loadConfig } from '../src/config.js';
import type { AppContext } from '../src/context.js';
import { createLogger } from '../src/logger.js';
import { withDatabaseName } from '../test/support/database.js';

/** Logs of the bench's processes: outside the repo. */
export const LOG_DIR = join(tmpdir(), 'phonekeys-bench-logs');

export function logFile(name: string): string {
  mkdirSync(LOG_DIR, { recursive: true });
  return join(LOG_DIR, `${name}.log`);
}

/** A fresh database on the run's server, with driver command monitoring on (the counters need it). */
export function benchDatabaseUri(serverUri: string, name: string): string {
  const uri = withDatabaseName(serverUri, `pk_bench_${name}_${randomBytes(3).toString('hex')}`);
  return `${uri}${uri.includes('?') ? '&' : '?'}monitorCommands=true`;
}

/**
 * The product's configuration as a production web process would have it (JSON logs at info,
 * a real encryption key), with the scheduler off so only the measured work runs.
 */
export function productEnv(mongodbUri: string, slackApiUrl: string): Record<string, string> {
  return {
    NODE_ENV: 'production',
    MONGODB_URI: mongodbUri,
    SLACK_BOT_TOKEN: `xoxb-bench-${randomBytes(8).toString('hex')}`,
    SLACK_SIGNING_SECRET: randomBytes(16).toString('hex'),
    SLACK_API_URL: slackApiUrl,
    ALERT_CHANNEL_ID: 'C0ALERTS',
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    RUN_JOBS: 'false',
    LOG_LEVEL: 'info',
  };
}

/** The bench's own instance of the product's context, on the same database and keys (logging errors only). */
export async function benchContext(env: Record<string, string>): Promise<AppContext> {
  const config = loadConfig({ ...env, LOG_LEVEL: 'error' });
  return buildContext(config, { logger: createLogger({ level: config.logLevel }), slackRetries: { retries: 0 } });
}

/**
 * The Node flags production gives the web process: those of the Procfile's `web:` line
 * (`web: node --flag … dist/src/main.js`), so the measured server runs as deployed.
 */
export function webNodeFlags(root: string): string[] {
  const procfile = join(root, 'Procfile');
  if (!existsSync(procfile)) return [];
  const web = /^web:\s*node\s+(.*)$/m.exec(readFileSync(procfile, 'utf8'))?.[1] ?? '';
  const flags: string[] = [];
  for (const token of web.split(/\s+/)) {
    if (!token.startsWith('--')) break;
    flags.push(token);
  }
  return flags;
}
