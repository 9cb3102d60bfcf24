import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { AppContext } from '../../../context.js';
import { alreadyRevoked, keyIsRevoked } from '../../../slack/blocks/answers.js';
import { createKeyModal } from '../../../slack/blocks/createKeyModal.js';
import { deleteConfirmation } from '../../../slack/blocks/deleteConfirmation.js';
import { editKeyModal } from '../../../slack/blocks/editKeyModal.js';
import { tokenList } from '../../../slack/blocks/tokens.js';
import { usageMessage } from '../../../slack/blocks/usage.js';
import type { SlackMessage } from '../../../slack/kit.js';
import { auditPage } from '../../auditPage.js';
import { type KeysCommand, parseKeysCommand } from '../../commandParser.js';
import { keysPage } from '../../keysPage.js';
import { encodeMetadata } from '../../metadata.js';
import * as operations from '../../operations.js';
import { phonesPage } from '../../phonesPage.js';
import { respondReply, withReply } from '../../replies.js';

type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

/**
 * `/keys …`. Usage and bad arguments are answered in the ack itself (no I/O; refusals were
 * answered there by permissions.ts); everything else is acked at once and answered through
 * response_url.
 */
export function keysCommand(context: AppContext) {
  return async ({ command, ack, respond }: CommandArgs): Promise<void> => {
    const request = parseKeysCommand(command.text ?? '');
    if (request.kind === 'help' || request.kind === 'invalid') {
      await ack({
        response_type: 'ephemeral',
        ...usageMessage(request.kind === 'invalid' ? request.error : undefined, context.config.webhookUrl),
      });
      return;
    }
    await ack();
    await withReply(context, respondReply(respond), `/keys ${request.kind}`, () => run(context, request, command));
  };
}

async function run(context: AppContext, request: KeysCommand, command: CommandArgs['command']): Promise<SlackMessage | undefined> {
  const { domain } = context;
  const actor = command.user_id;
  switch (request.kind) {
    case 'create': {
      const metadata = encodeMetadata({ responseUrl: command.response_url, channelId: command.channel_id });
      await context.slack.views.open({
        trigger_id: command.trigger_id,
        view: createKeyModal({ name: request.name, privateMetadata: metadata }),
      });
      return;
    }
    case 'list':
      return keysPage(context, {});
    case 'edit': {
      const key = await domain.keys.get(request.key);
      if (key.status === 'revoked') return keyIsRevoked(key);
      const metadata = encodeMetadata({ keyId: key.keyId, responseUrl: command.response_url, channelId: command.channel_id });
      await context.slack.views.open({ trigger_id: command.trigger_id, view: editKeyModal(key, metadata) });
      return;
    }
    case 'lock':
      return operations.setIpLock(context, request.key, request.lock, actor);
    case 'unlock':
      return operations.setIpLock(context, request.key, { mode: 'off' }, actor);
    case 'unlink':
      return operations.unlinkPhone(context, request.key, request.phoneNumber, actor);
    case 'rotate':
      return operations.rotateKey(context, request.key, actor);
    case 'delete': {
      const preview = await domain.keys.previewRevoke(request.key);
      if (preview.key.status === 'revoked') return alreadyRevoked(preview.key);
      return deleteConfirmation(preview);
    }
    case 'phones':
      return phonesPage(context, { status: request.status, key: request.key });
    case 'pause':
      return operations.pausePhone(context, request.phoneNumber, request.minutes, actor);
    case 'resume':
      return operations.resumePhone(context, request.phoneNumber, actor);
    case 'audit':
      return auditPage(context, { key: request.key, actor: request.actor });
    case 'token_create':
      return operations.createToken(context, request.name, request.scope, actor);
    case 'token_list':
      return tokenList(await domain.apiTokens.list());
    case 'token_revoke':
      return operations.revokeToken(context, request.token, actor);
    case 'help':
    case 'invalid':
      return usageMessage(undefined, context.config.webhookUrl);
  }
}
