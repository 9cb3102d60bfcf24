import { CallbackId } from '../ids.js';
import { type ModalView, plain, section } from '../kit.js';

/** A modal that only says something: a refusal, or a failure, in place of the form. */
export function noticeModal(title: string, text: string): ModalView {
  return {
    type: 'modal',
    callback_id: CallbackId.notice,
    title: plain(title),
    close: plain('Close'),
    blocks: [section(text)],
  };
}
