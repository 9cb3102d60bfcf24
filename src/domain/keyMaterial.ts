import { createCipheriv, createDecipheriv, createHash, createPrivateKey, createPublicKey, type KeyObject, randomBytes } from 'node:crypto';
import type { KeyAlgorithm } from '../models/index.js';

/**
 * The phone key's format (README: How a phone signs a request; docs/phone-keys.md): `pk_<id>_<secret>`.
 * `<id>`: 8 lowercase base32 characters (40 random bits), the public part.
 * `<secret>`: for an `hmac` key, 64 base64url characters (48 random bytes; 76 in all); for an
 * `ed25519` key, 43 base64url characters without padding: the 32-byte Ed25519 private seed (55 in all).
 */
export const KEY_PATTERN = /^pk_([a-z2-7]{8})_([A-Za-z0-9_-]{64}|[A-Za-z0-9_-]{43})$/;
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

export function generateKey(algorithm: KeyAlgorithm = 'hmac'): NewKey {
  const keyId = randomBase32Id();
  const secret = algorithm === 'ed25519' ? randomBytes(32).toString('base64url') : randomSecret();
  return { keyId, key: `pk_${keyId}_${secret}` };
}

/** The algorithm a whole key is for, from its length alone; undefined if it is not a key. */
export function algorithmOfKey(key: string): KeyAlgorithm | undefined {
  const secret = KEY_PATTERN.exec(key)?.[2];
  if (!secret) return undefined;
  return secret.length === 43 ? 'ed25519' : 'hmac';
}

// DER framings of a bare 32-byte Ed25519 key (RFC 8410), which node:crypto reads and writes.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** The signing key of an `ed25519` phone key (its seed). Only a phone holds one. */
export function ed25519PrivateKey(key: string): KeyObject {
  if (algorithmOfKey(key) !== 'ed25519') throw new Error('not an ed25519 phone key: expected pk_<id>_<43 base64url characters>');
  const seed = Buffer.from(key.slice(-43), 'base64url');
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/** The raw 32-byte public key of an `ed25519` phone key, base64: all the server keeps to check its signatures. */
export function ed25519PublicKeyOf(key: string): string {
  const spki = createPublicKey(ed25519PrivateKey(key)).export({ format: 'der', type: 'spki' });
  return spki.subarray(ED25519_SPKI_PREFIX.length).toString('base64');
}

/** The verifying key from a stored public key. */
export function ed25519PublicKey(publicKey: string): KeyObject {
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(publicKey, 'base64')]), format: 'der', type: 'spki' });
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

/**
 * What is stored of a new key besides its hash: an `hmac` key encrypted (its signatures are
 * checked with the key itself), an `ed25519` key's public key only (never the seed).
 */
export function storedSecretOf(
  key: string,
  keyId: string,
  encryptionKey: Buffer,
): { algorithm: KeyAlgorithm; cipher?: KeyCipher; publicKey?: string } {
  if (algorithmOfKey(key) === 'ed25519') return { algorithm: 'ed25519', publicKey: ed25519PublicKeyOf(key) };
  return { algorithm: 'hmac', cipher: encryptKey(key, keyId, encryptionKey) };
}
