import { type DestinationStream, type Logger, pino } from 'pino';
import { prettyFactory } from 'pino-pretty';

export type { Logger };

/**
 * Anything shaped like a phone key, an API token, a Slack token or a Standard Webhooks
 * signature is scrubbed from every log line, whatever field or message it hides in.
 * Redaction by path alone would miss a key interpolated into an error message.
 */
const SECRET_PATTERNS: RegExp[] = [
  /pk_[a-z2-7]{8}_[A-Za-z0-9_-]{16,}/g, // a full phone key (the public pk_<id> alone is fine)
  /mk_[a-z2-7]{8}_[A-Za-z0-9_-]{16,}/g, // a full management API token (mk_<id> alone is fine)
  /xox[abposr]-[A-Za-z0-9-]+/g, // Slack tokens
  /xapp-[A-Za-z0-9-]+/g,
  /v1a?,[A-Za-z0-9+/=]{20,}/g, // Standard Webhooks signatures (v1 HMAC, v1a Ed25519)
  /v0=[a-f0-9]{64}/g, // Slack request signatures
];

export function scrubSecrets(line: string): string {
  let out = line;
  for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, '[REDACTED]');
  return out;
}

const REDACT_PATHS = [
  'key',
  'secret',
  'token',
  'signingSecret',
  'botToken',
  'encryptionKey',
  '*.key',
  '*.secret',
  '*.token',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-slack-signature"]',
  'req.headers["webhook-signature"]',
  'headers.authorization',
  'headers["x-slack-signature"]',
  'headers["webhook-signature"]',
];

/** `json` (one JSON object a line, for log collectors) or `pretty` (for a person at a terminal). */
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LoggerOptions {
  level?: string;
  /** Default `json`. */
  format?: LogFormat;
  /** Where lines go; stdout by default. Tests pass a collector. */
  destination?: DestinationStream;
  /**
   * Scrub secret-shaped strings from every line (default true). The test suite turns
   * it off so its log scan checks that the code itself never logs a secret.
   */
  scrub?: boolean;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const target: DestinationStream = options.destination ?? pino.destination({ dest: 1, sync: true });
  // Pretty lines are made from the JSON line after scrubbing, so they hide the same secrets.
  const output: DestinationStream = options.format === 'pretty' ? prettyDestination(target, options.destination === undefined) : target;
  const scrubbing: DestinationStream =
    options.scrub === false
      ? output
      : {
          write(line: string) {
            output.write(scrubSecrets(line));
          },
        };
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'phonekeys' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    scrubbing,
  );
}

/** Lines as a person reads them: `[10:00:00.123] INFO (webhooks): request  method: "POST" …`, coloured on a terminal. */
function prettyDestination(target: DestinationStream, toStdout: boolean): DestinationStream {
  const prettify = prettyFactory({
    colorize: toStdout && Boolean(process.stdout.isTTY),
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service,component',
    messageFormat: '{if component}({component}) {end}{msg}',
    hideObject: false,
    singleLine: true,
  });
  return {
    write(line: string) {
      target.write(prettify(line));
    },
  };
}
