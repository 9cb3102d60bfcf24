import type { App } from '@slack/bolt';
import type { AppContext } from '../context.js';

/** Registers every Slack listener: commands, views, actions, events. */
export function registerListeners(_app: App, _context: AppContext): void {
  // Filled by the Slack keys work (issue 3).
}
