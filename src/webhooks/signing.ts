/**
 * How a phone signs a webhook (README: How a phone signs a request; Standard Webhooks), with node:crypto only:
 * the simulator signs with this, and the tests check it against svix's own signer (v1).
 *
 *   hmac key:    webhook-signature: v1,<base64 HMAC-SHA256(key as UTF-8 bytes, "<webhook-id>.<webhook-timestamp>.<raw body>")>
 *   ed25519 key: webhook-signature: v1a,<base64 Ed25519 signature (private seed = the key's secret), same content>
 *
 * Which one, the key string says by itself (docs/phone-keys.md).
 */
import { createHmac, randomBytes, sign } from 'node:crypto';
import { algorithmOfKey, ed25519PrivateKey } from '../domain/keyMaterial.js';

export const WEBHOOK_ID_HEADER = 'webhook-id';
export const WEBHOOK_TIMESTAMP_HEADER = 'webhook-timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'webhook-signature';
export const PHONE_KEY_ID_HEADER = 'x-phone-key-id';

/** `pk_<id>` of a full key `pk_<id>_<secret>` (the secret may itself contain `_`). */
export function publicIdOfKey(key: string): string {
  const match = /^(pk_[a-z2-7]{8})_./.exec(key);
  if (!match?.[1]) throw new Error('not a phone key: expected pk_<id>_<secret>');
  return match[1];
}

/** A fresh `msg_…` id: unique per event, and kept when the same event is retried. */
export function newWebhookId(): string {
  return `msg_${randomBytes(12).toString('hex')}`;
}

/** `v1,<base64 HMAC-SHA256>` (hmac key) or `v1a,<base64 Ed25519>` (ed25519 key) of `<id>.<timestamp>.<body>`. */
export function webhookSignature(key: string, webhookId: string, timestampSeconds: number, body: string | Buffer): string {
  const content = Buffer.concat([
    Buffer.from(`${webhookId}.${timestampSeconds}.`, 'utf8'),
    typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
  ]);
  if (algorithmOfKey(key) === 'ed25519') return `v1a,${sign(null, content, ed25519PrivateKey(key)).toString('base64')}`;
  return `v1,${createHmac('sha256', Buffer.from(key, 'utf8')).update(content).digest('base64')}`;
}

export interface SignOptions {
  /** The whole phone key, `pk_<id>_<secret>`. */
  key: string;
  /** The exact bytes that will be sent. */
  body: string | Buffer;
  /** Default: a fresh id. Reuse it when retrying the same event. */
  webhookId?: string;
  /** Default: now. */
  timestamp?: Date;
}

/** Every header a phone sends with a webhook. */
export function signWebhook({ key, body, webhookId = newWebhookId(), timestamp = new Date() }: SignOptions): Record<string, string> {
  const seconds = Math.floor(timestamp.getTime() / 1000);
  return {
    'content-type': 'application/json',
    [WEBHOOK_ID_HEADER]: webhookId,
    [WEBHOOK_TIMESTAMP_HEADER]: String(seconds),
    [WEBHOOK_SIGNATURE_HEADER]: webhookSignature(key, webhookId, seconds, body),
    [PHONE_KEY_ID_HEADER]: publicIdOfKey(key),
  };
}
