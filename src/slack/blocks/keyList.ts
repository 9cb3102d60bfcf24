import { publicIdOf } from '../../domain/keyMaterial.js';
import type { KeyView } from '../../domain/keys.js';
import { type CursorPageState, decodeButtonState, pagerBlock } from '../buttonState.js';
import { escapeText, ipLockText, keyLabel, mention, slackDate, someOf } from '../format.js';
import { ActionId } from '../ids.js';
import { type Block, button, confirmDialog, context, divider, header, type SlackMessage, section } from '../kit.js';

/** Three blocks per key (details, actions, divider), plus header, summary and the pager: 12 × 3 + 3 < 50. */
export const KEYS_PER_PAGE = 12;

export function keyStatusText(key: KeyView): string {
  switch (key.status) {
    case 'active':
      return 'active';
    case 'rotating':
      return `rotating: replaced by \`${key.rotatedTo ? publicIdOf(key.rotatedTo) : '?'}\`, works until ${slackDate(key.graceEndsAt, 'the grace period ends')}`;
    case 'revoked':
      return 'revoked';
  }
}

const ALGORITHM_TEXT = { hmac: 'HMAC (v1)', ed25519: 'Ed25519 (v1a)' } as const;

/** Every field of a key people see (README: Using /keys), as one mrkdwn text. */
function keyDetails(key: KeyView): string {
  const lines = [
    `${keyLabel(key)}${key.environment === 'test' ? '  `test`' : ''}${key.rotationDue ? '  :warning: *rotation due*' : ''}`,
    ...(key.description ? [`_${escapeText(key.description.replace(/\s+/g, ' ').slice(0, 300))}_`] : []),
    `Status: ${keyStatusText(key)} · Rotation due: ${key.rotationDue ? 'yes' : 'no'}`,
    `Created by ${mention(key.createdBy)} ${slackDate(key.createdAt)} · Last used ${slackDate(key.lastUsedAt)} · Used ${key.timesUsed} time${key.timesUsed === 1 ? '' : 's'}`,
    `IP lock: ${ipLockText(key.ipLock)} · Scopes: ${key.scopes.join(', ')} · Environment: ${key.environment} · Algorithm: ${ALGORITHM_TEXT[key.algorithm]}`,
    `Phones: ${someOf(key.phoneNumbers, 20, 'none', key.phoneCount)}`,
  ];
  return lines.join('\n');
}

function keyActions(key: KeyView): Block {
  const elements = [
    button('Edit…', ActionId.openEditModal, key.keyId),
    button('Lock to IP…', ActionId.openLockModal, key.keyId),
    button('Unlink phone…', ActionId.openUnlinkModal, key.keyId),
  ];
  if (key.status === 'active') {
    elements.push(
      button('Rotate…', ActionId.rotateKey, key.keyId, {
        confirm: confirmDialog(
          'Rotate this key?',
          `A new key replaces ${keyLabel(key)} and is sent to you by DM. The old key keeps working for the grace period, then stops.`,
          'Rotate',
        ),
      }),
    );
  }
  elements.push(deleteButton(key));
  return { type: 'actions', block_id: `key_${key.keyId}`, elements };
}

/**
 * Delete: danger style and a confirm dialog, wherever it is shown. The dialog (300 characters)
 * says what happens to the phones and to a rotation; `/keys delete` says it at length.
 */
export function deleteButton(key: Pick<KeyView, 'keyId' | 'name' | 'status' | 'phoneCount' | 'rotatedFrom'>) {
  const n = key.phoneCount;
  const parts = [
    `${keyLabel(key)} is revoked at once${n ? `: its ${n === 1 ? 'phone is' : `${n} phones are`} refused from the next request` : ''}.`,
    ...(key.status === 'rotating' ? ['Its rotation grace ends now.'] : []),
    ...(key.rotatedFrom
      ? [`If \`${publicIdOf(key.rotatedFrom)}\`, which it replaced, is still in its grace, it becomes active again.`]
      : []),
    'This cannot be undone.',
  ];
  return button('Delete', ActionId.deleteKey, key.keyId, {
    style: 'danger',
    confirm: confirmDialog('Delete this key?', parts.join(' '), 'Delete', 'danger'),
  });
}

/** Which keys a page of `/keys list` shows, as its "Next page" button carries it: every key not revoked, from a cursor. */
export type KeysPageState = CursorPageState;

export const decodeKeysPage = (value: string | undefined): KeysPageState => decodeButtonState(value, ['cursor']);

/**
 * One page of `/keys list` (README: Using /keys), newest first, with a "Next page" button while
 * more remain. `next` is the state of the next page, when there is one.
 */
export function keyListPage({ keys, next, page = 1 }: { keys: KeyView[]; next: KeysPageState | null; page?: number }): SlackMessage {
  if (keys.length === 0) {
    // A later page is empty when the keys after the previous one were deleted meanwhile.
    const text =
      page > 1 ? 'No more keys. `/keys list` starts over from the newest.' : 'No phone keys yet. Create one with `/keys create [name]`.';
    return { text, blocks: [section(text)] };
  }
  const blocks: Block[] = [
    header('Phone keys'),
    context(`Page ${page}, newest first. \`&lt;key&gt;\` in commands is the pk_ id or the name.`),
  ];
  for (const key of keys) blocks.push(section(keyDetails(key)), keyActions(key), divider());
  if (next) blocks.push(pagerBlock('keys_pager', 'Next page', ActionId.listPage, { ...next, page: page + 1 }));
  return { text: `Phone keys (page ${page})`, blocks };
}
