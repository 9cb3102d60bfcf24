import type { KeyAlgorithm, KeyEnvironment, KeyScope, Models } from '../models/index.js';
import type { AuditLog } from './audit.js';
import type { Clock } from './clock.js';
import { DomainError, isDuplicateKeyError } from './errors.js';
import type { KeyChanges } from './keyChanges.js';
import type { KeyRecord } from './keyDirectory.js';
import { generateKey, hashKey, publicIdOf, storedSecretOf } from './keyMaterial.js';

export interface KeyCreationDeps {
  models: Models;
  audit: AuditLog;
  clock: Clock;
  changes: KeyChanges;
  encryptionKey: Buffer;
}

/** A new key's fields, already validated (keyRules.validateNewKey) and normalised. */
export interface ValidNewKey {
  name: string;
  description: string;
  ipLock: { mode: 'off' | 'first' | 'list' };
  entries: string[];
  scopes: KeyScope[];
  environment: KeyEnvironment;
  algorithm: KeyAlgorithm;
  actor: string;
  rotatedFrom?: string;
}

/**
 * Generates and stores a key (only its hash and, for hmac, its ciphertext), announces it to this
 * instance's receiver and audits it. Returns the whole key: the caller shows it once.
 */
export async function insertKey(deps: KeyCreationDeps, input: ValidNewKey): Promise<{ key: string; record: KeyRecord }> {
  const { name, entries, scopes, environment, algorithm } = input;
  // A key id collision (40 random bits) is possible in principle: try again with a fresh key.
  for (let attempt = 0; ; attempt++) {
    const { keyId, key } = generateKey(algorithm);
    try {
      const now = deps.clock();
      const record = await deps.models.Key.create({
        keyId,
        name,
        nameLower: name.toLowerCase(),
        description: input.description,
        createdBy: input.actor,
        hash: hashKey(key),
        ...storedSecretOf(key, keyId, deps.encryptionKey),
        status: 'active',
        ipLock: { mode: input.ipLock.mode, entries, firstIp: null },
        scopes,
        environment,
        rotatedFrom: input.rotatedFrom ?? null,
        changedAt: now,
        createdAt: now,
        updatedAt: now,
      });
      // A receiver here may have answered "unknown" for this id: it is usable at once.
      deps.changes.notify(keyId);
      await deps.audit.record({
        actor: input.actor,
        action: input.rotatedFrom ? 'key.created_by_rotation' : 'key.created',
        keyId,
        details: {
          name,
          ipLock: input.ipLock.mode,
          entries,
          scopes,
          environment,
          algorithm,
          ...(input.rotatedFrom ? { rotatedFrom: publicIdOf(input.rotatedFrom) } : {}),
        },
      });
      return { key, record: record.toObject() as KeyRecord };
    } catch (error) {
      if (isDuplicateKeyError(error, 'nameLower')) throw duplicateName(name);
      if (isDuplicateKeyError(error) && attempt < 3) continue;
      throw error;
    }
  }
}

export function duplicateName(name: string): DomainError {
  return new DomainError('conflict', `A key named "${name}" already exists (names are unique, ignoring case).`, 'name');
}
