import type { ViewResponseAction } from '@slack/bolt';
import type { Config } from '../config.js';
import { noticeModal } from './blocks/noticeModal.js';
import { mention } from './format.js';

/**
 * The one permission rule of the Slack surface (SPEC §4): when ADMIN_USER_IDS is
 * set, only those users may change keys and phones. Checked on every command,
 * button and modal submission that changes something: never trust that only
 * admins saw a button. Returns the refusal to show, or undefined when allowed.
 */
export function refuseChange(config: Config, userId: string): string | undefined {
  const admins = config.slack.adminUserIds;
  if (admins.length === 0 || admins.includes(userId)) return undefined;
  return `:no_entry: Sorry, only ${admins.map(mention).join(', ')} may create, change or delete keys and pause phones. Ask one of them.`;
}

/**
 * For modal submissions: a refused user gets a notice in place of the form.
 * Returns true when the submission was refused (and acknowledged).
 */
export async function refusedSubmission(
  config: Config,
  userId: string,
  ack: (response: ViewResponseAction) => Promise<void>,
): Promise<boolean> {
  const refusal = refuseChange(config, userId);
  if (!refusal) return false;
  await ack({ response_action: 'update', view: noticeModal('Not allowed', refusal) });
  return true;
}
