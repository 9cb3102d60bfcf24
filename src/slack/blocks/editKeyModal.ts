import type { KeyView } from '../../domain/keys.js';
import { MAX_DESCRIPTION_LENGTH } from '../../domain/keys.js';
import { keyLabel } from '../format.js';
import { ActionId, BlockId, CallbackId } from '../ids.js';
import { context, type ModalView, plain, section } from '../kit.js';
import { ipLockInputs } from './ipLockInputs.js';
import { scopeInput } from './keyInputs.js';

/** `/keys edit <key>` and "Edit…": name, description, IP lock and scopes, prefilled. Invalid input comes back inline. */
export function editKeyModal(key: KeyView, privateMetadata: string): ModalView {
  return {
    type: 'modal',
    callback_id: CallbackId.editKey,
    private_metadata: privateMetadata,
    title: plain('Edit phone key'),
    submit: plain('Save'),
    close: plain('Cancel'),
    blocks: [
      section(`${keyLabel(key)} · ${key.environment} key`),
      {
        type: 'input',
        block_id: BlockId.name,
        label: plain('Name'),
        hint: plain('Unique; letters, digits, dots, dashes and underscores. Used in /keys commands.'),
        element: { type: 'plain_text_input', action_id: ActionId.input, max_length: 64, initial_value: key.name.slice(0, 64) },
      },
      {
        type: 'input',
        block_id: BlockId.description,
        optional: true,
        label: plain('Description'),
        element: {
          type: 'plain_text_input',
          action_id: ActionId.input,
          multiline: true,
          max_length: MAX_DESCRIPTION_LENGTH,
          ...(key.description ? { initial_value: key.description } : {}),
        },
      },
      ...ipLockInputs({ mode: key.ipLock.mode, entries: key.ipLock.mode === 'list' ? key.ipLock.entries : [] }),
      scopeInput(key.scopes),
      context(
        `The environment (${key.environment}) is fixed at creation. Changing the IP lock or the scopes reaches every instance within a second${key.ipLock.firstIp ? `; a new IP lock forgets the first IP \`${key.ipLock.firstIp}\`` : ''}.`,
      ),
    ],
  };
}
