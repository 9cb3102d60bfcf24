import type { AppContext } from '../../../context.js';
import { keyIsRevoked } from '../../../slack/blocks/answers.js';
import { editKeyModal } from '../../../slack/blocks/editKeyModal.js';
import { openKeyModal } from './reply.js';

/** "Edit…" in /keys list: opens the edit modal for that key. */
export const openEditModal = (context: AppContext) =>
  openKeyModal(context, 'open edit modal', (key) => (key.status === 'revoked' ? keyIsRevoked(key) : undefined), editKeyModal);
