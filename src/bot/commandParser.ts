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
  | { kind: 'lock'; key: string; lock: IpLockInput }
  | { kind: 'unlock'; key: string }
  | { kind: 'unlink'; key: string; phoneNumber: string }
  | { kind: 'rotate'; key: string }
  | { kind: 'delete'; key: string }
  | { kind: 'phones' }
  | { kind: 'pause'; phoneNumber: string; minutes?: number }
  | { kind: 'resume'; phoneNumber: string }
  | { kind: 'audit'; key?: string }
  | { kind: 'invalid'; error: string };

export function parseKeysCommand(rawText: string): KeysCommand {
  const words = unwrapSlackMarkup(rawText).trim().split(/\s+/).filter(Boolean);
  const [sub, ...args] = words;
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
      return args.length === 0 ? { kind: 'phones' } : needs('phones');
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
      return args.length <= 1 ? { kind: 'audit', ...(args[0] ? { key: args[0] } : {}) } : needs('audit [key]');
    default:
      return { kind: 'invalid', error: `Unknown subcommand "${sub}".` };
  }
}

/** Slack may send `<tel:+234…|+234…>`, `<mailto:…|…>` or HTML entities; keep what the user typed. */
function unwrapSlackMarkup(text: string): string {
  return text
    .replace(/<[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<([^>]*)>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
