/**
 * The Standard Webhooks checks (README: How a phone signs a request): the four headers, the timestamp, the signature.
 *
 * The HMAC itself is svix's (`new Webhook(key, { format: 'raw' }).sign(…)`), compared in
 * constant time against every `v1,` signature of the header, as svix's `verify` does. We
 * do not call `verify` itself because it judges the timestamp by `Date.now()`, not by the
 * app's clock (which tests move), and because it prefers `svix-*` headers over the
 * `webhook-*` ones we checked. Tolerance and parsing follow svix 2 / standardwebhooks 1.1.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Webhook } from 'svix';
import { parsePublicId, publicIdOf } from '../domain/keyMaterial.js';
import { PHONE_KEY_ID_HEADER, WEBHOOK_ID_HEADER, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER } from './signing.js';

/** svix's tolerance: a timestamp more than 5 minutes from the server's clock is refused. */
export const TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;

export type RefusalReason =
  | 'unsupported_media_type'
  | 'body_too_large'
  | 'bad_request'
  | 'missing_header'
  | 'malformed_header'
  | 'stale_timestamp'
  | 'future_timestamp'
  | 'unknown_key'
  | 'signature_mismatch'
  | 'revoked'
  | 'grace_ended'
  | 'ip_not_allowed'
  | 'not_linked'
  | 'invalid_json'
  | 'unknown_type'
  | 'invalid_field';

export interface Refusal {
  status: number;
  reason: RefusalReason;
  /** Says what is wrong; never holds a secret, a signature or the body. */
  message: string;
}

export interface SignedHeaders {
  webhookId: string;
  /** Unix seconds. */
  timestamp: number;
  /** The header's space-separated `version,signature` entries. */
  signatures: string[];
  /** The bare 8-character key id. */
  keyId: string;
}

/** Visible ASCII, no spaces: what a `msg_…` id looks like, with room for other schemes. */
const WEBHOOK_ID_PATTERN = /^[\x21-\x7e]{1,256}$/;
const TIMESTAMP_PATTERN = /^\d{1,12}$/;
/** A v1 signature is a base64 HMAC-SHA256: 32 bytes, 44 characters. */
const V1_SIGNATURE_PATTERN = /^v1,[A-Za-z0-9+/]{43}=$/;
const MAX_SIGNATURES = 10;

const refuse401 = (reason: RefusalReason, message: string): Refusal => ({ status: 401, reason, message });

/** Reads and checks the form of the four headers. Values are never echoed: one could be a key. */
export function readSignedHeaders(headers: IncomingHttpHeaders): SignedHeaders | Refusal {
  const value = (name: string) => {
    const raw = headers[name];
    return Array.isArray(raw) ? raw.join(', ') : raw;
  };
  const missing = [WEBHOOK_ID_HEADER, WEBHOOK_TIMESTAMP_HEADER, WEBHOOK_SIGNATURE_HEADER, PHONE_KEY_ID_HEADER].find(
    (name) => !value(name)?.trim(),
  );
  if (missing) return refuse401('missing_header', `the ${missing} header is missing`);

  const webhookId = value(WEBHOOK_ID_HEADER)!.trim();
  if (!WEBHOOK_ID_PATTERN.test(webhookId)) {
    return refuse401(
      'malformed_header',
      `${WEBHOOK_ID_HEADER} is malformed: expected 1–256 visible ASCII characters, no spaces (like msg_2KWPBgLlAfxdpx2AI54pPJ85f4W)`,
    );
  }
  const timestampText = value(WEBHOOK_TIMESTAMP_HEADER)!.trim();
  if (!TIMESTAMP_PATTERN.test(timestampText)) {
    return refuse401('malformed_header', `${WEBHOOK_TIMESTAMP_HEADER} is malformed: expected Unix time in whole seconds (like 1795428000)`);
  }
  const signatures = value(WEBHOOK_SIGNATURE_HEADER)!.trim().split(/ +/);
  if (signatures.length > MAX_SIGNATURES || !signatures.some((s) => V1_SIGNATURE_PATTERN.test(s))) {
    return refuse401(
      'malformed_header',
      `${WEBHOOK_SIGNATURE_HEADER} is malformed: expected up to ${MAX_SIGNATURES} space-separated signatures, at least one of them v1,<base64 HMAC-SHA256>`,
    );
  }
  const keyId = parsePublicId(value(PHONE_KEY_ID_HEADER)!);
  if (!keyId) {
    return refuse401(
      'malformed_header',
      `${PHONE_KEY_ID_HEADER} is malformed: expected the key's public id, pk_ and 8 characters a–z 2–7 (not the whole key)`,
    );
  }
  return { webhookId, timestamp: Number(timestampText), signatures, keyId };
}

/** Refuses a timestamp more than the tolerance away from `now` (the server's clock), saying which way. */
export function checkTimestamp(timestampSeconds: number, now: Date): Refusal | undefined {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const age = nowSeconds - timestampSeconds;
  if (age > TIMESTAMP_TOLERANCE_SECONDS) {
    return refuse401(
      'stale_timestamp',
      `${WEBHOOK_TIMESTAMP_HEADER} is ${age} s in the past; at most ${TIMESTAMP_TOLERANCE_SECONDS} s from the server's clock is accepted (check the phone's clock)`,
    );
  }
  if (-age > TIMESTAMP_TOLERANCE_SECONDS) {
    return refuse401(
      'future_timestamp',
      `${WEBHOOK_TIMESTAMP_HEADER} is ${-age} s in the future; at most ${TIMESTAMP_TOLERANCE_SECONDS} s from the server's clock is accepted (check the phone's clock)`,
    );
  }
  return undefined;
}

/** One svix signer per cached key snapshot (it lives and dies with the snapshot), not one per request. */
const signers = new WeakMap<{ secret: string }, Webhook>();

function signerOf(key: { secret: string }): Webhook {
  let signer = signers.get(key);
  if (!signer) signers.set(key, (signer = new Webhook(key.secret, { format: 'raw' })));
  return signer;
}

/** True when one of the header's v1 signatures is the HMAC of this body under the key. */
export function signatureMatches(key: { secret: string }, signed: SignedHeaders, rawBody: Buffer): boolean {
  const expected = signerOf(key).sign(signed.webhookId, new Date(signed.timestamp * 1000), rawBody);
  const expectedBytes = Buffer.from(expected, 'utf8');
  let matched = false;
  for (const signature of signed.signatures) {
    const given = Buffer.from(signature, 'utf8');
    // Every candidate is compared (no early exit), each in constant time.
    if (given.length === expectedBytes.length && timingSafeEqual(given, expectedBytes)) matched = true;
  }
  return matched;
}

export const signatureMismatch = (keyId: string): Refusal =>
  refuse401(
    'signature_mismatch',
    `${WEBHOOK_SIGNATURE_HEADER} does not match: sign "<webhook-id>.<webhook-timestamp>.<raw body>" with HMAC-SHA256 under the whole key of ${publicIdOf(keyId)}`,
  );
