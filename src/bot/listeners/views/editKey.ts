import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { AppContext } from '../../../context.js';
import { DomainError } from '../../../domain/errors.js';
import { publicIdOf } from '../../../domain/keyMaterial.js';
import { keyEdited } from '../../../slack/blocks/answers.js';
import { noticeModal } from '../../../slack/blocks/noticeModal.js';
import { BlockId } from '../../../slack/ids.js';
import { decodeMetadata } from '../../metadata.js';
import { failureMessage, laterReply, replySafely } from '../../replies.js';
import { inlineErrors, keyFieldsOf } from './forms.js';

const FIELDS: string[] = [BlockId.name, BlockId.description, BlockId.ipList, BlockId.scopes];

/**
 * The edit modal's submission: the domain checks and writes in one go (a taken name, a bad CIDR,
 * no scope: every problem inline, nothing written); then the modal closes and the change is
 * reported where the edit was asked for. Audited by the domain as old → new.
 */
export function editKeySubmission(context: AppContext) {
  return async ({ ack, body, view }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs): Promise<void> => {
    const userId = body.user.id;
    const metadata = decodeMetadata(view.private_metadata);
    const edit = keyFieldsOf(view.state.values);
    let result: Awaited<ReturnType<typeof context.domain.keys.edit>>;
    try {
      result = await context.domain.keys.edit(publicIdOf(metadata.keyId ?? ''), edit, userId);
    } catch (error) {
      const fields = error instanceof DomainError ? Object.keys(error.fields) : [];
      if (fields.length > 0 && fields.every((field) => FIELDS.includes(field))) {
        await ack({ response_action: 'errors', errors: inlineErrors((error as DomainError).fields, FIELDS, BlockId.name) });
      } else {
        await ack({ response_action: 'update', view: noticeModal('Key not changed', failureMessage(context, error, 'edit key').text) });
      }
      return;
    }
    await ack();
    await replySafely(context, laterReply(context, userId, metadata), keyEdited(result.view, result.changes));
  };
}
