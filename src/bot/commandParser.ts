import type { IpLockInput } from '../domain/keys.js';
import { normalizePhoneNumber } from '../domain/phoneNumbers.js';

/**
 * `/keys <subcommand> [args]` → a typed request, or a usage error.
 * Only the shape is checked here; the domain validates the values (names, IPs, numbers).
 */
export type KeysCommand =
  | { kind: 'help' }
  | { kind: 'create'; name: string }
  | { kind: 'list' }
  | { kind: 'edit'; key: string }
  | { kind: 'lock'; key: string; lock: IpLockInput }
  | { kind: 'unlock'; key: string }
  | { kind: 'unlink'; key: string; phoneNumber: string }
  | { kind: 'rotate'; key: string }
  | { kind: 'delete'; key: string }
  | { kind: 'phones'; status?: PhoneFilterWord; key?: string }
  | { kind: 'pause'; phoneNumber: string; minutes?: number }
  | { kind: 'resume'; phoneNumber: string }
  | { kind: 'audit'; key?: string; actor?: string }
  | { kind: 'token_create'; name: string; scope?: 'read' | 'write' }
  | { kind: 'token_list' }
  | { kind: 'token_revoke'; token: string }
  | { kind: 'invalid'; error: string };

export function parseKeysCommand(rawText: string): KeysCommand {
  const [sub, ...args] = words(unwrapSlackMarkup(rawText));
  const rest = args.join(' ');
  const needs = (usage: string) => ({ kind: 'invalid' as const, error: `Usage: \`/keys ${usage}\`` });

  switch (sub?.toLowerCase()) {
    case undefined:
    case 'help':
      return { kind: 'help' };
    case 'create':
      return { kind: 'create', name: rest };
    case 'list':
      return args.length === 0 ? { kind: 'list' } : needs('list');
    case 'edit':
      return args.length === 1 ? { kind: 'edit', key: args[0]! } : needs('edit <key>');
    case 'lock': {
      const [key, ...ips] = args;
      const list = ips.join(' ').trim();
      if (!key || !list) return needs('lock <key> <ip-or-cidr>[,…]` or `/keys lock <key> first');
      if (list.toLowerCase() === 'first') return { kind: 'lock', key, lock: { mode: 'first' } };
      return { kind: 'lock', key, lock: { mode: 'list', list } };
    }
    case 'unlock':
      return args.length === 1 ? { kind: 'unlock', key: args[0]! } : needs('unlock <key>');
    case 'unlink': {
      const [key, ...number] = args;
      return key && number.length > 0 ? { kind: 'unlink', key, phoneNumber: number.join(' ') } : needs('unlink <key> <phone-number>');
    }
    case 'rotate':
      return args.length === 1 ? { kind: 'rotate', key: args[0]! } : needs('rotate <key>');
    case 'delete':
      return args.length === 1 ? { kind: 'delete', key: args[0]! } : needs('delete <key>');
    case 'phones':
      return parsePhonesCommand(args);
    case 'pause': {
      if (args.length === 0) return needs('pause <phone-number> [minutes]');
      const last = args[args.length - 1]!;
      const head = args.slice(0, -1).join(' ');
      // `<phone> <minutes>`; a number typed with spaces ("+234 801 234 5678") is all phone.
      const minutesGiven =
        (args.length === 2 && normalizePhoneNumber(args[0]!)) ||
        (args.length > 2 && !normalizePhoneNumber(rest) && normalizePhoneNumber(head));
      if (minutesGiven) {
        if (!/^\d+(\.\d+)?$/.test(last))
          return { kind: 'invalid', error: `"${last}" is not a number of minutes. Usage: \`/keys pause <phone-number> [minutes]\`` };
        return { kind: 'pause', phoneNumber: head, minutes: Number(last) };
      }
      return { kind: 'pause', phoneNumber: rest };
    }
    case 'resume':
      return args.length > 0 ? { kind: 'resume', phoneNumber: rest } : needs('resume <phone-number>');
    case 'audit':
      return parseAuditCommand(args);
    case 'token':
      return parseTokenCommand(args);
    default:
      return { kind: 'invalid', error: `Unknown subcommand "${sub}".` };
  }
}

/** The statuses `/keys phones` filters by, as typed. */
export const PHONE_FILTER_WORDS = ['online', 'silent', 'failing', 'never-seen', 'paused', 'unlinked'] as const;
export type PhoneFilterWord = (typeof PHONE_FILTER_WORDS)[number];

/** `/keys phones` · `/keys phones <status>` · `/keys phones <key>` (anything not a status is a key). */
function parsePhonesCommand(args: string[]): KeysCommand {
  const word = args.join('-').toLowerCase();
  if (args.length === 0) return { kind: 'phones' };
  if (word === 'never' || word === 'never-seen') return { kind: 'phones', status: 'never-seen' };
  if ((PHONE_FILTER_WORDS as readonly string[]).includes(word)) return { kind: 'phones', status: word as PhoneFilterWord };
  if (args.length === 1) return { kind: 'phones', key: args[0]! };
  return { kind: 'invalid', error: `Usage: \`/keys phones [${PHONE_FILTER_WORDS.join('|')}|<key>]\`` };
}

const AUDIT_USAGE = 'Usage: `/keys audit [key] [@person]`';

/**
 * `/keys audit [key] [@person]`, in either order. A person is a Slack mention (`<@U…|name>`, which
 * arrives as `@U…`), or an actor as the audit records it: `api:<token name>`, `system:<job>`,
 * `phone:pk_<id>`. A bare `@name` is not a mention Slack resolved: we cannot tell who it is.
 */
function parseAuditCommand(args: string[]): KeysCommand {
  let key: string | undefined;
  let actor: string | undefined;
  for (const arg of args) {
    const mentioned = /^@([UW][A-Z0-9]+)$/.exec(arg)?.[1];
    const recorded = /^(api|system|phone):\S+$/i.test(arg) ? arg : undefined;
    if (mentioned || recorded) {
      if (actor !== undefined) return { kind: 'invalid', error: `One person at a time. ${AUDIT_USAGE}` };
      actor = mentioned ?? recorded;
    } else if (arg.startsWith('@')) {
      return {
        kind: 'invalid',
        error: `"${arg}" is not a person Slack recognised: pick them from the @ list as you type (a mention). ${AUDIT_USAGE}`,
      };
    } else {
      if (key !== undefined) return { kind: 'invalid', error: `One key at a time. ${AUDIT_USAGE}` };
      key = arg;
    }
  }
  return { kind: 'audit', ...(key !== undefined ? { key } : {}), ...(actor !== undefined ? { actor } : {}) };
}

const TOKEN_USAGE = 'Usage: `/keys token create <name> [read|write]`, `/keys token list`, `/keys token revoke <name-or-mk_id>`';

/** `/keys token create <name> [read|write]` · `/keys token list` · `/keys token revoke <name-or-mk_id>` */
function parseTokenCommand([action, ...args]: string[]): KeysCommand {
  switch (action?.toLowerCase()) {
    case 'create': {
      const [name, scope, ...extra] = args;
      if (!name || extra.length > 0) return { kind: 'invalid', error: 'Usage: `/keys token create <name> [read|write]`' };
      if (scope === undefined) return { kind: 'token_create', name };
      const lower = scope.toLowerCase();
      if (lower !== 'read' && lower !== 'write')
        return {
          kind: 'invalid',
          error: `"${scope}" is not a token scope: read or write. Usage: \`/keys token create <name> [read|write]\``,
        };
      return { kind: 'token_create', name, scope: lower };
    }
    case 'list':
      return args.length === 0 ? { kind: 'token_list' } : { kind: 'invalid', error: 'Usage: `/keys token list`' };
    case 'revoke':
      return args.length === 1
        ? { kind: 'token_revoke', token: args[0]! }
        : { kind: 'invalid', error: 'Usage: `/keys token revoke <name-or-mk_id>`' };
    default:
      return { kind: 'invalid', error: action ? `Unknown token subcommand "${action}". ${TOKEN_USAGE}` : TOKEN_USAGE };
  }
}

/**
 * The words of a command; a quoted argument ("…", '…', or the curly quotes autocorrect puts in)
 * is one word without its quotes, so `pause "+234 801 234 5678" 30` reads as number and minutes.
 */
function words(text: string): string[] {
  const found = text.matchAll(/"([^"]*)"|“([^”]*)”|'([^']*)'|‘([^’]*)’|(\S+)/g);
  return [...found].map((m) => (m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5] ?? '').trim()).filter(Boolean);
}

/**
 * Slack may send `<tel:+234…|+234…>`, `<mailto:…|…>` or HTML entities; keep what the user typed.
 * A user mention (`<@U123|ana>`, `<@U123>`) becomes `@U123`: the ID is what names a person.
 */
function unwrapSlackMarkup(text: string): string {
  return text
    .replace(/<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g, '@$1')
    .replace(/<[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<([^>]*)>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
