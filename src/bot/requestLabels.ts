import { ActionId, CallbackId } from '../slack/ids.js';
import { parseKeysCommand } from './commandParser.js';

const KNOWN_ACTIONS = new Set<string>(Object.values(ActionId));
const KNOWN_CALLBACKS = new Set<string>(Object.values(CallbackId));

/** Labels of a Slack request; names are our own ids (a bounded set), anything else is `other`. */
export function slackRequestLabels(body: unknown): { kind: string; name: string } {
  const b = (body ?? {}) as {
    type?: string;
    command?: string;
    text?: string;
    actions?: { action_id?: string }[];
    view?: { callback_id?: string };
    event?: { type?: string };
  };
  const known = (set: Set<string>, value: string | undefined) => (value && set.has(value) ? value : 'other');
  if (typeof b.command === 'string') return { kind: 'command', name: parseKeysCommand(b.text ?? '').kind };
  switch (b.type) {
    case 'block_actions':
      return { kind: 'action', name: known(KNOWN_ACTIONS, b.actions?.[0]?.action_id) };
    case 'view_submission':
    case 'view_closed':
      return { kind: b.type, name: known(KNOWN_CALLBACKS, b.view?.callback_id) };
    case 'event_callback':
      return { kind: 'event', name: /^[a-z_]{1,40}$/.test(b.event?.type ?? '') ? b.event!.type! : 'other' };
    default:
      return { kind: 'other', name: typeof b.type === 'string' && /^[a-z_]{1,40}$/.test(b.type) ? b.type : 'other' };
  }
}
