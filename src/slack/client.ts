import { LogLevel, type RetryOptions, type WebAPICallResult, WebClient, type WebClientOptions } from '@slack/web-api';
import type { Config } from '../config.js';

/**
 * Two Web API clients with the same token, never sharing a queue:
 * - the interactive one (Bolt's listeners, views.open, the reveal DM): a short timeout, no
 *   retries and no sleeping through a rate limit — a person is waiting, and a trigger_id lives 3 s;
 * - the outbox's (src/slack/outbox/): no automatic retries either (a retried post can double a
 *   message Slack had already accepted; the outbox looks it up instead), a rate limit comes back
 *   at once as an error (its Retry-After becomes that method's next attempt), and every call can
 *   be aborted by shutdown.
 */

/** A person is waiting: fail fast rather than hang. */
const INTERACTIVE_TIMEOUT_MS = 4_000;
/** Longer than any healthy Slack call; the outbox's claims last far longer than this. */
const OUTBOX_TIMEOUT_MS = 10_000;

const NO_RETRIES: RetryOptions = { retries: 0 };

/** Options of the interactive client (also Bolt's `clientOptions`). */
export function slackClientOptions(config: Config, retryConfig: RetryOptions = NO_RETRIES): WebClientOptions {
  return {
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    retryConfig,
    rejectRateLimitedCalls: true,
    timeout: INTERACTIVE_TIMEOUT_MS,
    logLevel: LogLevel.ERROR,
  };
}

/** A WebClient that counts its failed calls, for /metrics. */
class CountingWebClient extends WebClient {
  constructor(
    token: string,
    options: WebClientOptions,
    private readonly onError: (method: string, error: unknown) => void,
  ) {
    super(token, options);
  }

  override async apiCall(method: string, options?: Record<string, unknown>): Promise<WebAPICallResult> {
    try {
      return await super.apiCall(method, options);
    } catch (error) {
      this.onError(method, error);
      throw error;
    }
  }
}

/** The interactive client. */
export function createSlackClient(
  config: Config,
  retryConfig?: RetryOptions,
  onError: (method: string, error: unknown) => void = () => {},
): WebClient {
  return new CountingWebClient(config.slack.botToken, slackClientOptions(config, retryConfig), onError);
}

/** The outbox's client: every call also ends when `signal` aborts (shutdown). */
export function createOutboxClient(
  config: Config,
  signal: AbortSignal,
  onError: (method: string, error: unknown) => void = () => {},
): WebClient {
  const abortable: typeof fetch = (input, init) =>
    fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal });
  return new CountingWebClient(
    config.slack.botToken,
    { ...slackClientOptions(config), timeout: OUTBOX_TIMEOUT_MS, fetch: abortable },
    onError,
  );
}
