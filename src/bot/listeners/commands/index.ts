import type { App } from '@slack/bolt';
import type { AppContext } from '../../../context.js';
import { KEYS_COMMAND } from '../../../slack/ids.js';
import { keysCommand } from './keys.js';

export function register(app: App, context: AppContext): void {
  app.command(KEYS_COMMAND, keysCommand(context));
}
