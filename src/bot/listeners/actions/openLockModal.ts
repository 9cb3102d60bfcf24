import type { AppContext } from '../../../context.js';
import { keyIsRevoked } from '../../../slack/blocks/answers.js';
import { lockKeyModal } from '../../../slack/blocks/lockKeyModal.js';
import { openKeyModal } from './reply.js';

/** "Lock to IP…" in /keys list: opens the lock modal for that key. */
export const openLockModal = (context: AppContext) =>
  openKeyModal(context, 'open lock modal', (key) => (key.status === 'revoked' ? keyIsRevoked(key) : undefined), lockKeyModal);
