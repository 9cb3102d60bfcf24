/**
 * A strict checker of Slack's documented limits for messages and views, written once and used
 * twice: by the unit tests of every Block Kit builder, and by the fake Slack Web API, which
 * refuses what breaks them as Slack does (`invalid_blocks`, `msg_too_long`, `no_text`,
 * `invalid_arguments`). Problems read like Slack's: `<what> [json-pointer:/blocks/0/text/text]`.
 *
 * Sources: the Block Kit reference at docs.slack.dev (blocks, block elements, composition
 * objects, views) and the chat.postMessage reference (text over 40,000 characters: msg_too_long).
 * Only the parts phonekeys uses are modelled; any other block or element type is refused, so a
 * new one gets its rules here before it can pass.
 */

export type Surface = 'message' | 'modal' | 'home';

export const SLACK_LIMITS = {
  messageText: 40_000,
  blocks: { message: 50, modal: 100, home: 100 },
  id: 255,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  contextText: 3000,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  optionText: 75,
  optionValue: 150,
  selectOptions: 100,
  radioOptions: 10,
  checkboxOptions: 10,
  placeholder: 150,
  inputLabel: 2000,
  inputHint: 2000,
  textInputLength: 3000,
  viewTitle: 24,
  viewButton: 24,
  privateMetadata: 3000,
} as const;

type Json = any;

class Checker {
  readonly problems: string[] = [];
  private readonly blockIds = new Set<string>();

  constructor(private readonly surface: Surface) {}

  fail(pointer: string, message: string): void {
    this.problems.push(`${message} [json-pointer:${pointer}]`);
  }

  /** A string of 1..max characters (absent is fine unless required). */
  string(value: unknown, pointer: string, max: number, required = false): void {
    if (value === undefined || value === null) {
      if (required) this.fail(pointer, 'missing required field');
    } else if (typeof value !== 'string') this.fail(pointer, 'must be a string');
    else if (value.length === 0) this.fail(pointer, 'must be more than 0 characters');
    else if (value.length > max) this.fail(pointer, `must be at most ${max} characters (is ${value.length})`);
  }

  text(value: Json, pointer: string, max: number, { plainOnly = false, required = true } = {}): void {
    if (value === undefined || value === null) {
      if (required) this.fail(pointer, 'missing required field');
      return;
    }
    const types = plainOnly ? ['plain_text'] : ['plain_text', 'mrkdwn'];
    if (!types.includes(value?.type)) this.fail(`${pointer}/type`, `must be ${types.join(' or ')}`);
    this.string(value?.text, `${pointer}/text`, max, true);
  }

  array(value: unknown, pointer: string, max: number, min = 1): value is Json[] {
    if (!Array.isArray(value)) {
      this.fail(pointer, 'must be an array');
      return false;
    }
    if (value.length < min) this.fail(pointer, `must have at least ${min} item${min === 1 ? '' : 's'}`);
    if (value.length > max) this.fail(pointer, `must have at most ${max} items (has ${value.length})`);
    return true;
  }

  blocks(blocks: Json, pointer: string): void {
    if (!this.array(blocks, pointer, SLACK_LIMITS.blocks[this.surface], 0)) return;
    for (const [i, block] of blocks.entries()) this.block(block, `${pointer}/${i}`);
  }

  private block(block: Json, at: string): void {
    if (block?.block_id !== undefined) {
      this.string(block.block_id, `${at}/block_id`, SLACK_LIMITS.id);
      if (this.blockIds.has(block.block_id)) this.fail(`${at}/block_id`, `duplicate block_id "${block.block_id}"`);
      this.blockIds.add(block.block_id);
    }
    switch (block?.type) {
      case 'section':
        if (block.text === undefined && block.fields === undefined) this.fail(at, 'a section needs text or fields');
        this.text(block.text, `${at}/text`, SLACK_LIMITS.sectionText, { required: false });
        if (block.fields !== undefined && this.array(block.fields, `${at}/fields`, SLACK_LIMITS.sectionFields)) {
          for (const [i, f] of block.fields.entries()) this.text(f, `${at}/fields/${i}`, SLACK_LIMITS.fieldText);
        }
        if (block.accessory !== undefined) this.element(block.accessory, `${at}/accessory`, new Set());
        return;
      case 'header':
        this.text(block.text, `${at}/text`, SLACK_LIMITS.headerText, { plainOnly: true });
        return;
      case 'divider':
        return;
      case 'context':
        if (this.array(block.elements, `${at}/elements`, SLACK_LIMITS.contextElements)) {
          for (const [i, e] of block.elements.entries()) this.text(e, `${at}/elements/${i}`, SLACK_LIMITS.contextText);
        }
        return;
      case 'actions': {
        const actionIds = new Set<string>();
        if (this.array(block.elements, `${at}/elements`, SLACK_LIMITS.actionsElements)) {
          for (const [i, e] of block.elements.entries()) this.element(e, `${at}/elements/${i}`, actionIds);
        }
        return;
      }
      case 'input':
        if (this.surface === 'message') this.fail(`${at}/type`, 'input blocks are for modals and Home tabs');
        this.text(block.label, `${at}/label`, SLACK_LIMITS.inputLabel, { plainOnly: true });
        this.text(block.hint, `${at}/hint`, SLACK_LIMITS.inputHint, { plainOnly: true, required: false });
        if (block.element === undefined) this.fail(`${at}/element`, 'missing required field');
        else this.element(block.element, `${at}/element`, new Set());
        return;
      default:
        this.fail(`${at}/type`, `unsupported block type ${JSON.stringify(block?.type)}`);
    }
  }

  /** An interactive element; `actionIds` are those of its block (action_id is unique within a block). */
  private element(element: Json, at: string, actionIds: Set<string>): void {
    this.string(element?.action_id, `${at}/action_id`, SLACK_LIMITS.id, true);
    if (typeof element?.action_id === 'string') {
      if (actionIds.has(element.action_id)) this.fail(`${at}/action_id`, `duplicate action_id "${element.action_id}" in the block`);
      actionIds.add(element.action_id);
    }
    if (element?.confirm !== undefined) this.confirm(element.confirm, `${at}/confirm`);
    if (element?.placeholder !== undefined)
      this.text(element.placeholder, `${at}/placeholder`, SLACK_LIMITS.placeholder, { plainOnly: true });
    switch (element?.type) {
      case 'button':
        this.text(element.text, `${at}/text`, SLACK_LIMITS.buttonText, { plainOnly: true });
        this.string(element.value, `${at}/value`, SLACK_LIMITS.buttonValue);
        this.string(element.url, `${at}/url`, SLACK_LIMITS.buttonUrl);
        if (element.style !== undefined && !['primary', 'danger'].includes(element.style))
          this.fail(`${at}/style`, 'must be primary or danger');
        return;
      case 'static_select':
      case 'radio_buttons':
        this.options(element, at, element.type === 'static_select' ? SLACK_LIMITS.selectOptions : SLACK_LIMITS.radioOptions);
        return;
      case 'checkboxes':
        this.options(element, at, SLACK_LIMITS.checkboxOptions);
        return;
      case 'plain_text_input': {
        for (const field of ['min_length', 'max_length'] as const) {
          const n = element[field];
          if (n !== undefined && !(Number.isInteger(n) && n >= 0 && n <= SLACK_LIMITS.textInputLength)) {
            this.fail(`${at}/${field}`, `must be an integer from 0 to ${SLACK_LIMITS.textInputLength}`);
          }
        }
        const max = element.max_length ?? SLACK_LIMITS.textInputLength;
        if (element.initial_value !== undefined) this.string(element.initial_value, `${at}/initial_value`, max);
        return;
      }
      default:
        this.fail(`${at}/type`, `unsupported element type ${JSON.stringify(element?.type)}`);
    }
  }

  private options(element: Json, at: string, max: number): void {
    if (!this.array(element.options, `${at}/options`, max)) return;
    for (const [i, o] of element.options.entries()) {
      this.text(o?.text, `${at}/options/${i}/text`, SLACK_LIMITS.optionText, { plainOnly: element.type === 'static_select' });
      this.string(o?.value, `${at}/options/${i}/value`, SLACK_LIMITS.optionValue, true);
      // Radio buttons and checkboxes may describe an option (a select may not).
      if (o?.description !== undefined) {
        if (element.type === 'static_select') this.fail(`${at}/options/${i}/description`, 'select options have no description');
        else this.text(o.description, `${at}/options/${i}/description`, SLACK_LIMITS.optionText, { plainOnly: true });
      }
    }
    const isOption = (candidate: Json) => element.options.some((o: Json) => JSON.stringify(o) === JSON.stringify(candidate));
    const initial = element.initial_option;
    if (initial !== undefined && !isOption(initial)) this.fail(`${at}/initial_option`, 'must be one of the options');
    if (element.initial_options !== undefined) {
      if (element.type !== 'checkboxes') this.fail(`${at}/initial_options`, 'only for checkboxes and multi-selects');
      else if (this.array(element.initial_options, `${at}/initial_options`, SLACK_LIMITS.checkboxOptions)) {
        for (const [i, o] of element.initial_options.entries())
          if (!isOption(o)) this.fail(`${at}/initial_options/${i}`, 'must be one of the options');
      }
    }
  }

  private confirm(confirm: Json, at: string): void {
    this.text(confirm?.title, `${at}/title`, SLACK_LIMITS.confirmTitle, { plainOnly: true });
    this.text(confirm?.text, `${at}/text`, SLACK_LIMITS.confirmText);
    this.text(confirm?.confirm, `${at}/confirm`, SLACK_LIMITS.confirmButton, { plainOnly: true });
    this.text(confirm?.deny, `${at}/deny`, SLACK_LIMITS.confirmButton, { plainOnly: true });
  }
}

/** Why Slack would refuse a message (chat.postMessage, chat.update, postEphemeral, a response_url, a command's ack). */
export interface MessageRefusal {
  error: 'no_text' | 'msg_too_long' | 'invalid_blocks';
  problems: string[];
}

export function checkMessage(message: { text?: unknown; blocks?: unknown }): MessageRefusal | undefined {
  const { text, blocks } = message;
  if ((text === undefined || text === '') && blocks === undefined) return { error: 'no_text', problems: ['no text and no blocks'] };
  if (typeof text === 'string' && text.length > SLACK_LIMITS.messageText) {
    return { error: 'msg_too_long', problems: [`text is ${text.length} characters, more than ${SLACK_LIMITS.messageText}`] };
  }
  if (blocks === undefined) return undefined;
  const checker = new Checker('message');
  checker.blocks(blocks, '/blocks');
  return checker.problems.length ? { error: 'invalid_blocks', problems: checker.problems } : undefined;
}

/** What Slack would refuse in a view (views.open, views.publish, a submission's `update`): its problems, empty if none. */
export function viewProblems(view: Json): string[] {
  const surface: Surface | undefined = view?.type === 'modal' ? 'modal' : view?.type === 'home' ? 'home' : undefined;
  if (!surface) return [`view type must be modal or home [json-pointer:/view/type]`];
  const checker = new Checker(surface);
  checker.blocks(view.blocks, '/view/blocks');
  checker.string(view.private_metadata === '' ? undefined : view.private_metadata, '/view/private_metadata', SLACK_LIMITS.privateMetadata);
  checker.string(view.callback_id === '' ? undefined : view.callback_id, '/view/callback_id', SLACK_LIMITS.id);
  if (surface === 'modal') {
    checker.text(view.title, '/view/title', SLACK_LIMITS.viewTitle, { plainOnly: true });
    checker.text(view.close, '/view/close', SLACK_LIMITS.viewButton, { plainOnly: true, required: false });
    const hasInput = Array.isArray(view.blocks) && view.blocks.some((b: Json) => b?.type === 'input');
    checker.text(view.submit, '/view/submit', SLACK_LIMITS.viewButton, { plainOnly: true, required: hasInput });
  }
  return checker.problems;
}

/**
 * A view_submission's ack, as Slack reads it: `errors` must name input blocks of the submitted
 * view; `update`/`push` must carry a valid view. Returns the problems, empty if none.
 */
export function viewSubmissionAckProblems(ack: Json, submitted: Json): string[] {
  if (ack === undefined || ack === '' || ack === null) return [];
  switch (ack.response_action) {
    case 'errors': {
      const inputs = new Set(((submitted?.blocks ?? []) as Json[]).filter((b) => b?.type === 'input').map((b) => b.block_id));
      const problems = Object.keys(ack.errors ?? {})
        .filter((blockId) => !inputs.has(blockId))
        .map((blockId) => `errors names "${blockId}", not an input block of the view [json-pointer:/errors/${blockId}]`);
      return Object.keys(ack.errors ?? {}).length ? problems : ['errors is empty [json-pointer:/errors]'];
    }
    case 'update':
    case 'push':
      return viewProblems(ack.view);
    case 'clear':
      return [];
    default:
      return [`unknown response_action ${JSON.stringify(ack.response_action)} [json-pointer:/response_action]`];
  }
}

/** The markup phonekeys itself writes in mrkdwn: mentions of users and `<!date^…>` dates. */
const OUR_MARKUP = /^<(@[UW][A-Z0-9]+|#[CG][A-Z0-9]+|!date\^\d+\^[^|>]*\|[^<>]*)>$/;

/**
 * Every `<…>` in a message's or view's mrkdwn (and a message's `text`, which Slack reads as
 * mrkdwn) that phonekeys did not mean: `<!channel>`, a link, a stray `<` from someone's input.
 * Text from users and phones must arrive escaped (`&lt;`), so this returns [] for a sound builder.
 */
export function strayMarkup(payload: Json): string[] {
  const found: string[] = [];
  const scan = (text: string, where: string) => {
    for (const match of text.match(/<[^<>]*>?/g) ?? []) if (!OUR_MARKUP.test(match)) found.push(`${where}: ${match}`);
    for (const match of text.match(/&(?!amp;|lt;|gt;)[^\s;]*;?/g) ?? []) found.push(`${where}: unescaped ${match}`);
  };
  const walk = (node: Json, where: string) => {
    if (Array.isArray(node)) for (const [i, n] of node.entries()) walk(n, `${where}/${i}`);
    else if (node && typeof node === 'object') {
      if (node.type === 'mrkdwn' && typeof node.text === 'string') scan(node.text, where);
      for (const [key, value] of Object.entries(node)) if (key !== 'text' || typeof value !== 'string') walk(value, `${where}/${key}`);
    }
  };
  if (typeof payload?.text === 'string' && payload.type === undefined) scan(payload.text, '/text');
  walk(payload?.blocks, '/blocks');
  return found;
}
