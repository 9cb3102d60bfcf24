import { MAX_IP_LIST_CHARS } from '../../domain/ipLock.js';
import type { IpLockMode } from '../../models/index.js';
import { ActionId, BlockId } from '../ids.js';
import { type Block, LIMITS, option, plain } from '../kit.js';

const MODES: IpLockMode[] = ['off', 'first', 'list'];

const LABELS: Record<IpLockMode, string> = {
  off: 'Off: any IP may use the key',
  first: 'First IP: lock to the first IP that uses it',
  list: 'IP list: only these addresses and ranges',
};

/** The IP lock inputs the create and lock modals share: a mode and, for `list`, the addresses. */
export function ipLockInputs(current: { mode: IpLockMode; entries: string[] }): Block[] {
  const options = MODES.map((mode) => option(mode, LABELS[mode]));
  return [
    {
      type: 'input',
      block_id: BlockId.ipMode,
      label: plain('IP lock'),
      element: {
        type: 'radio_buttons',
        action_id: ActionId.input,
        options,
        initial_option: options[MODES.indexOf(current.mode)],
      },
    },
    {
      type: 'input',
      block_id: BlockId.ipList,
      optional: true,
      label: plain('IP addresses and CIDR ranges'),
      hint: plain('Only used with "IP list". One per line or comma-separated, e.g. 203.0.113.7, 10.0.0.0/24, 2001:db8::/32'),
      element: {
        type: 'plain_text_input',
        action_id: ActionId.input,
        multiline: true,
        // Slack's own limit for a text input (the domain takes 5,000 from a command or the API).
        max_length: Math.min(MAX_IP_LIST_CHARS, LIMITS.textInput),
        ...(current.entries.length ? { initial_value: current.entries.join('\n') } : {}),
        placeholder: plain('203.0.113.7'),
      },
    },
  ];
}
