import { publicIdOf } from '../../domain/keyMaterial.js';
import type { KeyView, PredecessorOutcome, RevocationPreview } from '../../domain/keys.js';
import { keyLabel, keyPlain, slackDate } from '../format.js';
import { BlockId } from '../ids.js';
import { type SlackMessage, section } from '../kit.js';
import { deleteButton } from './keyList.js';

type Key = Pick<KeyView, 'keyId' | 'name' | 'status' | 'phoneNumbers' | 'phoneCount' | 'graceEndsAt' | 'rotatedTo'>;

/** The first few of a key's numbers, and how many more it has (the view lists only the first 100). */
function someNumbers(key: Pick<KeyView, 'phoneNumbers' | 'phoneCount'>, max = 5): string {
  const shown = key.phoneNumbers.slice(0, max);
  const more = key.phoneCount - shown.length;
  return `${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

/** What revoking does to the key's phones, and to its own rotation grace. */
export function phonesConsequence(key: Key): string {
  const n = key.phoneCount;
  const phones =
    n === 0
      ? 'No phone is linked to it.'
      : `The ${n === 1 ? 'phone' : `${n} phones`} linked to it (${someNumbers(key)}) ${n === 1 ? 'is' : 'are'} refused from ${n === 1 ? 'its' : 'their'} next request: register ${n === 1 ? 'it' : 'them'} with another key to keep ${n === 1 ? 'it' : 'them'} working.`;
  if (key.status !== 'rotating') return phones;
  return `${phones} It is in its rotation grace (it would have worked until ${slackDate(key.graceEndsAt)}): that ends now, also for phones not yet moved to \`${publicIdOf(key.rotatedTo ?? '')}\`.`;
}

/** What revoking a rotation's successor does to the key it replaced. */
export function predecessorConsequence(
  predecessor: Pick<KeyView, 'keyId' | 'name' | 'graceEndsAt'>,
  outcome: PredecessorOutcome,
  done: boolean,
): string {
  const label = keyLabel(predecessor);
  if (outcome.kind === 'handed_on')
    return done
      ? `${label}, which it replaced, now hands over to \`${publicIdOf(outcome.to)}\` (still until ${slackDate(predecessor.graceEndsAt)}).`
      : `It replaced ${label}, still in its grace: that key will hand over to \`${publicIdOf(outcome.to)}\` instead.`;
  return done
    ? `${label}, which it replaced, is *active again*: the rotation is cancelled and its phones keep working. Rotate it again when you are ready (\`/keys rotate ${publicIdOf(predecessor.keyId)}\`); if you rotated because it leaked, delete it too.`
    : `It replaced ${label}, which is still in its grace (until ${slackDate(predecessor.graceEndsAt)}): deleting it *cancels that rotation*, so ${label} becomes active again and its phones keep working. If you rotated because that key leaked, delete it too.`;
}

/** `/keys delete <key>`: nothing happens until the danger button is pressed (and confirmed). */
export function deleteConfirmation({ key, predecessor }: RevocationPreview): SlackMessage {
  const lines = [
    `Delete ${keyLabel(key)}? It is revoked at once. This cannot be undone.`,
    phonesConsequence(key),
    ...(predecessor ? [predecessorConsequence(predecessor.view, predecessor.outcome, false)] : []),
  ];
  return {
    text: `Delete ${keyPlain(key)}?`,
    blocks: [section(lines.join('\n')), { type: 'actions', block_id: BlockId.deleteConfirmation, elements: [deleteButton(key)] }],
  };
}
