import type { App } from '@slack/bolt';
import type { AppContext } from '../../../context.js';
import { appHomeOpened } from './appHomeOpened.js';

export function register(app: App, context: AppContext): void {
  app.event('app_home_opened', appHomeOpened(context));
}
