import type { AnyMiddlewareArgs, BlockButtonAction, Middleware, RespondFn, SlashCommand, ViewResponseAction } from '@slack/bolt';
import type { Config } from '../config.js';
import type { AppContext } from '../context.js';
import { notAllowed } from '../slack/blocks/answers.js';
import { noticeModal } from '../slack/blocks/noticeModal.js';
import { ActionId } from '../slack/ids.js';
import { type KeysCommand, parseKeysCommand } from './commandParser.js';
import { buttonReply, replySafely } from './replies.js';

/**
 * The one admin check of the Slack surface: when ADMIN_USER_IDS is set, only those users may
 * change keys and phones. One Bolt middleware, in front of every listener, decides from the
 * request alone and answers a refusal itself, so no listener runs for it. Never trust that only
 * admins saw a button or a modal.
 *
 * Everything not listed below as open to everyone counts as a change: a new subcommand, button
 * or modal is admin-only until it is added here.
 */
const OPEN_TO_EVERYONE = {
  /** Usage, and reading. */
  commands: new Set<KeysCommand['kind']>(['help', 'invalid', 'list', 'phones', 'audit', 'token_list']),
  /**
   * Paging a list; hiding one's own reveal DM (the redaction checks the presser is its recipient);
   * acknowledging an alert (whoever is on call). Pause 1 h and Rotate now are changes.
   */
  actions: new Set<string>([
    ActionId.listPage,
    ActionId.phonesPage,
    ActionId.auditPage,
    ActionId.hideReveal,
    ActionId.hideTokenReveal,
    ActionId.acknowledgeAlert,
  ]),
  /** Every modal we open submits a change. */
  views: new Set<string>(),
};

interface RequestBody {
  type?: string;
  command?: string;
  text?: string;
  user_id?: string;
  user?: { id?: string };
  actions?: { action_id?: string }[];
  view?: { callback_id?: string };
}

/** Whether a Slack request (its body as Bolt parsed it) asks for a change. Events and closed modals do not. */
export function changesSomething(body: unknown): boolean {
  const b = (body ?? {}) as RequestBody;
  if (typeof b.command === 'string') return !OPEN_TO_EVERYONE.commands.has(parseKeysCommand(b.text ?? '').kind);
  switch (b.type) {
    case 'block_actions':
      return (b.actions ?? []).some((action) => !OPEN_TO_EVERYONE.actions.has(action.action_id ?? ''));
    case 'view_submission':
      return !OPEN_TO_EVERYONE.views.has(b.view?.callback_id ?? '');
    default:
      return false;
  }
}

export function isAdmin(config: Config, userId: string): boolean {
  const admins = config.slack.adminUserIds;
  return admins.length === 0 || admins.includes(userId);
}

/**
 * The middleware: a change asked by someone outside ADMIN_USER_IDS is answered with a refusal
 * naming the admins (the command's ack, a reply to the button's presser, a notice in place of the
 * modal) and goes no further.
 */
export function adminCheck(context: AppContext): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const body = args.body as RequestBody;
    const userId = body.user_id ?? body.user?.id ?? '';
    if (!changesSomething(body) || isAdmin(context.config, userId)) {
      await args.next();
      return;
    }
    const refusal = notAllowed(context.config.slack.adminUserIds);
    const ack = (args as { ack: (response?: unknown) => Promise<void> }).ack;
    if ((body as SlashCommand).command) {
      await ack({ response_type: 'ephemeral', text: refusal });
    } else if (body.type === 'view_submission') {
      await ack({ response_action: 'update', view: noticeModal('Not allowed', refusal) } satisfies ViewResponseAction);
    } else {
      await ack();
      const respond = (args as { respond: RespondFn }).respond;
      await replySafely(context, buttonReply(context, body as BlockButtonAction, respond), { text: refusal });
    }
  };
}
