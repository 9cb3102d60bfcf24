import type { AppContext } from '../../../context.js';
import { lockKeyModal } from '../../blocks/lockKeyModal.js';
import { openKeyModal } from './reply.js';

/** "Lock to IP…" in /keys list: opens the lock modal for that key. */
export const openLockModal = (context: AppContext) =>
  openKeyModal(
    context,
    'open lock modal',
    (key) => (key.status === 'revoked' ? { text: `\`${key.publicId}\` (${key.name}) is revoked.` } : undefined),
    lockKeyModal,
  );
