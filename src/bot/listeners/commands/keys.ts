import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { AppContext } from '../../../context.js';
import { auditList } from '../../blocks/auditList.js';
import { createKeyModal } from '../../blocks/createKeyModal.js';
import { deleteConfirmation } from '../../blocks/deleteConfirmation.js';
import { keyListPage } from '../../blocks/keyList.js';
import { phoneList } from '../../blocks/phoneList.js';
import { usageMessage } from '../../blocks/usage.js';
import { CHANGING_SUBCOMMANDS, type KeysCommand, parseKeysCommand } from '../../commandParser.js';
import { encodeMetadata } from '../../metadata.js';
import * as operations from '../../operations.js';
import { refuseChange } from '../../permissions.js';
import { type Message, respondReply, withReply } from '../../replies.js';

type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

/**
 * `/keys …`. Usage, bad arguments and refusals are answered in the ack itself
 * (no I/O); everything else is acked at once and answered through response_url.
 */
export function keysCommand(context: AppContext) {
  return async ({ command, ack, respond }: CommandArgs): Promise<void> => {
    const request = parseKeysCommand(command.text ?? '');
    if (request.kind === 'help' || request.kind === 'invalid') {
      await ack({ response_type: 'ephemeral', ...usageMessage(request.kind === 'invalid' ? request.error : undefined) });
      return;
    }
    const refusal = CHANGING_SUBCOMMANDS.has(request.kind) ? refuseChange(context.config, command.user_id) : undefined;
    if (refusal) {
      await ack({ response_type: 'ephemeral', text: refusal });
      return;
    }
    await ack();
    await withReply(context, respondReply(respond), `/keys ${request.kind}`, () => run(context, request, command));
  };
}

async function run(context: AppContext, request: KeysCommand, command: CommandArgs['command']): Promise<Message | undefined> {
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
      return keyListPage(await domain.keys.list(), 0);
    case 'lock':
      return operations.setIpLock(context, request.key, request.lock, actor);
    case 'unlock':
      return operations.setIpLock(context, request.key, { mode: 'off' }, actor);
    case 'unlink':
      return operations.unlinkPhone(context, request.key, request.phoneNumber, actor);
    case 'rotate':
      return operations.rotateKey(context, request.key, actor);
    case 'delete': {
      const key = await domain.keys.get(request.key);
      if (key.status === 'revoked') return { text: `\`${key.publicId}\` (${key.name}) is already revoked.` };
      return deleteConfirmation(key);
    }
    case 'phones':
      return phoneList(await domain.phones.list());
    case 'pause':
      return operations.pausePhone(context, request.phoneNumber, request.minutes, actor);
    case 'resume':
      return operations.resumePhone(context, request.phoneNumber, actor);
    case 'audit': {
      if (!request.key) return auditList(await domain.audit.recent({ limit: 20 }));
      const key = await domain.keys.get(request.key);
      return auditList(await domain.audit.recent({ keyId: key.keyId, limit: 20 }), `${key.name} (${key.publicId})`);
    }
    case 'help':
    case 'invalid':
      return usageMessage();
  }
}
