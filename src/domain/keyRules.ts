import {
  type IpLockMode,
  KEY_ALGORITHMS,
  KEY_ENVIRONMENTS,
  KEY_SCOPES,
  type KeyAlgorithm,
  type KeyEnvironment,
  type KeyFields,
  type KeyScope,
} from '../models/index.js';
import { parseIpList } from './ipLock.js';

export { MAX_IP_LIST_CHARS, MAX_IP_LOCK_ENTRIES } from './ipLock.js';

/** Names are used as `<key>` in commands: one word, 1–64 characters, not shaped like a key id. */
export const KEY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const MAX_DESCRIPTION_LENGTH = 500;

export interface IpLockInput {
  mode: IpLockMode;
  /** For `list`: addresses and CIDR ranges, comma- or space-separated. */
  list?: string;
}

export interface NewKeyInput {
  name: string;
  description?: string;
  ipLock: IpLockInput;
  /** Default: every scope. */
  scopes?: readonly string[];
  /** Default: `live`. */
  environment?: string;
  /** Default: `hmac`. */
  algorithm?: string;
}

/** What an edit may change (environment and algorithm are fixed at creation). Absent: unchanged. */
export interface KeyEditInput {
  name?: string;
  description?: string;
  ipLock?: IpLockInput;
  scopes?: readonly string[];
}

/** Every problem of a new key's fields (field → message), so a form can show them all; no database needed. */
export function validateNewKey(input: NewKeyInput): { errors: Record<string, string>; entries: string[] } {
  const errors: Record<string, string> = {};
  const nameError = validateName(input.name);
  if (nameError) errors.name = nameError;
  const descriptionError = validateDescription(input.description);
  if (descriptionError) errors.description = descriptionError;
  const { entries, error } = validateIpLock(input.ipLock);
  if (error) errors.ip_list = error;
  const scopesError = input.scopes === undefined ? undefined : validateScopes(input.scopes);
  if (scopesError) errors.scopes = scopesError;
  if (input.environment !== undefined && !KEY_ENVIRONMENTS.includes(input.environment as KeyEnvironment))
    errors.environment = `The environment is ${KEY_ENVIRONMENTS.join(' or ')}.`;
  if (input.algorithm !== undefined && !KEY_ALGORITHMS.includes(input.algorithm as KeyAlgorithm))
    errors.algorithm = `The algorithm is ${KEY_ALGORITHMS.join(' or ')}.`;
  return { errors, entries };
}

export function validateName(raw: string): string | undefined {
  const name = raw.trim();
  if (!name) return 'Give the key a name.';
  if (name.length > 64) return 'A name has at most 64 characters.';
  if (!KEY_NAME_PATTERN.test(name)) return 'Use letters, digits, dots, dashes and underscores (no spaces); start with a letter or digit.';
  if (/^pk_/i.test(name)) return 'A name may not start with pk_ (that is how key ids look).';
  return undefined;
}

function validateDescription(description: string | undefined): string | undefined {
  if ((description ?? '').length > MAX_DESCRIPTION_LENGTH) return `A description has at most ${MAX_DESCRIPTION_LENGTH} characters.`;
  return undefined;
}

function validateScopes(scopes: readonly string[]): string | undefined {
  const unknown = scopes.filter((s) => !KEY_SCOPES.includes(s as KeyScope));
  if (unknown.length > 0) return `Unknown scope ${unknown.map((s) => `"${s}"`).join(', ')}: the scopes are ${KEY_SCOPES.join(', ')}.`;
  if (scopes.length === 0) return `Choose at least one scope (${KEY_SCOPES.join(', ')}).`;
  return undefined;
}

/** Deduplicated, in the canonical order. */
export const normalizeScopes = (scopes: readonly string[]): KeyScope[] => KEY_SCOPES.filter((s) => scopes.includes(s));

/** Keys stored before scopes existed may send everything. */
export const scopesOf = (record: Pick<KeyFields, 'scopes'>): KeyScope[] =>
  record.scopes ? normalizeScopes(record.scopes) : [...KEY_SCOPES];

/** What an edit changed, field by field (`name`, `description`, `ip_lock`, `scopes`): old → new. */
export type KeyChangeSet = Record<string, { from: unknown; to: unknown }>;

export interface KeyEditPlan {
  errors: Record<string, string>;
  /** The fields to write. */
  set: Partial<KeyFields>;
  /** What changes, for the audit trail. */
  diff: KeyChangeSet;
}

/**
 * What an edit would change on a key, checked field by field (every problem at once);
 * fields given but equal to what the key has are no change. A new IP lock forgets the
 * first IP; an unchanged one keeps it.
 */
export function planKeyEdit(key: KeyFields, edit: KeyEditInput): KeyEditPlan {
  const errors: Record<string, string> = {};
  const set: Partial<KeyFields> = {};
  const diff: KeyEditPlan['diff'] = {};
  if (edit.name !== undefined) {
    const name = edit.name.trim();
    const error = validateName(name);
    if (error) errors.name = error;
    else if (name !== key.name) {
      set.name = name;
      set.nameLower = name.toLowerCase();
      diff.name = { from: key.name, to: name };
    }
  }
  if (edit.description !== undefined) {
    const description = edit.description.trim();
    const error = validateDescription(description);
    if (error) errors.description = error;
    else if (description !== (key.description ?? '')) {
      set.description = description;
      diff.description = { from: key.description ?? '', to: description };
    }
  }
  if (edit.ipLock) {
    const { entries, error } = validateIpLock(edit.ipLock);
    const before = { mode: key.ipLock.mode, entries: [...key.ipLock.entries] };
    if (error) errors.ip_list = error;
    else if (edit.ipLock.mode !== before.mode || entries.join(',') !== before.entries.join(',')) {
      set.ipLock = { mode: edit.ipLock.mode, entries, firstIp: null };
      diff.ip_lock = { from: before, to: { mode: edit.ipLock.mode, entries } };
    }
  }
  if (edit.scopes !== undefined) {
    const error = validateScopes(edit.scopes);
    const scopes = normalizeScopes(edit.scopes);
    if (error) errors.scopes = error;
    else if (scopes.join(',') !== scopesOf(key).join(',')) {
      set.scopes = scopes;
      diff.scopes = { from: scopesOf(key), to: scopes };
    }
  }
  return { errors, set, diff };
}

/** The lock's normalised entries, or why it cannot be set. */
export function validateIpLock(lock: IpLockInput): { entries: string[]; error?: string } {
  if (lock.mode !== 'list') return { entries: [] };
  const { entries, error } = parseIpList(lock.list ?? '');
  if (error) return { entries, error };
  if (entries.length === 0) return { entries, error: 'List at least one IP address or CIDR range.' };
  return { entries };
}
