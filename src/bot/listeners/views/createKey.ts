import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { AppContext } from '../../../context.js';
import { noticeModal } from '../../../slack/blocks/noticeModal.js';
import { BlockId } from '../../../slack/ids.js';
import { decodeMetadata } from '../../metadata.js';
import { createKey } from '../../operations.js';
import { failureMessage, laterReply, withReply } from '../../replies.js';
import { inlineErrors, keyFieldsOf, selectedOf } from './forms.js';

/**
 * The create modal's submission: every problem inline (ack with errors), else
 * close the modal, create, reveal by DM, and say so where /keys create was typed.
 */
export function createKeySubmission(context: AppContext) {
  return async ({ ack, body, view }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs): Promise<void> => {
    const userId = body.user.id;
    const values = view.state.values;
    const input = {
      ...keyFieldsOf(values),
      environment: selectedOf(values, BlockId.environment) ?? 'live',
      algorithm: selectedOf(values, BlockId.algorithm) ?? 'hmac',
    };
    let errors: Record<string, string>;
    try {
      ({ errors } = await context.domain.keys.checkNew(input));
    } catch (error) {
      await ack({ response_action: 'update', view: noticeModal('Key not created', failureMessage(context, error, 'create key').text) });
      return;
    }
    if (Object.keys(errors).length > 0) {
      await ack({
        response_action: 'errors',
        errors: inlineErrors(
          errors,
          [BlockId.name, BlockId.description, BlockId.ipList, BlockId.scopes, BlockId.environment, BlockId.algorithm],
          BlockId.name,
        ),
      });
      return;
    }
    await ack();
    await withReply(context, laterReply(context, userId, decodeMetadata(view.private_metadata)), 'create key', () =>
      createKey(context, input, userId),
    );
  };
}
