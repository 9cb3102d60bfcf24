import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { AppContext } from '../../../context.js';
import { homePhones, homeView } from '../../../slack/blocks/home.js';

/** App Home: a fresh summary each time it is opened (keys due for rotation first, silent phones first). */
export function appHomeOpened(context: AppContext) {
  return async ({ event }: SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs): Promise<void> => {
    if (event.tab !== 'home') return;
    try {
      const [keys, phones] = await Promise.all([context.domain.keys.list(), context.domain.phones.list()]);
      const onlineShares = await context.domain.fleet.recentOnlineShares(homePhones(phones));
      await context.slack.views.publish({
        user_id: event.user,
        view: homeView({ keys, phones, now: context.clock(), onlineShares, webhookUrl: context.config.webhookUrl }),
      });
    } catch (error) {
      context.logger.error({ err: error }, 'could not publish App Home');
    }
  };
}
