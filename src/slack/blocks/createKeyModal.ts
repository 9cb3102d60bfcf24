import { MAX_DESCRIPTION_LENGTH } from '../../domain/keys.js';
import { KEY_SCOPES } from '../../models/index.js';
import { ActionId, BlockId, CallbackId } from '../ids.js';
import { context, type ModalView, option, plain } from '../kit.js';
import { ipLockInputs } from './ipLockInputs.js';
import { environmentInput, scopeInput } from './keyInputs.js';

const ALGORITHM_OPTIONS = [
  option('hmac', 'HMAC-SHA256 (Standard Webhooks v1): the usual choice'),
  option('ed25519', 'Ed25519 (v1a): the server keeps only a public key'),
];

/** `/keys create [name]`: name (prefilled), description, IP lock, scopes (all checked), environment, algorithm. Invalid input comes back inline. */
export function createKeyModal({ name, privateMetadata }: { name: string; privateMetadata: string }): ModalView {
  return {
    type: 'modal',
    callback_id: CallbackId.createKey,
    private_metadata: privateMetadata,
    title: plain('New phone key'),
    submit: plain('Create key'),
    close: plain('Cancel'),
    blocks: [
      {
        type: 'input',
        block_id: BlockId.name,
        label: plain('Name'),
        hint: plain('Unique; letters, digits, dots, dashes and underscores, e.g. lagos-gw-1. Used in /keys commands.'),
        element: {
          type: 'plain_text_input',
          action_id: ActionId.input,
          max_length: 64,
          ...(name ? { initial_value: name.slice(0, 64) } : {}),
          placeholder: plain('lagos-gw-1'),
        },
      },
      {
        type: 'input',
        block_id: BlockId.description,
        optional: true,
        label: plain('Description'),
        element: { type: 'plain_text_input', action_id: ActionId.input, multiline: true, max_length: MAX_DESCRIPTION_LENGTH },
      },
      ...ipLockInputs({ mode: 'off', entries: [] }),
      scopeInput(KEY_SCOPES),
      environmentInput(),
      {
        type: 'input',
        block_id: BlockId.algorithm,
        label: plain('Signature algorithm'),
        hint: plain('Fixed for the key and its rotations. The phone app must support the one you choose.'),
        element: { type: 'radio_buttons', action_id: ActionId.input, options: ALGORITHM_OPTIONS, initial_option: ALGORITHM_OPTIONS[0] },
      },
      context('The key is sent to you in a DM, once, with a QR code for the phone app.'),
    ],
  };
}
