import { resolve } from 'node:path';
import { z } from 'zod';
import { booleanFlag, cronExpression, emptyToUndefined, integerIn, nonNegativeNumber, positiveNumber } from './configFields.js';
import { LOG_FORMATS, type LogFormat } from './logger.js';

/**
 * The whole configuration (README: Configuration) as one zod schema, parsed once at start.
 * Every problem is collected so the operator fixes them in one go.
 */

/** Where phones post (README: How a phone signs a request). */
export const PHONE_WEBHOOK_PATH = '/webhooks/phone';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A public, well-known development key: used only outside production, with a warning. */
const DEVELOPMENT_ENCRYPTION_KEY = Buffer.from('phonekeys-development-only-key!!', 'utf8');

const slackUserId = /^[UW][A-Z0-9]{2,}$/;
const slackConversationId = /^[CGD][A-Z0-9]{2,}$/;

const schema = z.object({
  // `Production`, `PRODUCTION`: production all the same.
  NODE_ENV: z.preprocess(
    (value) => (typeof value === 'string' ? emptyToUndefined(value.trim().toLowerCase()) : value),
    z.string().default('development'),
  ),
  PORT: z.preprocess(
    emptyToUndefined,
    z.coerce.number({ error: 'must be a port number' }).int('must be a whole number').min(0).max(65535).default(3000),
  ),
  MONGODB_URI: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// or mongodb+srv:// connection string')
      .optional(),
  ),
  SLACK_BOT_TOKEN: z.preprocess(
    emptyToUndefined,
    z.string({ error: 'is required (the bot token, xoxb-…)' }).startsWith('xoxb-', 'must be a bot token starting with xoxb-'),
  ),
  SLACK_SIGNING_SECRET: z.preprocess(
    emptyToUndefined,
    z.string({ error: 'is required (Basic Information → Signing Secret)' }).min(8, 'looks too short'),
  ),
  SLACK_APP_TOKEN: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .startsWith('xapp-', 'must be an app-level token starting with xapp- (Basic Information → App-Level Tokens, scope connections:write)')
      .optional(),
  ),
  SLACK_API_URL: z.preprocess(
    emptyToUndefined,
    z
      .url({ error: 'must be an http(s) URL' })
      .optional()
      .transform((u) => (u === undefined ? undefined : u.endsWith('/') ? u : `${u}/`)),
  ),
  PUBLIC_URL: z.preprocess(
    emptyToUndefined,
    z
      .url({ protocol: /^https?$/, error: "must be the server's public http(s) base URL, e.g. https://phonekeys.example.com" })
      .refine((u) => !/[?#]/.test(u), 'must be a base URL without a query or fragment')
      .optional()
      .transform((u) => u?.replace(/\/+$/, '')),
  ),
  ALERT_CHANNEL_ID: z.preprocess(
    emptyToUndefined,
    z
      .string({ error: 'is required (the channel ID for on-call alerts, e.g. C0123ABCD)' })
      .regex(slackConversationId, 'must be a Slack channel ID such as C0123ABCD'),
  ),
  ADMIN_USER_IDS: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .optional()
      .transform((s) =>
        (s ?? '')
          .split(',')
          .map((id) => id.trim())
          .filter(Boolean),
      )
      .refine((ids) => ids.every((id) => slackUserId.test(id)), 'must be comma-separated Slack user IDs such as U0123ABCD'),
  ),
  KEY_ENCRYPTION_KEY: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .optional()
      .refine(
        (k) => k === undefined || Buffer.from(k, 'base64').length === 32,
        'must be 32 bytes, base64-encoded (openssl rand -base64 32)',
      ),
  ),
  SILENT_AFTER_MINUTES: positiveNumber(30, 'minutes'),
  SILENT_REMIND_MINUTES: nonNegativeNumber(0, 'minutes'),
  KEY_ROTATION_DAYS: positiveNumber(90, 'days'),
  ROTATION_GRACE_HOURS: positiveNumber(24, 'hours'),
  REVEAL_TTL_MINUTES: positiveNumber(15, 'minutes'),
  SILENT_REOPEN_MINUTES: nonNegativeNumber(30, 'minutes'),
  ALERT_GROUP_MIN: integerIn(5, 2, 10_000, 'a whole number of phones, 2 or more'),
  FAILING_AFTER_SENDS: integerIn(5, 1, 1000, 'a whole number of sends, 1 or more'),
  BATTERY_LOW_PERCENT: integerIn(15, 0, 100, 'a whole percentage from 0 (off) to 100'),
  KEY_ROTATION_WARN_DAYS: nonNegativeNumber(7, 'days'),
  SILENT_PHONES_CRON: cronExpression('* * * * *'),
  KEY_ROTATION_CRON: cronExpression('0 9 * * *'),
  FLEET_REPORT_CRON: cronExpression('0 9 * * 1'),
  EVENT_RETENTION_DAYS: positiveNumber(30, 'days'),
  RUN_JOBS: booleanFlag(true),
  TRUST_PROXY: z.preprocess(emptyToUndefined, z.string().optional()),
  DATA_DIR: z.preprocess(emptyToUndefined, z.string().default('.data')),
  LOG_LEVEL: z.preprocess(emptyToUndefined, z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info')),
  LOG_FORMAT: z.preprocess(
    (value) => (typeof value === 'string' ? emptyToUndefined(value.trim().toLowerCase()) : value),
    z.enum(LOG_FORMATS, { error: `must be ${LOG_FORMATS.join(' or ')}` }).default('json'),
  ),
});

type RawConfig = z.infer<typeof schema>;

export interface Config {
  nodeEnv: string;
  port: number;
  mongodbUri: string | undefined;
  slack: {
    botToken: string;
    signingSecret: string;
    /** An app-level token: Slack is reached by Socket Mode instead of POST /slack/events. */
    appToken: string | undefined;
    apiUrl: string | undefined;
    alertChannelId: string;
    adminUserIds: string[];
  };
  /** PUBLIC_URL without a trailing slash: where phones reach this server. */
  publicUrl: string | undefined;
  /** `<PUBLIC_URL>/webhooks/phone`, what a phone posts to (undefined without PUBLIC_URL). */
  webhookUrl: string | undefined;
  encryptionKey: Buffer;
  /** NODE_ENV is `production`, in any case. */
  production: boolean;
  /** True when the well-known development key is in use (never in production). */
  usingDevelopmentEncryptionKey: boolean;
  silentAfterMs: number;
  silentRemindMs: number;
  keyRotationMs: number;
  rotationGraceMs: number;
  revealTtlMs: number;
  /** A phone silent again this soon after recovering reopens its last alert (0: never). */
  silentReopenMs: number;
  /** At least this many phones silent in one run share one grouped alert. */
  alertGroupMin: number;
  /** A phone whose last this-many sends all failed or expired is failing. */
  failingAfterSends: number;
  /** A heartbeat at or below this battery, not charging, raises a battery alert (0: off). */
  batteryLowPercent: number;
  /** How long before a key is due for rotation its creator is warned (0: never). */
  keyRotationWarnMs: number;
  cron: { silentPhones: string; keyRotation: string; fleetReport: string };
  /** Stored phone events are deleted this long after they were received (hourly totals stay 400 days). */
  eventRetentionMs: number;
  runJobs: boolean;
  /** Express `trust proxy` value, or undefined to use the socket address. */
  trustProxy: boolean | number | string | undefined;
  logLevel: (typeof LOG_LEVELS)[number];
  /** `json` (default) or `pretty`. */
  logFormat: LogFormat;
  /** Where the embedded database keeps its data when MONGODB_URI is unset (absolute). */
  dataDir: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

const MINUTE = 60_000;

/** Parses the environment; throws ConfigError listing every problem by variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  const problems: string[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'} ${issue.message}`);

  // Judged on the raw environment, so they are listed with the other problems, not after they are fixed.
  if (isProduction(env.NODE_ENV)) problems.push(...productionProblems(env));
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  return toConfig(parsed.data);
}

function toConfig(raw: RawConfig): Config {
  return {
    nodeEnv: raw.NODE_ENV,
    production: isProduction(raw.NODE_ENV),
    port: raw.PORT,
    mongodbUri: raw.MONGODB_URI,
    slack: {
      botToken: raw.SLACK_BOT_TOKEN,
      signingSecret: raw.SLACK_SIGNING_SECRET,
      appToken: raw.SLACK_APP_TOKEN,
      apiUrl: raw.SLACK_API_URL,
      alertChannelId: raw.ALERT_CHANNEL_ID,
      adminUserIds: raw.ADMIN_USER_IDS,
    },
    publicUrl: raw.PUBLIC_URL,
    webhookUrl: raw.PUBLIC_URL ? `${raw.PUBLIC_URL}${PHONE_WEBHOOK_PATH}` : undefined,
    encryptionKey: raw.KEY_ENCRYPTION_KEY ? Buffer.from(raw.KEY_ENCRYPTION_KEY, 'base64') : DEVELOPMENT_ENCRYPTION_KEY,
    usingDevelopmentEncryptionKey:
      !raw.KEY_ENCRYPTION_KEY || Buffer.from(raw.KEY_ENCRYPTION_KEY, 'base64').equals(DEVELOPMENT_ENCRYPTION_KEY),
    silentAfterMs: raw.SILENT_AFTER_MINUTES * MINUTE,
    silentRemindMs: raw.SILENT_REMIND_MINUTES * MINUTE,
    keyRotationMs: raw.KEY_ROTATION_DAYS * 24 * 60 * MINUTE,
    rotationGraceMs: raw.ROTATION_GRACE_HOURS * 60 * MINUTE,
    revealTtlMs: raw.REVEAL_TTL_MINUTES * MINUTE,
    silentReopenMs: raw.SILENT_REOPEN_MINUTES * MINUTE,
    alertGroupMin: raw.ALERT_GROUP_MIN,
    failingAfterSends: raw.FAILING_AFTER_SENDS,
    batteryLowPercent: raw.BATTERY_LOW_PERCENT,
    keyRotationWarnMs: raw.KEY_ROTATION_WARN_DAYS * 24 * 60 * MINUTE,
    cron: { silentPhones: raw.SILENT_PHONES_CRON, keyRotation: raw.KEY_ROTATION_CRON, fleetReport: raw.FLEET_REPORT_CRON },
    eventRetentionMs: raw.EVENT_RETENTION_DAYS * 24 * 60 * MINUTE,
    runJobs: raw.RUN_JOBS,
    trustProxy: parseTrustProxy(raw.TRUST_PROXY),
    logLevel: raw.LOG_LEVEL,
    logFormat: raw.LOG_FORMAT,
    dataDir: resolve(raw.DATA_DIR),
  };
}

const isProduction = (nodeEnv: unknown): boolean =>
  String(nodeEnv ?? '')
    .trim()
    .toLowerCase() === 'production';

/** `.env.example`'s placeholders: a deployment that still has them was never configured. */
const PLACEHOLDERS: Record<string, string> = {
  SLACK_BOT_TOKEN: 'xoxb-your-bot-token',
  SLACK_SIGNING_SECRET: 'your-signing-secret',
};

/** What production refuses that development only warns about. */
function productionProblems(env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  const encryptionKey = String(env.KEY_ENCRYPTION_KEY ?? '').trim();
  if (encryptionKey === '') problems.push('KEY_ENCRYPTION_KEY is required when NODE_ENV=production (32 bytes, base64)');
  else if (Buffer.from(encryptionKey, 'base64').equals(DEVELOPMENT_ENCRYPTION_KEY))
    problems.push('KEY_ENCRYPTION_KEY is the public development key: in production use your own (openssl rand -base64 32)');
  for (const [variable, placeholder] of Object.entries(PLACEHOLDERS)) {
    if (String(env[variable] ?? '').trim() === placeholder)
      problems.push(`${variable} is still the placeholder from .env.example (${placeholder}): set the real value`);
  }
  if (trustsEveryProxy(env.TRUST_PROXY)) problems.push(`TRUST_PROXY${TRUST_EVERY_PROXY_PROBLEM}`);
  return problems;
}

/**
 * Express's `trust proxy = true` takes the leftmost X-Forwarded-For address, which any client
 * writes itself: IP locks and the per-IP limits could be passed by anyone. Refused in production,
 * warned about loudly elsewhere (src/bootstrap.ts).
 */
export const TRUST_EVERY_PROXY_PROBLEM =
  "=true trusts every X-Forwarded-For hop, so any client can claim any IP and pass IP locks: set the number of proxies in front of phonekeys (e.g. 1 behind Heroku's router or one load balancer) or their addresses (e.g. 10.0.0.0/8)";

const trustsEveryProxy = (value: unknown): boolean =>
  String(value ?? '')
    .trim()
    .toLowerCase() === 'true';

/** Mirrors Express: true/false, a hop count, or a list of addresses/subnets. */
function parseTrustProxy(value: string | undefined): Config['trustProxy'] {
  if (value === undefined) return undefined;
  if (value.toLowerCase() === 'true') return true;
  if (value.toLowerCase() === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}
