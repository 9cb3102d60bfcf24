import type { types } from '@slack/bolt';

/** Tiny constructors for the Block Kit pieces the views use, and Slack's limits. */

export type Block = types.KnownBlock;
export type ModalView = types.ModalView;
export type HomeView = types.HomeView;
export type Option = types.PlainTextOption;

export const LIMITS = {
  blocksPerMessage: 50,
  blocksPerView: 100,
  sectionText: 3000,
  plainText: 150,
  buttonValue: 2000,
  privateMetadata: 3000,
  optionText: 75,
} as const;

/** Cuts text to Slack's limit, saying so. */
export function fit(text: string, max: number = LIMITS.sectionText): string {
  return text.length <= max ? text : `${text.slice(0, max - 2)} …`;
}

export const plain = (text: string): types.PlainTextElement => ({ type: 'plain_text', text: fit(text, LIMITS.plainText), emoji: true });
export const mrkdwn = (text: string): types.MrkdwnElement => ({ type: 'mrkdwn', text: fit(text) });

export const section = (text: string, blockId?: string): types.SectionBlock => ({
  type: 'section',
  text: mrkdwn(text),
  ...(blockId ? { block_id: blockId } : {}),
});
export const context = (text: string): types.ContextBlock => ({ type: 'context', elements: [mrkdwn(text)] });
export const header = (text: string): types.HeaderBlock => ({ type: 'header', text: plain(text) });
export const divider = (): types.DividerBlock => ({ type: 'divider' });

export function button(
  text: string,
  actionId: string,
  value: string,
  extra: { style?: 'primary' | 'danger'; confirm?: types.ConfirmationDialog } = {},
): types.Button {
  return { type: 'button', text: plain(text), action_id: actionId, value, ...extra };
}

export function confirmDialog(title: string, text: string, confirm: string, style?: 'primary' | 'danger'): types.ConfirmationDialog {
  return { title: plain(title), text: mrkdwn(text), confirm: plain(confirm), deny: plain('Cancel'), ...(style ? { style } : {}) };
}

export const option = (value: string, text: string): Option => ({ value, text: plain(fit(text, LIMITS.optionText)) });
