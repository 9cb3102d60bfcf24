import { publicIdOf } from '../../domain/keyMaterial.js';
import type { KeyView } from '../../domain/keys.js';
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

/** One page of `/keys list`, newest first, with a "Next page" button when more remain. */
export function keyListPage(keys: KeyView[], page: number): SlackMessage {
  const pages = Math.max(1, Math.ceil(keys.length / KEYS_PER_PAGE));
  const current = Math.min(Math.max(0, page), pages - 1);
  const shown = keys.slice(current * KEYS_PER_PAGE, (current + 1) * KEYS_PER_PAGE);
  if (keys.length === 0) {
    const text = 'No phone keys yet. Create one with `/keys create [name]`.';
    return { text, blocks: [section(text)] };
  }
  const blocks: Block[] = [
    header('Phone keys'),
    context(
      `${keys.length} key${keys.length === 1 ? '' : 's'}, newest first${pages > 1 ? ` · page ${current + 1} of ${pages}` : ''}. \`&lt;key&gt;\` in commands is the pk_ id or the name.`,
    ),
  ];
  for (const key of shown) blocks.push(section(keyDetails(key)), keyActions(key), divider());
  if (current + 1 < pages) {
    blocks.push({ type: 'actions', block_id: 'keys_pager', elements: [button('Next page', ActionId.listPage, String(current + 1))] });
  }
  return { text: `Phone keys (${keys.length})`, blocks };
}
