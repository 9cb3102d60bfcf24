/**
 * Failed Slack Web API calls, read the same way by the bot, the jobs and the metrics.
 * Only what Slack said went wrong: never the request (which may hold a key) or a token.
 */

interface SlackCallError {
  code?: string;
  data?: { error?: string };
  statusCode?: number;
  message?: string;
}

/** Slack's error code (`ratelimited`, `channel_not_found`…), else `http_<status>`, else the client's error code: a bounded value, fit for a metric label. */
export function slackErrorCode(error: unknown): string {
  const e = error as SlackCallError | undefined;
  if (e?.data?.error) return e.data.error;
  if (e?.statusCode) return `http_${e.statusCode}`;
  return e?.code ?? 'unknown';
}

/** For a log line: the code and the client's message. */
export function slackErrorSummary(error: unknown): { code: string; message?: string } {
  return { code: slackErrorCode(error), message: (error as SlackCallError | undefined)?.message };
}

/** Errors that another attempt will not fix: the notice is given up (and logged). */
const PERMANENT_DM_ERRORS = new Set([
  'user_not_found',
  'user_not_visible',
  'user_disabled',
  'users_not_found',
  'cannot_dm_bot',
  'invalid_users',
  'not_allowed_token_type',
]);

export function isPermanentDmError(error: unknown): boolean {
  return PERMANENT_DM_ERRORS.has(slackErrorCode(error));
}

/**
 * Answers meaning the message (or its file) is gone or can no longer be edited: there is nothing
 * left to update or redact, so the caller moves on instead of retrying.
 */
const GONE_ERRORS = new Set([
  'message_not_found',
  'channel_not_found',
  'cant_update_message',
  'edit_window_closed',
  'file_not_found',
  'file_deleted',
]);

export function isGoneError(error: unknown): boolean {
  return GONE_ERRORS.has(slackErrorCode(error));
}
