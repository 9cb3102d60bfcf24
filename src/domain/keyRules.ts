import type { IpLockMode } from '../models/index.js';
import { parseIpList } from './ipLock.js';

/** Names are used as `<key>` in commands: one word, 1–64 characters, not shaped like a key id. */
export const KEY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const MAX_DESCRIPTION_LENGTH = 500;
export const MAX_IP_LOCK_ENTRIES = 100;

export interface IpLockInput {
  mode: IpLockMode;
  /** For `list`: addresses and CIDR ranges, comma- or space-separated. */
  list?: string;
}

export interface NewKeyInput {
  name: string;
  description?: string;
  ipLock: IpLockInput;
}

/** Every problem of a new key's fields (field → message), so a form can show them all; no database needed. */
export function validateNewKey(input: NewKeyInput): { errors: Record<string, string>; entries: string[] } {
  const errors: Record<string, string> = {};
  const name = input.name.trim();
  if (!name) errors.name = 'Give the key a name.';
  else if (name.length > 64) errors.name = 'A name has at most 64 characters.';
  else if (!KEY_NAME_PATTERN.test(name))
    errors.name = 'Use letters, digits, dots, dashes and underscores (no spaces); start with a letter or digit.';
  else if (/^pk_/i.test(name)) errors.name = 'A name may not start with pk_ (that is how key ids look).';
  if ((input.description ?? '').length > MAX_DESCRIPTION_LENGTH)
    errors.description = `A description has at most ${MAX_DESCRIPTION_LENGTH} characters.`;
  const { entries, error } = validateIpLock(input.ipLock);
  if (error) errors.ip_list = error;
  return { errors, entries };
}

/** The lock's normalised entries, or why it cannot be set. */
export function validateIpLock(lock: IpLockInput): { entries: string[]; error?: string } {
  if (lock.mode !== 'list') return { entries: [] };
  const { entries, invalid } = parseIpList(lock.list ?? '');
  if (invalid.length > 0) return { entries, error: `Not an IP address or CIDR range: ${invalid.join(', ')}` };
  if (entries.length === 0) return { entries, error: 'List at least one IP address or CIDR range.' };
  if (entries.length > MAX_IP_LOCK_ENTRIES) return { entries, error: `At most ${MAX_IP_LOCK_ENTRIES} addresses or ranges.` };
  return { entries };
}
