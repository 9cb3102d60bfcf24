import type { App } from '@slack/bolt';
import type { AppContext } from '../context.js';
import * as actions from './listeners/actions/index.js';
import * as commands from './listeners/commands/index.js';
import * as events from './listeners/events/index.js';
import * as views from './listeners/views/index.js';

/** Registers every Slack listener: commands, views, actions, events (layout: README.md here). */
export function registerListeners(app: App, context: AppContext): void {
  commands.register(app, context);
  views.register(app, context);
  actions.register(app, context);
  events.register(app, context);
}
