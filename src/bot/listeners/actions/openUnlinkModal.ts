import type { AppContext } from '../../../context.js';
import { noPhonesLinked } from '../../../slack/blocks/answers.js';
import { unlinkPhoneModal } from '../../../slack/blocks/unlinkPhoneModal.js';
import { openKeyModal } from './reply.js';

/** "Unlink phone…" in /keys list: opens a modal listing the key's numbers. */
export const openUnlinkModal = (context: AppContext) =>
  openKeyModal(context, 'open unlink modal', (key) => (key.phoneNumbers.length === 0 ? noPhonesLinked(key) : undefined), unlinkPhoneModal);
