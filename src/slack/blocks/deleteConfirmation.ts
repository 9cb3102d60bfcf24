import type { KeyView } from '../../domain/keys.js';
import { keyLabel, keyPlain } from '../format.js';
import { BlockId } from '../ids.js';
import { type SlackMessage, section } from '../kit.js';
import { deleteButton } from './keyList.js';

/** `/keys delete <key>`: nothing happens until the danger button is pressed (and confirmed). */
export function deleteConfirmation(key: KeyView): SlackMessage {
  const phones = key.phoneCount;
  return {
    text: `Delete ${keyPlain(key)}?`,
    blocks: [
      section(
        `Delete ${keyLabel(key)}? It is revoked at once${phones ? `: the ${phones} phone${phones === 1 ? '' : 's'} using it will be refused from the next request` : ''}. This cannot be undone.`,
      ),
      { type: 'actions', block_id: BlockId.deleteConfirmation, elements: [deleteButton(key)] },
    ],
  };
}
