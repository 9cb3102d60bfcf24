import type { KeyAlgorithm } from '../models/index.js';

/**
 * What a phone app needs to start sending (docs/phone-keys.md, "The QR code"): where to post and
 * with which key. The reveal DM's QR code carries this JSON, so a phone is set up by one scan.
 * `webhook_url` is absent when the server does not know its public URL (PUBLIC_URL unset).
 */
export interface ProvisioningPayload {
  /** The format's version: a phone app refuses a version it does not know. */
  phonekeys: 1;
  webhook_url?: string;
  key: string;
  algorithm: KeyAlgorithm;
}

export function provisioningPayload(key: string, algorithm: KeyAlgorithm, webhookUrl: string | undefined): string {
  const payload: ProvisioningPayload = { phonekeys: 1, ...(webhookUrl ? { webhook_url: webhookUrl } : {}), key, algorithm };
  return JSON.stringify(payload);
}
