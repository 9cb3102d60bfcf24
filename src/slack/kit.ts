import type { types } from '@slack/bolt';

/** Tiny constructors for the Block Kit pieces the messages and views use, and the Slack limits they keep. */

export type Block = types.KnownBlock;
export type ModalView = types.ModalView;
export type HomeView = types.HomeView;

/**
 * A message: `text` is the notification and screen-reader fallback (no full key, ever);
 * `blocks` what people see.
 */
export interface SlackMessage {
  text: string;
  blocks?: Block[];
}

/** Slack's documented limits that the builders below and the views cut to. */
export const LIMITS = {
  blocksPerMessage: 50,
  blocksPerView: 100,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  buttonText: 75,
  /** A button's value, which Slack echoes back on a press. */
  buttonValue: 2000,
  optionText: 75,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  /** A plain_text_input's max_length (and so its value). */
  textInput: 3000,
} as const;

/** Cuts text to a Slack limit, saying so; never inside a `<…>` mention or date, or an `&…;` escape. */
export function clip(text: string, max: number = LIMITS.sectionText): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 2);
  if (cut.lastIndexOf('<') > cut.lastIndexOf('>')) cut = cut.slice(0, cut.lastIndexOf('<'));
  if (/&[a-z]{0,3}$/.test(cut)) cut = cut.slice(0, cut.lastIndexOf('&'));
  return `${cut} …`;
}

export const plain = (text: string, max: number = LIMITS.headerText): types.PlainTextElement => ({
  type: 'plain_text',
  text: clip(text, max),
  emoji: true,
});
export const mrkdwn = (text: string, max: number = LIMITS.sectionText): types.MrkdwnElement => ({ type: 'mrkdwn', text: clip(text, max) });

export const section = (text: string, blockId?: string): types.SectionBlock => ({
  type: 'section',
  text: mrkdwn(text),
  ...(blockId ? { block_id: blockId } : {}),
});
export const context = (text: string): types.ContextBlock => ({ type: 'context', elements: [mrkdwn(text)] });
export const header = (text: string): types.HeaderBlock => ({ type: 'header', text: plain(text) });
export const divider = (): types.DividerBlock => ({ type: 'divider' });

/** A section of labelled fields, e.g. `*Phone*\n+234…`. */
export const fields = (pairs: [label: string, value: string][]): types.SectionBlock => ({
  type: 'section',
  fields: pairs.slice(0, LIMITS.sectionFields).map(([label, value]) => mrkdwn(`*${label}*\n${value}`, LIMITS.fieldText)),
});

export function button(
  text: string,
  actionId: string,
  value: string,
  extra: { style?: 'primary' | 'danger'; confirm?: types.ConfirmationDialog } = {},
): types.Button {
  return { type: 'button', text: plain(text, LIMITS.buttonText), action_id: actionId, value, ...extra };
}

export function confirmDialog(title: string, text: string, confirm: string, style?: 'primary' | 'danger'): types.ConfirmationDialog {
  return {
    title: plain(title, LIMITS.confirmTitle),
    text: mrkdwn(text, LIMITS.confirmText),
    confirm: plain(confirm, LIMITS.confirmButton),
    deny: plain('Cancel', LIMITS.confirmButton),
    ...(style ? { style } : {}),
  };
}

export const option = (value: string, text: string): types.PlainTextOption => ({ value, text: plain(text, LIMITS.optionText) });

/** Packs lines into as few sections as fit Slack's section text limit (a line too long is cut). */
export function linesToSections(lines: string[]): Block[] {
  const blocks: Block[] = [];
  let current = '';
  for (const line of lines) {
    const candidate = current ? `${current}\n${line}` : line;
    if (candidate.length > LIMITS.sectionText && current) {
      blocks.push(section(current));
      current = clip(line);
    } else current = clip(candidate);
  }
  if (current) blocks.push(section(current));
  return blocks;
}
