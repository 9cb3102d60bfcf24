import { WebClient, LogLevel, type RetryOptions } from '@slack/web-api';
import type { Config } from './config.js';

/** Few, quick retries: a job must not sit for half an hour behind a Slack outage; the next run retries. */
export const DEFAULT_SLACK_RETRIES: RetryOptions = { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 5000 };

export function slackClientOptions(config: Config, retryConfig: RetryOptions = DEFAULT_SLACK_RETRIES) {
  return {
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    retryConfig,
    rejectRateLimitedCalls: false,
    logLevel: LogLevel.ERROR,
  };
}

export function createSlackClient(config: Config, retryConfig?: RetryOptions): WebClient {
  return new WebClient(config.slack.botToken, slackClientOptions(config, retryConfig));
}
