import { LogLevel, type RetryOptions, type WebAPICallResult, WebClient } from '@slack/web-api';
import type { Config } from '../config.js';

/** Few, quick retries: a job must not sit for half an hour behind a Slack outage; the next run retries. */
const DEFAULT_SLACK_RETRIES: RetryOptions = { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 5000 };

export function slackClientOptions(config: Config, retryConfig: RetryOptions = DEFAULT_SLACK_RETRIES) {
  return {
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    retryConfig,
    rejectRateLimitedCalls: false,
    logLevel: LogLevel.ERROR,
  };
}

/** A WebClient that counts its failed calls, for /metrics. */
class CountingWebClient extends WebClient {
  constructor(
    token: string,
    options: ReturnType<typeof slackClientOptions>,
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

export function createSlackClient(
  config: Config,
  retryConfig?: RetryOptions,
  onError: (method: string, error: unknown) => void = () => {},
): WebClient {
  return new CountingWebClient(config.slack.botToken, slackClientOptions(config, retryConfig), onError);
}
