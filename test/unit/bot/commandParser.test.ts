/** The `/keys` command parser: text as Slack sends it → a typed request or a usage error. */
import { describe, expect, it } from 'vitest';
import { parseKeysCommand } from '../../../src/bot/commandParser.js';

describe('subcommands and key references', () => {
  it('no text, help, any case: usage', () => {
    for (const text of ['', '   ', 'help', 'HELP', 'Help']) expect(parseKeysCommand(text)).toEqual({ kind: 'help' });
  });

  it('a key is referred to by pk_ id or by name, as typed', () => {
    expect(parseKeysCommand('rotate pk_abcd2345')).toEqual({ kind: 'rotate', key: 'pk_abcd2345' });
    expect(parseKeysCommand('ROTATE lagos-gw.1_b')).toEqual({ kind: 'rotate', key: 'lagos-gw.1_b' });
    expect(parseKeysCommand('delete  \t lagos-gw ')).toEqual({ kind: 'delete', key: 'lagos-gw' });
    expect(parseKeysCommand('unlock gw')).toEqual({ kind: 'unlock', key: 'gw' });
    expect(parseKeysCommand('audit')).toEqual({ kind: 'audit' });
    expect(parseKeysCommand('audit pk_abcd2345')).toEqual({ kind: 'audit', key: 'pk_abcd2345' });
  });

  it('create takes the rest as the name (the domain judges it); list takes nothing; phones a status or a key', () => {
    expect(parseKeysCommand('create')).toEqual({ kind: 'create', name: '' });
    expect(parseKeysCommand('create lagos gw')).toEqual({ kind: 'create', name: 'lagos gw' });
    expect(parseKeysCommand('list')).toEqual({ kind: 'list' });
    expect(parseKeysCommand('phones')).toEqual({ kind: 'phones' });
    expect(parseKeysCommand('list all')).toMatchObject({ kind: 'invalid', error: 'Usage: `/keys list`' });
    expect(parseKeysCommand('phones x')).toEqual({ kind: 'phones', key: 'x' });
    expect(parseKeysCommand('phones SILENT')).toEqual({ kind: 'phones', status: 'silent' });
    expect(parseKeysCommand('phones failing')).toEqual({ kind: 'phones', status: 'failing' });
    expect(parseKeysCommand('phones never seen')).toEqual({ kind: 'phones', status: 'never-seen' });
    expect(parseKeysCommand('phones never')).toEqual({ kind: 'phones', status: 'never-seen' });
    expect(parseKeysCommand('phones a b')).toMatchObject({
      kind: 'invalid',
      error: expect.stringContaining('Usage: `/keys phones [online|silent|failing'),
    });
  });

  it('audit: a key and a person, in either order; a person is a Slack mention or a recorded actor', () => {
    const usage = 'Usage: `/keys audit [key] [@person]`';
    const cases: [string, object][] = [
      // Slack sends a mention escaped, with or without the name.
      ['audit <@U0ANA|ana>', { kind: 'audit', actor: 'U0ANA' }],
      ['audit <@W0ANA>', { kind: 'audit', actor: 'W0ANA' }],
      ['audit lagos-gw-1 <@U0ANA|ana>', { kind: 'audit', key: 'lagos-gw-1', actor: 'U0ANA' }],
      ['audit <@U0ANA|ana> lagos-gw-1', { kind: 'audit', key: 'lagos-gw-1', actor: 'U0ANA' }],
      ['audit api:deploy', { kind: 'audit', actor: 'api:deploy' }],
      ['audit pk_abcd2345 system:key-rotation', { kind: 'audit', key: 'pk_abcd2345', actor: 'system:key-rotation' }],
      ['audit <@U0ANA|ana> <@U0BEN|ben>', { kind: 'invalid', error: `One person at a time. ${usage}` }],
      // A name Slack did not turn into a mention names nobody we can look up.
      [
        'audit @ana',
        { kind: 'invalid', error: `"@ana" is not a person Slack recognised: pick them from the @ list as you type (a mention). ${usage}` },
      ],
    ];
    for (const [text, parsed] of cases) expect(parseKeysCommand(text), text).toEqual(parsed);
  });

  it('lock: a list of addresses and ranges (spaces and commas as typed), or first', () => {
    expect(parseKeysCommand('lock gw 203.0.113.7, 10.0.0.0/24')).toEqual({
      kind: 'lock',
      key: 'gw',
      lock: { mode: 'list', list: '203.0.113.7, 10.0.0.0/24' },
    });
    expect(parseKeysCommand('lock gw FIRST')).toEqual({ kind: 'lock', key: 'gw', lock: { mode: 'first' } });
    expect(parseKeysCommand('lock gw')).toMatchObject({ kind: 'invalid', error: expect.stringContaining('Usage: `/keys lock <key>') });
  });

  it('wrong numbers of arguments get the subcommand usage; an unknown subcommand is named', () => {
    const cases: [string, string][] = [
      ['unlock', 'Usage: `/keys unlock <key>`'],
      ['unlock a b', 'Usage: `/keys unlock <key>`'],
      ['rotate', 'Usage: `/keys rotate <key>`'],
      ['delete a b', 'Usage: `/keys delete <key>`'],
      ['unlink gw', 'Usage: `/keys unlink <key> <phone-number>`'],
      ['resume', 'Usage: `/keys resume <phone-number>`'],
      ['audit a b', 'One key at a time. Usage: `/keys audit [key] [@person]`'],
      ['frobnicate now', 'Unknown subcommand "frobnicate".'],
    ];
    for (const [text, error] of cases) expect(parseKeysCommand(text), text).toEqual({ kind: 'invalid', error });
  });
});

describe('token subcommands', () => {
  it('create with an optional scope, list, revoke by name or mk_ id', () => {
    expect(parseKeysCommand('token create deploy')).toEqual({ kind: 'token_create', name: 'deploy' });
    expect(parseKeysCommand('token create deploy READ')).toEqual({ kind: 'token_create', name: 'deploy', scope: 'read' });
    expect(parseKeysCommand('TOKEN list')).toEqual({ kind: 'token_list' });
    expect(parseKeysCommand('token revoke mk_abcd2345')).toEqual({ kind: 'token_revoke', token: 'mk_abcd2345' });
  });

  it('a bad scope or the wrong arguments get the token usage', () => {
    expect(parseKeysCommand('token create deploy admin')).toMatchObject({
      kind: 'invalid',
      error: expect.stringMatching(/^"admin" is not a token scope/),
    });
    expect(parseKeysCommand('token create')).toMatchObject({ kind: 'invalid', error: 'Usage: `/keys token create <name> [read|write]`' });
    expect(parseKeysCommand('token list all')).toMatchObject({ kind: 'invalid', error: 'Usage: `/keys token list`' });
    expect(parseKeysCommand('token revoke')).toMatchObject({ kind: 'invalid', error: 'Usage: `/keys token revoke <name-or-mk_id>`' });
    expect(parseKeysCommand('token burn x')).toMatchObject({
      kind: 'invalid',
      error: expect.stringMatching(/^Unknown token subcommand "burn"/),
    });
  });
});

describe('pause arguments', () => {
  it('a number, optionally minutes (whole or fractional)', () => {
    expect(parseKeysCommand('pause +2348012345678')).toEqual({ kind: 'pause', phoneNumber: '+2348012345678' });
    expect(parseKeysCommand('pause +2348012345678 30')).toEqual({ kind: 'pause', phoneNumber: '+2348012345678', minutes: 30 });
    expect(parseKeysCommand('pause +2348012345678 1.5')).toEqual({ kind: 'pause', phoneNumber: '+2348012345678', minutes: 1.5 });
  });

  it('a number typed with spaces is all number; minutes after it count when the whole would not be a number', () => {
    expect(parseKeysCommand('pause +234 801 234 5678')).toEqual({ kind: 'pause', phoneNumber: '+234 801 234 5678' });
    expect(parseKeysCommand('pause +234 801 234 5678 120')).toEqual({ kind: 'pause', phoneNumber: '+234 801 234 5678', minutes: 120 });
    // E.164 allows 15 digits: "+234 801 234 5678 45" is itself a number. Quoting says which is which.
    expect(parseKeysCommand('pause +234 801 234 5678 45')).toEqual({ kind: 'pause', phoneNumber: '+234 801 234 5678 45' });
    expect(parseKeysCommand('pause "+234 801 234 5678" 45')).toEqual({ kind: 'pause', phoneNumber: '+234 801 234 5678', minutes: 45 });
  });

  it('minutes that are not a number are refused, naming them', () => {
    expect(parseKeysCommand('pause +2348012345678 soon')).toEqual({
      kind: 'invalid',
      error: '"soon" is not a number of minutes. Usage: `/keys pause <phone-number> [minutes]`',
    });
    expect(parseKeysCommand('pause +2348012345678 -5')).toMatchObject({ kind: 'invalid' });
    expect(parseKeysCommand('pause +2348012345678 1e3')).toMatchObject({ kind: 'invalid' });
  });

  it('something that is not a phone number is passed on whole, for the domain to refuse', () => {
    expect(parseKeysCommand('pause nonsense')).toEqual({ kind: 'pause', phoneNumber: 'nonsense' });
    expect(parseKeysCommand('pause')).toMatchObject({ kind: 'invalid', error: 'Usage: `/keys pause <phone-number> [minutes]`' });
  });

  it('resume takes the whole number, spaces included', () => {
    expect(parseKeysCommand('resume +234 801 234 5678')).toEqual({ kind: 'resume', phoneNumber: '+234 801 234 5678' });
  });
});

describe('quoting', () => {
  it('a quoted argument is one word without its quotes, straight or curly', () => {
    expect(parseKeysCommand('rotate "lagos-gw"')).toEqual({ kind: 'rotate', key: 'lagos-gw' });
    expect(parseKeysCommand("rotate 'lagos-gw'")).toEqual({ kind: 'rotate', key: 'lagos-gw' });
    expect(parseKeysCommand('rotate “lagos-gw”')).toEqual({ kind: 'rotate', key: 'lagos-gw' });
    expect(parseKeysCommand('rotate ‘lagos-gw’')).toEqual({ kind: 'rotate', key: 'lagos-gw' });
  });

  it('a quoted number with spaces, then minutes', () => {
    expect(parseKeysCommand('pause "+234 801 234 5678" 30')).toEqual({ kind: 'pause', phoneNumber: '+234 801 234 5678', minutes: 30 });
    expect(parseKeysCommand('unlink gw “+234 801 234 5678”')).toEqual({ kind: 'unlink', key: 'gw', phoneNumber: '+234 801 234 5678' });
  });

  it('an unclosed quote or an apostrophe inside a word is just a character', () => {
    expect(parseKeysCommand('rotate "lagos')).toEqual({ kind: 'rotate', key: '"lagos' });
    expect(parseKeysCommand("don't")).toEqual({ kind: 'invalid', error: `Unknown subcommand "don't".` });
    expect(parseKeysCommand('rotate ""')).toMatchObject({ kind: 'invalid', error: 'Usage: `/keys rotate <key>`' });
  });
});

describe('Slack markup in the text', () => {
  it('a phone number Slack turned into a tel: link reads as the number typed', () => {
    expect(parseKeysCommand('unlink gw <tel:+2348012345678|+234 801 234 5678>')).toEqual({
      kind: 'unlink',
      key: 'gw',
      phoneNumber: '+234 801 234 5678',
    });
    expect(parseKeysCommand('pause <tel:+2348012345678|+2348012345678> 20')).toEqual({
      kind: 'pause',
      phoneNumber: '+2348012345678',
      minutes: 20,
    });
  });

  it('links without a label, and HTML entities, are unwrapped to what was typed', () => {
    expect(parseKeysCommand('rotate <http://gw.example>')).toEqual({ kind: 'rotate', key: 'http://gw.example' });
    expect(parseKeysCommand('rotate &lt;!here&gt;')).toEqual({ kind: 'rotate', key: '<!here>' });
    expect(parseKeysCommand('rotate a&amp;b')).toEqual({ kind: 'rotate', key: 'a&b' });
  });
});
