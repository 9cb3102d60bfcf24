import type { KeyView } from '../../domain/keys.js';
import { keyLabel } from '../format.js';
import { ActionId, BlockId, CallbackId } from '../ids.js';
import { context, type ModalView, option, plain, section } from '../kit.js';

/** Slack allows 100 options in a static select. */
const MAX_OPTIONS = 100;

/** "Unlink phone…": pick one of the key's numbers. */
export function unlinkPhoneModal(key: KeyView, privateMetadata: string): ModalView {
  const numbers = key.phoneNumbers.slice(0, MAX_OPTIONS);
  return {
    type: 'modal',
    callback_id: CallbackId.unlinkPhone,
    private_metadata: privateMetadata,
    title: plain('Unlink phone'),
    submit: plain('Unlink'),
    close: plain('Cancel'),
    blocks: [
      section(keyLabel(key)),
      {
        type: 'input',
        block_id: BlockId.phoneNumber,
        label: plain('Phone number'),
        element: {
          type: 'static_select',
          action_id: ActionId.input,
          placeholder: plain('Choose a number'),
          options: numbers.map((n) => option(n, n)),
        },
      },
      context('The phone must register again (log in with a key) to be linked again.'),
    ],
  };
}
