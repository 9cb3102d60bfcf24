import type { Authorize } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';

export interface BotAuthorization {
  authorize: Authorize<boolean>;
  /** Asks auth.test now, so the first Slack request does not wait for it; a failure is only reported. */
  warm(onError: (error: unknown) => void): void;
}

/**
 * Bolt's single-token mode calls auth.test once at construction and caches the
 * result, failures included: a Slack blip at boot would break every Slack request
 * until a restart. This caches only success and asks again on the next request.
 */
export function botAuthorization(botToken: string, client: WebClient): BotAuthorization {
  let identity: Promise<{ botId: string; botUserId: string }> | undefined;
  const identify = () => {
    identity ??= client.auth.test({ token: botToken }).then(
      (result) => ({ botId: result.bot_id as string, botUserId: result.user_id as string }),
      (error: unknown) => {
        identity = undefined;
        throw error;
      },
    );
    return identity;
  };
  return {
    authorize: async () => ({ botToken, ...(await identify()) }),
    warm: (onError) => void identify().catch(onError),
  };
}
