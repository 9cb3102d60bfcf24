import type { AppContext } from '../../../context.js';
import { unlinkPhoneModal } from '../../blocks/unlinkPhoneModal.js';
import { openKeyModal } from './reply.js';

/** "Unlink phone…" in /keys list: opens a modal listing the key's numbers. */
export const openUnlinkModal = (context: AppContext) =>
  openKeyModal(
    context,
    'open unlink modal',
    (key) => (key.phoneNumbers.length === 0 ? { text: `No phone numbers are linked to \`${key.publicId}\` (${key.name}).` } : undefined),
    unlinkPhoneModal,
  );
