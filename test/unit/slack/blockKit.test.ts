/** The strict checker itself refuses what Slack refuses, so the builder tests can fail. */
import { describe, expect, it } from 'vitest';
import { checkMessage, strayMarkup, viewProblems, viewSubmissionAckProblems } from '../../support/blockKit.js';

const section = (text: string, extra: object = {}) => ({ type: 'section', text: { type: 'mrkdwn', text }, ...extra });
const button = (text: string, extra: object = {}) => ({
  type: 'button',
  text: { type: 'plain_text', text },
  action_id: 'a',
  value: 'v',
  ...extra,
});
const modal = (extra: object = {}) => ({ type: 'modal', title: { type: 'plain_text', text: 'Title' }, blocks: [], ...extra });
const input = (blockId: string) => ({
  type: 'input',
  block_id: blockId,
  label: { type: 'plain_text', text: 'Name' },
  element: { type: 'plain_text_input', action_id: 'value' },
});

describe('messages', () => {
  it('accepts a plain message and one at every limit', () => {
    expect(checkMessage({ text: 'hi' })).toBeUndefined();
    const atLimits = {
      text: 'x'.repeat(40_000),
      blocks: [
        section('x'.repeat(3000), { block_id: 'b'.repeat(255) }),
        { type: 'header', text: { type: 'plain_text', text: 'x'.repeat(150) } },
        { type: 'context', elements: Array.from({ length: 10 }, () => ({ type: 'mrkdwn', text: 'c' })) },
        {
          type: 'actions',
          elements: Array.from({ length: 25 }, (_, i) => button('x'.repeat(75), { action_id: `a${i}`, value: 'v'.repeat(2000) })),
        },
        { type: 'section', fields: Array.from({ length: 10 }, () => ({ type: 'mrkdwn', text: 'f'.repeat(2000) })) },
        ...Array.from({ length: 45 }, () => ({ type: 'divider' })),
      ],
    };
    expect(checkMessage(atLimits)).toBeUndefined();
  });

  it('refuses one past each limit, naming where', () => {
    const cases: [object, RegExp][] = [
      [{ blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) }, /at most 50 items .*\/blocks\]/],
      [{ blocks: [section('x'.repeat(3001))] }, /at most 3000 .*\/blocks\/0\/text\/text/],
      [{ blocks: [section('')] }, /more than 0 .*\/blocks\/0\/text\/text/],
      [{ blocks: [{ type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } }] }, /at most 150/],
      [{ blocks: [{ type: 'header', text: { type: 'mrkdwn', text: 'x' } }] }, /must be plain_text .*\/blocks\/0\/text\/type/],
      [{ blocks: [{ type: 'actions', elements: [button('x'.repeat(76))] }] }, /at most 75 .*elements\/0\/text\/text/],
      [{ blocks: [{ type: 'actions', elements: [button('x', { value: 'v'.repeat(2001) })] }] }, /at most 2000 .*\/value/],
      [{ blocks: [{ type: 'actions', elements: [button('x'), button('y')] }] }, /duplicate action_id "a"/],
      [
        { blocks: [{ type: 'actions', elements: Array.from({ length: 26 }, (_, i) => button('x', { action_id: `a${i}` })) }] },
        /at most 25/,
      ],
      [{ blocks: [{ type: 'context', elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'c' })) }] }, /at most 10/],
      [{ blocks: [section('a', { block_id: 'same' }), section('b', { block_id: 'same' })] }, /duplicate block_id "same"/],
      [{ blocks: [section('a', { block_id: 'b'.repeat(256) })] }, /at most 255/],
      [{ blocks: [{ type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) }] }, /at most 10/],
      [{ blocks: [input('name')] }, /input blocks are for modals/],
      [{ blocks: [{ type: 'image', image_url: 'https://x' }] }, /unsupported block type "image"/],
      [
        {
          blocks: [
            {
              type: 'actions',
              elements: [
                button('x', {
                  confirm: {
                    title: { type: 'plain_text', text: 't' },
                    text: { type: 'mrkdwn', text: 'x'.repeat(301) },
                    confirm: { type: 'plain_text', text: 'ok' },
                    deny: { type: 'plain_text', text: 'no' },
                  },
                }),
              ],
            },
          ],
        },
        /at most 300 .*confirm\/text\/text/,
      ],
    ];
    for (const [message, problem] of cases) {
      const refusal = checkMessage(message);
      expect(refusal?.error, JSON.stringify(message).slice(0, 80)).toBe('invalid_blocks');
      expect(refusal!.problems.join('\n')).toMatch(problem);
    }
  });

  it('no text nor blocks: no_text; text over 40,000 characters: msg_too_long', () => {
    expect(checkMessage({})?.error).toBe('no_text');
    expect(checkMessage({ text: '' })?.error).toBe('no_text');
    expect(checkMessage({ text: 'x'.repeat(40_001) })?.error).toBe('msg_too_long');
  });
});

describe('views', () => {
  it('modal title, submit and close at most 24 characters; submit required with inputs; 100 blocks; metadata 3000', () => {
    expect(viewProblems(modal())).toEqual([]);
    expect(viewProblems(modal({ title: { type: 'plain_text', text: 'x'.repeat(25) } })).join()).toMatch(/at most 24 .*\/view\/title\/text/);
    expect(viewProblems(modal({ blocks: [input('name')] })).join()).toMatch(/missing required field .*\/view\/submit/);
    expect(viewProblems(modal({ blocks: [input('name')], submit: { type: 'plain_text', text: 'x'.repeat(25) } })).join()).toMatch(
      /at most 24 .*\/view\/submit/,
    );
    expect(viewProblems(modal({ close: { type: 'plain_text', text: 'x'.repeat(25) } })).join()).toMatch(/\/view\/close/);
    expect(viewProblems(modal({ blocks: Array.from({ length: 101 }, () => ({ type: 'divider' })) })).join()).toMatch(/at most 100/);
    expect(viewProblems(modal({ private_metadata: 'm'.repeat(3001) })).join()).toMatch(/private_metadata/);
    expect(viewProblems({ type: 'home', blocks: Array.from({ length: 100 }, () => ({ type: 'divider' })) })).toEqual([]);
    expect(viewProblems({ type: 'dialog' }).join()).toMatch(/modal or home/);
  });

  it('selects: options, their text and values, the initial option among them', () => {
    const select = (options: object[], extra: object = {}) =>
      modal({
        submit: { type: 'plain_text', text: 'Go' },
        blocks: [{ ...input('n'), element: { type: 'static_select', action_id: 'value', options, ...extra } }],
      });
    const option = (value: string, text = value) => ({ value, text: { type: 'plain_text', text } });
    expect(viewProblems(select([option('a')]))).toEqual([]);
    expect(viewProblems(select(Array.from({ length: 101 }, (_, i) => option(`o${i}`)))).join()).toMatch(/at most 100/);
    expect(viewProblems(select([option('a', 'x'.repeat(76))])).join()).toMatch(/at most 75/);
    expect(viewProblems(select([option('v'.repeat(151))])).join()).toMatch(/at most 150/);
    expect(viewProblems(select([option('a')], { initial_option: option('b') })).join()).toMatch(/one of the options/);
  });

  it("a submission's ack: errors only on the view's input blocks; an update's view checked", () => {
    const submitted = modal({ blocks: [input('name')], submit: { type: 'plain_text', text: 'Go' } });
    expect(viewSubmissionAckProblems({ response_action: 'errors', errors: { name: 'taken' } }, submitted)).toEqual([]);
    expect(viewSubmissionAckProblems({ response_action: 'errors', errors: { nmae: 'taken' } }, submitted).join()).toMatch(/"nmae"/);
    expect(
      viewSubmissionAckProblems({ response_action: 'update', view: modal({ title: { type: 'plain_text', text: '' } }) }, submitted),
    ).not.toEqual([]);
    expect(viewSubmissionAckProblems('', submitted)).toEqual([]);
  });
});

describe('strayMarkup', () => {
  it('lets our mentions and dates through, and nothing else', () => {
    const ours = section('<@U0ADMIN> at <!date^1700000000^{date_short_pretty} {time}|2023-11-14T22:13:20Z> &lt;ok&gt; &amp;');
    expect(strayMarkup({ text: 'fine', blocks: [ours] })).toEqual([]);
    expect(strayMarkup({ text: 'hi <!channel>', blocks: [] })).toEqual(['/text: <!channel>']);
    expect(strayMarkup({ text: 'x', blocks: [section('<https://evil|x> R&D &am')] })).toEqual([
      '/blocks/0/text: <https://evil|x>',
      '/blocks/0/text: unescaped &D',
      '/blocks/0/text: unescaped &am',
    ]);
    // Plain text is shown as typed: markup there is harmless.
    expect(strayMarkup({ text: 'x', blocks: [{ type: 'header', text: { type: 'plain_text', text: '<!channel>' } }] })).toEqual([]);
  });
});
