import type { Authorize } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';

/**
 * Bolt's single-token mode calls auth.test once at construction and caches the
 * result, failures included: a Slack blip at boot would break every Slack request
 * until a restart. This caches only success and asks again on the next request.
 */
export function botAuthorization(botToken: string, client: WebClient): Authorize<boolean> {
  let identity: Promise<{ botId: string; botUserId: string }> | undefined;
  return async () => {
    identity ??= client.auth.test({ token: botToken }).then(
      (result) => ({ botId: result.bot_id as string, botUserId: result.user_id as string }),
      (error: unknown) => {
        identity = undefined;
        throw error;
      },
    );
    return { botToken, ...(await identity) };
  };
}
