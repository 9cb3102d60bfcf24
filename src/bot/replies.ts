import type { BlockButtonAction, RespondFn } from '@slack/bolt';
import type { AppContext } from '../context.js';
import { isDatabaseUnavailable } from '../db/errors.js';
import { DomainError } from '../domain/errors.js';
import { DATABASE_UNAVAILABLE, refused, SOMETHING_WENT_WRONG } from '../slack/blocks/answers.js';
import { slackErrorSummary } from '../slack/errors.js';
import type { SlackMessage } from '../slack/kit.js';
import { postToResponseUrl } from '../slack/responseUrl.js';

/** Sends an answer to the user who acted, wherever that is (response_url, ephemeral, DM). Never a full key. */
export type Reply = (message: SlackMessage) => Promise<void>;

/** A reply through Bolt's respond(): ephemeral, as a new message unless told to replace the one acted on. */
export function respondReply(respond: RespondFn, { replaceOriginal = false } = {}): Reply {
  return async (message) => {
    await respond({
      response_type: 'ephemeral',
      replace_original: replaceOriginal,
      text: message.text,
      ...(message.blocks ? { blocks: message.blocks } : {}),
    });
  };
}

/** A reply to whoever pressed a button: through the message's response_url when there is one, else a DM. */
export function buttonReply(
  context: AppContext,
  body: Pick<BlockButtonAction, 'response_url' | 'user'>,
  respond: RespondFn,
  { replaceOriginal = false } = {},
): Reply {
  return body.response_url ? respondReply(respond, { replaceOriginal }) : laterReply(context, body.user.id, {});
}

/**
 * A reply for work that outlives its request (a modal submission): the response_url
 * the modal was opened from, else an ephemeral in its channel, else a DM.
 */
export function laterReply(context: AppContext, userId: string, target: { responseUrl?: string; channelId?: string }): Reply {
  return async (message) => {
    if (target.responseUrl) {
      // Pinned to Slack's hosts (or SLACK_API_URL's), redirects not followed: src/slack/responseUrl.ts.
      const { ok, status } = await postToResponseUrl(
        target.responseUrl,
        { response_type: 'ephemeral', replace_original: false, ...message },
        { apiUrl: context.config.slack.apiUrl },
      );
      if (ok) return;
      context.logger.warn(
        { status },
        status === 'untrusted'
          ? "a modal's response_url is not Slack's; answering with an ephemeral message instead"
          : 'response_url refused a reply; falling back to an ephemeral message',
      );
    }
    if (target.channelId) {
      try {
        await context.slack.chat.postEphemeral({ channel: target.channelId, user: userId, ...message });
        return;
      } catch (error) {
        context.logger.warn({ err: slackErrorSummary(error) }, 'chat.postEphemeral failed; falling back to a DM');
      }
    }
    await context.slack.chat.postMessage({ channel: userId, ...message });
  };
}

/** Turns a failure into what the user may see: a DomainError's message, or a generic line (the error is logged). */
export function failureMessage(context: AppContext, error: unknown, during: string): SlackMessage {
  // Domain messages may quote what the user typed: escaped, so it cannot turn into markup or mentions.
  if (error instanceof DomainError) return refused(error.message);
  if (isDatabaseUnavailable(error)) {
    context.logger.warn({ err: error, during }, 'Slack request could not be done: the database is unavailable');
    return { text: DATABASE_UNAVAILABLE };
  }
  context.logger.error({ err: error, during }, 'Slack request failed');
  return { text: SOMETHING_WENT_WRONG };
}

/** Replies, and logs (instead of throwing) when even the reply fails. */
export async function replySafely(context: AppContext, reply: Reply, message: SlackMessage): Promise<void> {
  try {
    await reply(message);
  } catch (error) {
    context.logger.error({ err: slackErrorSummary(error) }, 'could not reply to the user');
  }
}

/** Runs a listener's work, turning any failure into a reply. */
export async function withReply(
  context: AppContext,
  reply: Reply,
  during: string,
  work: () => Promise<SlackMessage | undefined>,
): Promise<void> {
  let message: SlackMessage | undefined;
  try {
    message = await work();
  } catch (error) {
    message = failureMessage(context, error, during);
  }
  if (message) await replySafely(context, reply, message);
}
