import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * The phone key's format (README: How a phone signs a request): `pk_<id>_<secret>`, 76 characters.
 * `<id>`: 8 lowercase base32 characters (40 random bits), the public part.
 * `<secret>`: 64 base64url characters (48 random bytes).
 */
export const KEY_PATTERN = /^pk_([a-z2-7]{8})_([A-Za-z0-9_-]{64})$/;
export const PUBLIC_ID_PATTERN = /^pk_([a-z2-7]{8})$/;

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

export interface NewKey {
  keyId: string;
  /** The whole key: shown once, then only its hash and ciphertext remain. */
  key: string;
}

/** 8 lowercase base32 characters (40 random bits): the public id of a key or an API token. */
export function randomBase32Id(): string {
  const idBytes = randomBytes(5);
  let bits = 0n;
  for (const byte of idBytes) bits = (bits << 8n) | BigInt(byte);
  let id = '';
  for (let i = 7; i >= 0; i--) id += BASE32[Number((bits >> BigInt(i * 5)) & 31n)];
  return id;
}

/** 64 base64url characters (48 random bytes): the secret part of a key or an API token. */
export const randomSecret = (): string => randomBytes(48).toString('base64url');

export function generateKey(): NewKey {
  const keyId = randomBase32Id();
  return { keyId, key: `pk_${keyId}_${randomSecret()}` };
}

export const publicIdOf = (keyId: string): string => `pk_${keyId}`;

/** `pk_abcdefgh` → `abcdefgh`; anything else → undefined. */
export function parsePublicId(value: string): string | undefined {
  return PUBLIC_ID_PATTERN.exec(value.trim())?.[1];
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export interface KeyCipher {
  iv: string;
  tag: string;
  data: string;
}

/**
 * AES-256-GCM under KEY_ENCRYPTION_KEY. The key id is bound in as associated
 * data, so a ciphertext copied onto another key's record does not decrypt.
 */
export function encryptKey(key: string, keyId: string, encryptionKey: Buffer): KeyCipher {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', encryptionKey, iv);
  cipher.setAAD(Buffer.from(keyId, 'utf8'));
  const data = Buffer.concat([cipher.update(key, 'utf8'), cipher.final()]);
  return { iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
}

export function decryptKey(stored: KeyCipher, keyId: string, encryptionKey: Buffer): string {
  const decipher = createDecipheriv('aes-256-gcm', encryptionKey, Buffer.from(stored.iv, 'base64'));
  decipher.setAAD(Buffer.from(keyId, 'utf8'));
  decipher.setAuthTag(Buffer.from(stored.tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(stored.data, 'base64')), decipher.final()]).toString('utf8');
}
