import type { KeyView } from '../../domain/keys.js';
import { ipLockText, keyLabel } from '../format.js';
import { CallbackId } from '../ids.js';
import { context, type ModalView, plain, section } from '../kit.js';
import { ipLockInputs } from './ipLockInputs.js';

/** "Lock to IP…": the key's IP lock mode and list, prefilled with the current ones. */
export function lockKeyModal(key: KeyView, privateMetadata: string): ModalView {
  return {
    type: 'modal',
    callback_id: CallbackId.lockKey,
    private_metadata: privateMetadata,
    title: plain('Lock key to IP'),
    submit: plain('Save'),
    close: plain('Cancel'),
    blocks: [
      section(`${keyLabel(key)}\nNow: ${ipLockText(key.ipLock)}`),
      ...ipLockInputs({ mode: key.ipLock.mode, entries: key.ipLock.mode === 'list' ? key.ipLock.entries : [] }),
      ...(key.ipLock.firstIp
        ? [context(`Saving "First IP" again forgets \`${key.ipLock.firstIp}\`: the key then locks to the next IP that uses it.`)]
        : []),
    ],
  };
}
