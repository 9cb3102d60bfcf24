/**
 * The server as a real process (`src/main.ts` through tsx), for behaviour that is about
 * processes: several instances on one database, SIGTERM. Configured like a test app (Slack
 * faked, its own secrets); the secrets join the run's log scan.
 */
import { randomBytes } from 'node:crypto';
import { type RunningProcess, runTs } from './processes.js';
import { ALERT_CHANNEL, rememberSecrets } from './testApp.js';

/** What instances of one deployment share: the Slack app and the key encryption key. */
export interface ServerSecrets {
  SLACK_BOT_TOKEN: string;
  SLACK_SIGNING_SECRET: string;
  KEY_ENCRYPTION_KEY: string;
}

export function newServerSecrets(): ServerSecrets {
  const secrets = {
    SLACK_BOT_TOKEN: `xoxb-proc-${randomBytes(8).toString('hex')}`,
    SLACK_SIGNING_SECRET: randomBytes(16).toString('hex'),
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  };
  rememberSecrets(Object.values(secrets));
  return secrets;
}

export interface ServerProcess {
  proc: RunningProcess;
  baseUrl: string;
  /** The environment it runs with (for a context in the test process that shares its database and keys). */
  env: Record<string, string>;
  /** SIGTERM; resolves with the exit code and how long the exit took. */
  stop(): Promise<{ code: number | string; ms: number }>;
  /** SIGKILL, if still running (cleanup). */
  kill(): void;
}

export async function startServerProcess(options: {
  /** Unset: the embedded default (give DATA_DIR in env). */
  mongodbUri?: string;
  slackApiUrl: string;
  secrets: ServerSecrets;
  env?: Record<string, string>;
}): Promise<ServerProcess> {
  const env: Record<string, string> = {
    ...options.secrets,
    PORT: '0',
    ...(options.mongodbUri ? { MONGODB_URI: options.mongodbUri } : {}),
    SLACK_API_URL: options.slackApiUrl,
    ALERT_CHANNEL_ID: ALERT_CHANNEL,
    RUN_JOBS: 'false',
    LOG_LEVEL: 'info',
    ...options.env,
  };
  const proc = runTs('src/main.ts', [], env);
  try {
    // The embedded default's first start may wait for a mongod download (offline: until it fails).
    const listening = JSON.parse(await proc.waitForLine(/"msg":"listening"/, 45_000)) as { port: number };
    const kill = () => {
      if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
    };
    return {
      proc,
      env,
      baseUrl: `http://127.0.0.1:${listening.port}`,
      async stop() {
        const started = performance.now();
        proc.child.kill('SIGTERM');
        const code = await proc.exited;
        return { code, ms: performance.now() - started };
      },
      kill,
    };
  } catch (error) {
    proc.child.kill('SIGKILL');
    throw error;
  }
}

/** The JSON log lines a process wrote so far. */
export function logLinesOf(proc: RunningProcess): Record<string, unknown>[] {
  return proc
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
