/**
 * Sign and send phone webhooks as the README says (How a phone signs a request) (Standard Webhooks):
 * `webhook-id`, `webhook-timestamp` (Unix seconds), `webhook-signature` =
 * `v1,<base64 HMAC-SHA256(key as raw UTF-8 bytes, "<id>.<ts>.<body>")>`,
 * `x-phone-key-id: pk_<id>`, `content-type: application/json`.
 *
 * Implemented with node:crypto only, so tests can cross-check against svix
 * (`new Webhook(key, { format: 'raw' })`).
 */
import { createHmac, createPrivateKey, randomBytes, sign } from 'node:crypto';
import http from 'node:http';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are arbitrary JSON
export type Json = any;

export const PHONE_WEBHOOK_PATH = '/webhooks/phone';

/** `pk_<id>` of a key `pk_<id>_<secret>` (the secret is base64url and may contain `_`). */
export function keyIdOf(key: string): string {
  const m = /^(pk_[^_]+)_./.exec(key);
  if (!m?.[1]) throw new Error(`keyIdOf: not a phone key (expected pk_<id>_<secret>): ${key.slice(0, 12)}…`);
  return m[1];
}

/** A well-formed but unknown key: `pk_` + 8 lowercase base32 + `_` + 64 base64url (76 chars). */
export function randomPhoneKey(id?: string): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const bytes = randomBytes(8);
  const pid = id ?? Array.from(bytes, (b) => alphabet[b % 32]).join('');
  return `pk_${pid}_${randomBytes(48).toString('base64url')}`;
}

/** A unique webhook id (`msg_…`). */
export function newWebhookId(): string {
  return `msg_${randomBytes(12).toString('hex')}`;
}

function toSeconds(t: Date | number | undefined): number {
  if (t === undefined) return Math.floor(Date.now() / 1000);
  if (t instanceof Date) return Math.floor(t.getTime() / 1000);
  return Math.floor(t);
}

export interface PhoneWebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
  'x-phone-key-id': string;
  'content-type': string;
  [header: string]: string;
}

/** The base64 HMAC-SHA256 (without `v1,`) of `${id}.${ts}.` and the body's exact bytes under key. */
export function phoneSignature(key: string, id: string, timestampSeconds: number, body: string | Buffer): string {
  return createHmac('sha256', Buffer.from(key, 'utf8'))
    .update(`${id}.${timestampSeconds}.`)
    .update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body)
    .digest('base64');
}

/** An ed25519 key's secret is 43 base64url characters (its 32-byte seed); an hmac key's is 64. */
export const isEd25519Key = (key: string): boolean => /^pk_[a-z2-7]{8}_[A-Za-z0-9_-]{43}$/.test(key);

/** The base64 Ed25519 signature (without `v1a,`), made from the key string alone. */
export function ed25519PhoneSignature(key: string, id: string, timestampSeconds: number, body: string | Buffer): string {
  const seed = Buffer.from(key.slice(-43), 'base64url');
  const privateKey = createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const content = Buffer.concat([Buffer.from(`${id}.${timestampSeconds}.`), typeof body === 'string' ? Buffer.from(body, 'utf8') : body]);
  return sign(null, content, privateKey).toString('base64');
}

export function signPhoneWebhook(opts: {
  key: string;
  /** Default keyIdOf(key). */
  keyId?: string;
  /** Default a fresh `msg_…`. */
  id?: string;
  /** Date or Unix seconds; default now. */
  timestamp?: Date | number;
  body: string | Buffer;
}): PhoneWebhookHeaders {
  const id = opts.id ?? newWebhookId();
  const ts = toSeconds(opts.timestamp);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(ts),
    'webhook-signature': isEd25519Key(opts.key)
      ? `v1a,${ed25519PhoneSignature(opts.key, id, ts, opts.body)}`
      : `v1,${phoneSignature(opts.key, id, ts, opts.body)}`,
    'x-phone-key-id': opts.keyId ?? keyIdOf(opts.key),
    'content-type': 'application/json',
  };
}

export interface PhoneEvent {
  type: string;
  timestamp: string;
  data: Record<string, Json>;
}

/** `{ type, timestamp: ISO, data }` */
export function phoneEvent(type: string, data: Record<string, Json>, at: Date = new Date()): PhoneEvent {
  return { type, timestamp: at.toISOString().replace(/\.\d{3}Z$/, 'Z'), data };
}

export interface PostPhoneWebhookOptions {
  key: string;
  /** The event; JSON-encoded unless `body` is given. */
  event?: unknown;
  /** Raw body to send instead of JSON.stringify(event) (e.g. invalid JSON). */
  body?: string | Buffer;
  id?: string;
  timestamp?: Date | number;
  keyId?: string;
  /** Bind the client socket to this source address, e.g. '127.0.0.2'. */
  localAddress?: string;
  /** Default /webhooks/phone. */
  path?: string;
  /** Header overrides; a null value removes the header, an array sends it once per value. */
  headers?: Record<string, string | string[] | null>;
  timeoutMs?: number;
}

export interface PhoneWebhookResponse {
  status: number;
  /** Parsed JSON if possible, else text. */
  body: Json;
  text: string;
  headers: http.IncomingHttpHeaders;
  /** The headers that were sent (a repeated header: its first value). */
  sent: Record<string, string>;
}

/** Sign and POST a phone webhook with node:http (so `localAddress` can pick the source IP). */
export function postPhoneWebhook(baseUrl: string, opts: PostPhoneWebhookOptions): Promise<PhoneWebhookResponse> {
  const body: string | Buffer = opts.body ?? JSON.stringify(opts.event ?? {});
  const signed = signPhoneWebhook({
    key: opts.key,
    keyId: opts.keyId,
    id: opts.id,
    timestamp: opts.timestamp,
    body,
  });
  const headers: Record<string, string | string[]> = { ...signed };
  for (const [k, v] of Object.entries(opts.headers ?? {})) {
    const lk = k.toLowerCase();
    if (v === null) delete headers[lk];
    else headers[lk] = v;
  }
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  headers['content-length'] = String(buf.length);
  const url = new URL(opts.path ?? PHONE_WEBHOOK_PATH, baseUrl);

  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        method: 'POST',
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || 80,
        path: `${url.pathname}${url.search}`,
        headers,
        localAddress: opts.localAddress,
        agent: false,
        timeout: opts.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: Json = text;
          try {
            parsed = text ? JSON.parse(text) : text;
          } catch {
            parsed = text;
          }
          resolve({
            status: res.statusCode ?? 0,
            body: parsed,
            text,
            headers: res.headers,
            sent: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v].flat()[0]!])),
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`postPhoneWebhook: no answer within ${opts.timeoutMs ?? 10_000} ms`)));
    req.on('error', reject);
    req.end(buf);
  });
}
