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
  phoneNumbers: string[];
  rotationDue: boolean;
  graceEndsAt: Date | null;
  rotatedTo: string | null;
  rotatedFrom: string | null;
}

/** The view of a stored key and the numbers linked to it. */
export function viewOf(record: KeyFields, phoneNumbers: string[]): KeyView {
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
    phoneNumbers: phoneNumbers.sort(),
    rotationDue: record.rotationDue ?? false,
    graceEndsAt: record.graceEndsAt ?? null,
    rotatedTo: record.rotatedTo ?? null,
    rotatedFrom: record.rotatedFrom ?? null,
  };
}
