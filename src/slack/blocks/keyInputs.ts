import { KEY_SCOPES, type KeyEnvironment, type KeyScope } from '../../models/index.js';
import { ActionId, BlockId } from '../ids.js';
import { type Block, plain } from '../kit.js';

/** The scope and environment inputs the create and edit modals share. */

const SCOPE_LABELS: Record<KeyScope, [label: string, description: string]> = {
  heartbeat: ['Heartbeats', 'phone.heartbeat'],
  messages: ['Incoming messages', 'message.phone.received, message.call.missed'],
  sends: ['Send results', 'message.phone.sent / .delivered, message.send.failed / .expired'],
};

const scopeOption = (scope: KeyScope) => ({
  value: scope,
  text: plain(SCOPE_LABELS[scope][0]),
  description: plain(SCOPE_LABELS[scope][1]),
});

/**
 * Which events the key may send, checked as `current` (all three for a new key). Optional for
 * Slack, so choosing none reaches us and is answered inline with the domain's message.
 */
export function scopeInput(current: readonly KeyScope[]): Block {
  const options = KEY_SCOPES.map(scopeOption);
  const initial = options.filter((o) => current.includes(o.value));
  return {
    type: 'input',
    block_id: BlockId.scopes,
    optional: true,
    label: plain('Scopes: which events the key may send'),
    hint: plain('phone.registered is always allowed. A key that only heartbeats cannot inject SMS traffic if it leaks.'),
    element: { type: 'checkboxes', action_id: ActionId.input, options, ...(initial.length ? { initial_options: initial } : {}) },
  };
}

const ENVIRONMENT_LABELS: Record<KeyEnvironment, [label: string, description: string]> = {
  live: ['Live', 'Its phones page on-call when they go silent'],
  test: ['Test', 'Works the same, but its phones never page on-call'],
};

/** Live or test: chosen at creation, never changed. */
export function environmentInput(): Block {
  const options = (['live', 'test'] as const).map((environment) => ({
    value: environment,
    text: plain(ENVIRONMENT_LABELS[environment][0]),
    description: plain(ENVIRONMENT_LABELS[environment][1]),
  }));
  return {
    type: 'input',
    block_id: BlockId.environment,
    label: plain('Environment (fixed once created)'),
    element: { type: 'radio_buttons', action_id: ActionId.input, options, initial_option: options[0] },
  };
}
