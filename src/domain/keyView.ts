import type { IpLockMode, KeyAlgorithm, KeyEnvironment, KeyFields, KeyScope, KeyStatus } from '../models/index.js';
import { publicIdOf } from './keyMaterial.js';
import { scopesOf } from './keyRules.js';

/** A key as adapters show it (Slack lists, the management API): never the key itself. */
export interface KeyView {
  keyId: string;
  publicId: string;
  name: string;
  description: string;
  createdBy: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  timesUsed: number;
  status: KeyStatus;
  ipLock: { mode: IpLockMode; entries: string[]; firstIp: string | null };
  scopes: KeyScope[];
  environment: KeyEnvironment;
  /** How its phone signs: `hmac` (v1) or `ed25519` (v1a). */
  algorithm: KeyAlgorithm;
  /** The first PHONE_NUMBERS_PER_VIEW linked numbers, in order… */
  phoneNumbers: string[];
  /** …and how many are linked in all. */
  phoneCount: number;
  rotationDue: boolean;
  graceEndsAt: Date | null;
  rotatedTo: string | null;
  rotatedFrom: string | null;
}

/** A view lists at most this many of a key's numbers (and counts them all). */
export const PHONE_NUMBERS_PER_VIEW = 100;

/** The view of a stored key and the phones linked to it. */
export function viewOf(record: KeyFields, phones: { count: number; numbers: string[] }): KeyView {
  return {
    keyId: record.keyId,
    publicId: publicIdOf(record.keyId),
    name: record.name,
    description: record.description ?? '',
    createdBy: record.createdBy,
    createdAt: record.createdAt,
    lastUsedAt: record.lastUsedAt ?? null,
    timesUsed: record.timesUsed ?? 0,
    status: record.status,
    ipLock: { mode: record.ipLock.mode, entries: [...record.ipLock.entries], firstIp: record.ipLock.firstIp ?? null },
    scopes: scopesOf(record),
    environment: record.environment ?? 'live',
    algorithm: record.algorithm ?? 'hmac',
    phoneNumbers: [...phones.numbers].sort(),
    phoneCount: phones.count,
    rotationDue: record.rotationDue ?? false,
    graceEndsAt: record.graceEndsAt ?? null,
    rotatedTo: record.rotatedTo ?? null,
    rotatedFrom: record.rotatedFrom ?? null,
  };
}
