import type { KeyView } from '../../domain/keys.js';
import { escapeText } from '../format.js';
import { BlockId } from '../ids.js';
import { deleteButton } from './keyList.js';
import { type Block, section } from './kit.js';

/** `/keys delete <key>`: nothing happens until the danger button is pressed (and confirmed). */
export function deleteConfirmation(key: KeyView): { text: string; blocks: Block[] } {
  const phones = key.phoneNumbers.length;
  const text = `Delete ${key.publicId} (${key.name})?`;
  return {
    text,
    blocks: [
      section(
        `Delete *${escapeText(key.name)}* (\`${key.publicId}\`)? It is revoked at once${phones ? `: the ${phones} phone${phones === 1 ? '' : 's'} using it will be refused from the next request` : ''}. This cannot be undone.`,
      ),
      { type: 'actions', block_id: BlockId.deleteConfirmation, elements: [deleteButton(key)] },
    ],
  };
}
