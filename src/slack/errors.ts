/**
 * Failed Slack Web API calls, read the same way by the bot, the jobs and the metrics.
 * Only what Slack said went wrong: never the request (which may hold a key) or a token.
 */

interface SlackCallError {
  code?: string;
  data?: { error?: string };
  statusCode?: number;
  message?: string;
  /** WebAPIRateLimitedError: seconds Slack asked us to wait. */
  retryAfter?: number;
  /** WebAPIRequestError: what fetch threw. */
  original?: { name?: string };
}

/**
 * Slack's error code (`ratelimited`, `channel_not_found`…), else `http_<status>`, else what went
 * wrong on the way (`timeout`, `aborted`, `request_error`), else the client's error code: a
 * bounded value, fit for a metric label.
 */
export function slackErrorCode(error: unknown): string {
  const e = error as SlackCallError | undefined;
  if (e?.data?.error) return e.data.error;
  if (e?.statusCode) return `http_${e.statusCode}`;
  if (e?.code === 'slack_webapi_rate_limited_error') return 'ratelimited';
  if (e?.code === 'slack_webapi_request_error') {
    if (e.original?.name === 'TimeoutError') return 'timeout';
    if (e.original?.name === 'AbortError') return 'aborted';
    return 'request_error';
  }
  return e?.code ?? 'unknown';
}

/** Seconds a rate-limited call was told to wait (Retry-After), if it was rate limited. */
export function retryAfterSeconds(error: unknown): number | undefined {
  const e = error as SlackCallError | undefined;
  return typeof e?.retryAfter === 'number' ? e.retryAfter : undefined;
}

/** For a log line: the code and the client's message. */
export function slackErrorSummary(error: unknown): { code: string; message?: string } {
  return { code: slackErrorCode(error), message: (error as SlackCallError | undefined)?.message };
}
