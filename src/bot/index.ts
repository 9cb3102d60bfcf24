import type { App } from '@slack/bolt';
import type { AppContext } from '../context.js';
import * as actions from './listeners/actions/index.js';
import * as commands from './listeners/commands/index.js';
import * as events from './listeners/events/index.js';
import * as views from './listeners/views/index.js';
import { adminCheck } from './permissions.js';

/**
 * Registers the admin check (in front of every listener), then every Slack listener:
 * commands, views, actions, events (layout: README.md here).
 */
export function registerListeners(app: App, context: AppContext): void {
  app.use(adminCheck(context));
  commands.register(app, context);
  views.register(app, context);
  actions.register(app, context);
  events.register(app, context);
}
