/** The text helpers every Slack message goes through. */
import { describe, expect, it } from 'vitest';
import { durationText, escapeText, ipLockText, keyLabel, keyPlain, mention, slackDate, someOf } from '../../../src/slack/format.js';
import { clip } from '../../../src/slack/kit.js';

describe('format', () => {
  it('escapes exactly Slack’s three control characters', () => {
    expect(escapeText('<!channel> & <@U1> R&D')).toBe('&lt;!channel&gt; &amp; &lt;@U1&gt; R&amp;D');
    expect(escapeText('&lt;')).toBe('&amp;lt;');
  });

  it('dates in each reader’s time zone, with the ISO time as fallback', () => {
    expect(slackDate(new Date('2026-11-22T10:00:00.123Z'))).toBe('<!date^1795341600^{date_short_pretty} {time}|2026-11-22T10:00:00Z>');
    expect(slackDate(null)).toBe('never');
    expect(slackDate(undefined, 'not yet')).toBe('not yet');
  });

  it('durations for people', () => {
    const min = 60_000;
    expect(durationText(-5)).toBe('less than a minute');
    expect(durationText(59_999)).toBe('less than a minute');
    expect(durationText(min)).toBe('1 minute');
    expect(durationText(59 * min)).toBe('59 minutes');
    expect(durationText(60 * min)).toBe('1 h');
    expect(durationText(91 * min)).toBe('1 h 31 min');
    expect(durationText(24 * 60 * min)).toBe('1 d');
    expect(durationText((2 * 24 + 4) * 60 * min + 59 * min)).toBe('2 d 4 h');
  });

  it('a key: its name escaped, its public id', () => {
    expect(keyLabel({ keyId: 'abcd2345', name: '<!here>' })).toBe('*&lt;!here&gt;* (`pk_abcd2345`)');
    expect(keyLabel({ keyId: 'abcd2345', name: null })).toBe('`pk_abcd2345`');
    expect(keyPlain({ keyId: 'abcd2345', name: 'a&b' })).toBe('a&amp;b (pk_abcd2345)');
    expect(keyPlain({ keyId: 'abcd2345', name: null })).toBe('pk_abcd2345');
  });

  it('people: a user is a mention, any other actor is escaped text', () => {
    expect(mention('U0ADMIN')).toBe('<@U0ADMIN>');
    expect(mention('api:<!channel>')).toBe('api:&lt;!channel&gt;');
  });

  it('lists and IP locks', () => {
    expect(someOf([], 3)).toBe('none');
    expect(someOf(['a', 'b', 'c', 'd'], 2)).toBe('a, b and 2 more');
    expect(ipLockText({ mode: 'off', entries: [], firstIp: null })).toBe('off (any IP)');
    expect(ipLockText({ mode: 'first', entries: [], firstIp: '203.0.113.7' })).toBe('first IP: `203.0.113.7`');
    expect(ipLockText({ mode: 'list', entries: Array.from({ length: 12 }, (_, i) => `10.0.0.${i}`), firstIp: null })).toMatch(
      /and 2 more$/,
    );
  });

  it('clip cuts to the limit, never inside a mention, a date or an escape', () => {
    expect(clip('short', 10)).toBe('short');
    expect(clip('x'.repeat(20), 10)).toBe(`${'x'.repeat(8)} …`);
    expect(clip(`${'x'.repeat(5)}<@U0ADMIN>`, 10)).toBe('xxxxx …');
    expect(clip(`${'x'.repeat(6)}&amp;`, 10)).toBe('xxxxxx …');
    for (let max = 3; max < 40; max++) expect(clip('a <@U1> b &lt; c <!date^1^{time}|x> d', max).length).toBeLessThanOrEqual(max);
  });
});
