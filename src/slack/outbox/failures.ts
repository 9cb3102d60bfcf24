import { retryAfterSeconds, slackErrorCode } from '../errors.js';

/**
 * What a failed outbox call means for the message (README: Slack outbox → failure rules).
 * Slack answers almost everything with HTTP 200 and an error code, so the code decides.
 */
export type Failure =
  /** Retry-After: that method waits; nothing else does. */
  | { type: 'ratelimited'; code: string; retryAfterMs: number }
  /** No answer, or a 5xx: Slack may have done it. Look before doing it again. */
  | { type: 'uncertain'; code: string }
  /** The channel refuses us (bot not in it, archived, gone): people must fix it; a few attempts, then give up. */
  | { type: 'channel'; code: string }
  /** What it was about is gone (the message, the user): nothing left to do. */
  | { type: 'gone'; code: string }
  /** Our request is wrong (a bug or a limit): retrying will not help; a few attempts, then give up. */
  | { type: 'invalid'; code: string }
  /** Anything else (auth trouble, Slack's own errors): back off and try again. */
  | { type: 'transient'; code: string }
  /** We are shutting down. */
  | { type: 'aborted'; code: string };

const CHANNEL = new Set([
  'channel_not_found',
  'is_archived',
  'not_in_channel',
  'restricted_action',
  'restricted_action_read_only_channel',
  'restricted_action_non_threadable_channel',
  'restricted_action_thread_only_channel',
  'team_access_not_granted',
  'ekm_access_denied',
]);

const GONE = new Set([
  'message_not_found',
  'thread_not_found',
  'cant_update_message',
  'edit_window_closed',
  'file_not_found',
  'file_deleted',
  'user_not_found',
  'user_not_visible',
  'user_disabled',
  'users_not_found',
  'cannot_dm_bot',
  'invalid_users',
]);

const INVALID = new Set([
  'invalid_blocks',
  'invalid_blocks_format',
  'invalid_arguments',
  'invalid_arg_name',
  'invalid_array_arg',
  'invalid_attachments',
  'invalid_metadata_format',
  'invalid_metadata_schema',
  'metadata_too_large',
  'msg_too_long',
  'msg_blocks_too_long',
  'no_text',
  'too_many_attachments',
  'too_many_blocks',
  'invalid_form_data',
]);

/** Outcome unknown: the request may have been carried out before the answer got lost. */
const UNCERTAIN = new Set(['timeout', 'request_error', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/** Without a Retry-After (a 200 `ratelimited`), wait this long. */
const DEFAULT_RETRY_AFTER_MS = 30_000;

export function classify(error: unknown): Failure {
  const code = slackErrorCode(error);
  if (code === 'aborted') return { type: 'aborted', code };
  if (code === 'ratelimited' || code === 'rate_limited') {
    const seconds = retryAfterSeconds(error);
    return { type: 'ratelimited', code, retryAfterMs: seconds === undefined ? DEFAULT_RETRY_AFTER_MS : seconds * 1000 };
  }
  if (CHANNEL.has(code)) return { type: 'channel', code };
  if (GONE.has(code)) return { type: 'gone', code };
  if (INVALID.has(code)) return { type: 'invalid', code };
  if (UNCERTAIN.has(code) || /^http_5\d\d$/.test(code)) return { type: 'uncertain', code };
  return { type: 'transient', code };
}

/** Refusals of these kinds are given up after this many attempts. */
export const MAX_REFUSALS = 3;

/** When to try again after the attempt-th attempt failed: at once (the next pass), then 30 s doubling to 15 min. */
export function backoffMs(attempt: number): number {
  if (attempt <= 1) return 0;
  return Math.min(15 * 60_000, 30_000 * 2 ** (attempt - 2));
}

/** After a channel refusal: 1 min, then 5 min (time to `/invite` the bot), then give up. */
export function channelBackoffMs(refusals: number): number {
  return refusals <= 1 ? 60_000 : 5 * 60_000;
}
