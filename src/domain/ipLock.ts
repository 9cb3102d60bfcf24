import ipaddr from 'ipaddr.js';
import { LRUCache } from 'lru-cache';

export type IpEntry =
  | { kind: 'address'; address: ipaddr.IPv4 | ipaddr.IPv6; text: string }
  | { kind: 'range'; range: [ipaddr.IPv4 | ipaddr.IPv6, number]; text: string };

export class InvalidIpEntry extends Error {
  constructor(readonly entry: string) {
    super(`"${entry}" is not an IPv4/IPv6 address or CIDR range`);
    this.name = 'InvalidIpEntry';
  }
}

/** Parses one address or CIDR range into its normal form; throws InvalidIpEntry. */
export function parseIpEntry(raw: string): IpEntry {
  const text = raw.trim();
  // ipaddr.js also takes "10", "127.1", octal "010.0.0.1" and 32-bit integers as IPv4:
  // an operator locking a key to "10" must get an error, not 0.0.0.10.
  const address = text.split('/')[0] ?? '';
  if (!ipaddr.IPv4.isValidFourPartDecimal(address) && !(address.includes(':') && ipaddr.IPv6.isValid(address))) {
    throw new InvalidIpEntry(text);
  }
  try {
    if (text.includes('/')) {
      const [address, bits] = ipaddr.parseCIDR(text);
      const normal = normalize(address);
      // Keep the network address, so "10.0.0.7/24" is stored as "10.0.0.0/24".
      const network =
        normal.kind() === 'ipv4'
          ? ipaddr.IPv4.networkAddressFromCIDR(`${normal.toString()}/${bits}`)
          : ipaddr.IPv6.networkAddressFromCIDR(`${normal.toString()}/${bits}`);
      return { kind: 'range', range: [network, bits], text: `${network.toString()}/${bits}` };
    }
    if (!ipaddr.isValid(text)) throw new Error('invalid');
    const address = normalize(ipaddr.parse(text));
    return { kind: 'address', address, text: address.toString() };
  } catch {
    throw new InvalidIpEntry(text);
  }
}

/** At most this many addresses and ranges in one lock. */
export const MAX_IP_LOCK_ENTRIES = 100;
/**
 * At most this many characters of list text: 100 of the longest entries (an IPv6 CIDR range is
 * at most 43 characters) with separators fit, anything beyond is refused before it is parsed.
 */
export const MAX_IP_LIST_CHARS = 5_000;
/** A refusal quotes at most this many bad entries, each cut to 45 characters. */
const MAX_INVALID_QUOTED = 5;

/**
 * Parses a comma- or space-separated list. Bounded whatever it is given (README: Security): text
 * over MAX_IP_LIST_CHARS or more than MAX_IP_LOCK_ENTRIES entries is refused without parsing the
 * rest, duplicates are dropped in linear time, and `error` quotes only a few bad entries.
 */
export function parseIpList(raw: string): { entries: string[]; invalid: string[]; error?: string } {
  if (raw.length > MAX_IP_LIST_CHARS)
    return {
      entries: [],
      invalid: [],
      error: `The list is too long (${raw.length.toLocaleString('en-US')} characters; at most ${MAX_IP_LIST_CHARS.toLocaleString('en-US')}, for at most ${MAX_IP_LOCK_ENTRIES} addresses or ranges).`,
    };
  const parts = raw.split(/[\s,]+/).filter(Boolean);
  if (parts.length > MAX_IP_LOCK_ENTRIES)
    return { entries: [], invalid: [], error: `At most ${MAX_IP_LOCK_ENTRIES} addresses or ranges (the list has ${parts.length}).` };
  const entries = new Set<string>();
  const invalid: string[] = [];
  for (const part of parts) {
    try {
      entries.add(parseIpEntry(part).text);
    } catch {
      invalid.push(part);
    }
  }
  const error = invalid.length > 0 ? `Not an IP address or CIDR range: ${quoteSome(invalid)}` : undefined;
  return { entries: [...entries], invalid, ...(error ? { error } : {}) };
}

function quoteSome(items: string[]): string {
  const quoted = items.slice(0, MAX_INVALID_QUOTED).map((item) => (item.length > 45 ? `${item.slice(0, 44)}…` : item));
  const more = items.length - quoted.length;
  return `${quoted.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

/** IPv4-mapped IPv6 (::ffff:1.2.3.4, as Node reports IPv4 clients on dual-stack sockets) → IPv4. */
function normalize(address: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) return (address as ipaddr.IPv6).toIPv4Address();
  return address;
}

/**
 * Recent answers of normalizeIp: a server sees the same client addresses over and over (every
 * request of a phone, and each check of one request), and parsing one (ipaddr.js) costs ~1–4 µs
 * where a lookup costs ~0.1. Bounded, so addresses that come and go cannot grow it.
 */
const normalized = new LRUCache<string, string>({ max: 4096 });

/** The canonical text of a client IP ('' when unparseable). */
export function normalizeIp(ip: string): string {
  const known = normalized.get(ip);
  if (known !== undefined) return known;
  let text: string;
  try {
    text = normalize(ipaddr.parse(ip)).toString();
  } catch {
    text = '';
  }
  normalized.set(ip, text);
  return text;
}

export function ipMatches(ip: string, entries: readonly string[]): boolean {
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    address = normalize(ipaddr.parse(ip));
  } catch {
    return false;
  }
  return entries.some((text) => {
    const entry = parsedEntry(text);
    if (entry.kind === 'address') return entry.address.kind() === address.kind() && entry.address.toString() === address.toString();
    return entry.range[0].kind() === address.kind() && address.match(entry.range as [never, number]);
  });
}

/** Stored entries are already valid and normal: parse each once, not on every request. */
const parsedEntries = new LRUCache<string, IpEntry>({ max: 10_000 });

function parsedEntry(text: string): IpEntry {
  let entry = parsedEntries.get(text);
  if (!entry) parsedEntries.set(text, (entry = parseIpEntry(text)));
  return entry;
}
