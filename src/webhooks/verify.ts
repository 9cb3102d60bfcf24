/**
 * The Standard Webhooks checks (README: How a phone signs a request): the four headers, the timestamp, the signature.
 *
 * The HMAC is computed with node:crypto over exactly what the phone signed: the header
 * texts as received and the raw body bytes, never a decoded or normalised copy (svix's own
 * `sign` decodes a Buffer body to text, replacing invalid UTF-8, and rewrites the timestamp
 * from a Date). For every well-formed request that is byte for byte what svix computes, so
 * svix-signed requests pass, and the tests keep svix as the oracle. Each `v1,` signature of
 * the header is compared in constant time, as svix's `verify` does; `verify` itself is not
 * used because it judges the timestamp by `Date.now()`, not by the app's clock, and prefers
 * `svix-*` headers over the `webhook-*` ones checked here.
 */
import { createHmac, timingSafeEqual, verify } from 'node:crypto';
import type { SignatureKey } from '../domain/keyCheck.js';
import { parsePublicId, publicIdOf } from '../domain/keyMaterial.js';
import { PHONE_KEY_ID_HEADER, WEBHOOK_ID_HEADER, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER } from './signing.js';

/** svix's tolerance: a timestamp more than 5 minutes from the server's clock is refused. */
export const TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;

export type RefusalReason =
  | 'unsupported_media_type'
  | 'body_too_large'
  | 'request_timeout'
  | 'bad_request'
  | 'missing_header'
  | 'malformed_header'
  | 'stale_timestamp'
  | 'future_timestamp'
  | 'unknown_key'
  | 'signature_mismatch'
  | 'wrong_algorithm'
  | 'revoked'
  | 'grace_ended'
  | 'ip_not_allowed'
  | 'scope'
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
  /** The header's text exactly as received (what the phone signed). */
  timestampText: string;
  /** The header's space-separated `version,signature` entries. */
  signatures: string[];
  /** The bare 8-character key id. */
  keyId: string;
}

/** Visible ASCII, no spaces: what a `msg_…` id looks like, with room for other schemes. */
const WEBHOOK_ID_PATTERN = /^[\x21-\x7e]{1,256}$/;
/** Whole Unix seconds as a phone writes them: no sign, no leading zero (a `0123` would be signed as text svix never makes). */
const TIMESTAMP_PATTERN = /^(0|[1-9]\d{0,11})$/;
/** A v1 signature is a base64 HMAC-SHA256: 32 bytes, 44 characters. */
const V1_SIGNATURE_PATTERN = /^v1,[A-Za-z0-9+/]{43}=$/;
/** A v1a signature is a base64 Ed25519 signature: 64 bytes, 88 characters. */
const V1A_SIGNATURE_PATTERN = /^v1a,[A-Za-z0-9+/]{86}==$/;
const MAX_SIGNATURES = 10;

const refuse401 = (reason: RefusalReason, message: string): Refusal => ({ status: 401, reason, message });

const SIGNED_HEADERS = [WEBHOOK_ID_HEADER, WEBHOOK_TIMESTAMP_HEADER, WEBHOOK_SIGNATURE_HEADER, PHONE_KEY_ID_HEADER];
const SIGNED_HEADER_NAMES = new Set(SIGNED_HEADERS);
const NO_LINES: readonly string[] = [];

/**
 * Every occurrence of the four headers, from Node's raw list (`req.rawHeaders`: name, value, …):
 * what readSignedHeaders needs, without `req.headersDistinct`'s copy of every header of every request.
 */
export function signedHeaderLines(rawHeaders: readonly string[]): Record<string, string[]> {
  const lines: Record<string, string[]> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (SIGNED_HEADER_NAMES.has(name)) (lines[name] ??= []).push(rawHeaders[i + 1]!);
  }
  return lines;
}

/**
 * Reads and checks the form of the four headers, given each header's every occurrence
 * (`signedHeaderLines`, or `req.headersDistinct`). A header sent twice is refused, whichever its values: joined, two
 * `webhook-signature` lines would be judged by their order. Values are never echoed: one could be a key.
 */
export function readSignedHeaders(headers: Record<string, string | string[] | undefined>): SignedHeaders | Refusal {
  const values = (name: string): readonly string[] => {
    const lines = headers[name];
    return typeof lines === 'string' ? [lines] : (lines ?? NO_LINES);
  };
  const value = (name: string) => values(name)[0];
  const missing = SIGNED_HEADERS.find((name) => !value(name)?.trim());
  if (missing) return refuse401('missing_header', `the ${missing} header is missing`);
  const repeated = SIGNED_HEADERS.find((name) => values(name).length > 1);
  if (repeated) {
    const hint = repeated === WEBHOOK_SIGNATURE_HEADER ? ', with several signatures separated by spaces' : '';
    return refuse401('malformed_header', `the ${repeated} header appears ${values(repeated).length} times: send it once${hint}`);
  }

  const webhookId = value(WEBHOOK_ID_HEADER)!.trim();
  if (!WEBHOOK_ID_PATTERN.test(webhookId)) {
    return refuse401(
      'malformed_header',
      `${WEBHOOK_ID_HEADER} is malformed: expected 1–256 visible ASCII characters, no spaces (like msg_2KWPBgLlAfxdpx2AI54pPJ85f4W)`,
    );
  }
  const timestampText = value(WEBHOOK_TIMESTAMP_HEADER)!.trim();
  if (!TIMESTAMP_PATTERN.test(timestampText)) {
    return refuse401(
      'malformed_header',
      `${WEBHOOK_TIMESTAMP_HEADER} is malformed: expected Unix time in whole seconds, without leading zeros (like 1795428000)`,
    );
  }
  const signatures = value(WEBHOOK_SIGNATURE_HEADER)!.trim().split(/ +/);
  if (signatures.length > MAX_SIGNATURES || !signatures.some((s) => V1_SIGNATURE_PATTERN.test(s) || V1A_SIGNATURE_PATTERN.test(s))) {
    return refuse401(
      'malformed_header',
      `${WEBHOOK_SIGNATURE_HEADER} is malformed: expected up to ${MAX_SIGNATURES} space-separated signatures, at least one of them v1,<base64 HMAC-SHA256> or v1a,<base64 Ed25519 signature>`,
    );
  }
  const keyId = parsePublicId(value(PHONE_KEY_ID_HEADER)!);
  if (!keyId) {
    return refuse401(
      'malformed_header',
      `${PHONE_KEY_ID_HEADER} is malformed: expected the key's public id, pk_ and 8 characters a–z 2–7 (not the whole key)`,
    );
  }
  return { webhookId, timestamp: Number(timestampText), timestampText, signatures, keyId };
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

/**
 * Refuses the request unless one of the header's signatures of the key's version checks out:
 * `v1` for an `hmac` key (HMAC-SHA256 under the whole key as UTF-8 bytes, compared in constant
 * time), `v1a` for an `ed25519` key (node:crypto Ed25519 against the stored public key). Either
 * is over `<webhook-id>.<webhook-timestamp>.` (the header texts) followed by the raw body bytes.
 * Signatures of the other version are ignored; only those is refused, saying which the key needs.
 */
export function checkSignature(key: SignatureKey & { keyId: string }, signed: SignedHeaders, rawBody: Buffer): Refusal | undefined {
  const id = publicIdOf(key.keyId);
  const prefix = `${signed.webhookId}.${signed.timestampText}.`;
  if (key.algorithm === 'ed25519') {
    const candidates = signed.signatures.filter((s) => V1A_SIGNATURE_PATTERN.test(s));
    if (candidates.length === 0)
      return wrongVersion(
        `key ${id} is an ed25519 key: sign v1a,<base64 Ed25519 signature> with its seed (v1 HMAC signatures are not accepted for it)`,
      );
    const content = Buffer.concat([Buffer.from(prefix, 'latin1'), rawBody]);
    let matched = false;
    for (const signature of candidates) {
      if (verify(null, content, key.publicKey, Buffer.from(signature.slice(4), 'base64'))) matched = true;
    }
    return matched ? undefined : mismatch(`with Ed25519 under the seed of ${id} (v1a)`);
  }
  const candidates = signed.signatures.filter((s) => V1_SIGNATURE_PATTERN.test(s));
  if (candidates.length === 0)
    return wrongVersion(
      `key ${id} is an hmac key: sign v1,<base64 HMAC-SHA256> with the whole key (v1a Ed25519 signatures are for ed25519 keys)`,
    );
  const hmac = createHmac('sha256', key.secret);
  hmac.update(prefix, 'latin1');
  hmac.update(rawBody);
  const expected = Buffer.from(`v1,${hmac.digest('base64')}`, 'latin1');
  let matched = false;
  for (const signature of candidates) {
    const given = Buffer.from(signature, 'latin1');
    // Every candidate is compared (no early exit), each in constant time.
    if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
  }
  return matched ? undefined : mismatch(`with HMAC-SHA256 under the whole key of ${id}`);
}

const wrongVersion = (message: string): Refusal => refuse401('wrong_algorithm', message);

const mismatch = (how: string): Refusal =>
  refuse401('signature_mismatch', `${WEBHOOK_SIGNATURE_HEADER} does not match: sign "<webhook-id>.<webhook-timestamp>.<raw body>" ${how}`);
