import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { AppContext } from '../../../context.js';
import { HOME_LIMITS, homePhones, homeView } from '../../../slack/blocks/home.js';

/** App Home: a fresh summary each time it is opened (the alert channel if broken, open alerts, keys due for rotation, silent and failing phones first). */
export function appHomeOpened(context: AppContext) {
  return async ({ event }: SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs): Promise<void> => {
    if (event.tab !== 'home') return;
    try {
      const [overview, alertChannel] = await Promise.all([context.domain.overview.read(HOME_LIMITS), context.alertChannel.status()]);
      const onlineShares = await context.domain.fleet.recentOnlineShares(homePhones(overview));
      await context.slack.views.publish({
        user_id: event.user,
        view: homeView({ overview, now: context.clock(), onlineShares, webhookUrl: context.config.webhookUrl, alertChannel }),
      });
    } catch (error) {
      context.logger.error({ err: error }, 'could not publish App Home');
    }
  };
}
