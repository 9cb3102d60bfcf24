/**
 * The header, timestamp and signature checks (src/webhooks/verify.ts) and the phone's signer
 * (src/webhooks/signing.ts): pure, no server, no database. svix is the oracle for v1.
 */
import { createHmac } from 'node:crypto';
import { Webhook } from 'svix';
import { describe, expect, it } from 'vitest';
import { ed25519PublicKey, ed25519PublicKeyOf, generateKey } from '../../../src/domain/keyMaterial.js';
import { signWebhook, webhookSignature } from '../../../src/webhooks/signing.js';
import { checkSignature, checkTimestamp, readSignedHeaders, type SignedHeaders, signedHeaderLines } from '../../../src/webhooks/verify.js';

const KEY = `pk_abcdefgh_${'A1b2C3d4-_'.repeat(6)}Zz9_`;
const OTHER_KEY = `pk_abcdefgh_${'Q'.repeat(64)}`;
const AT = new Date('2026-11-22T10:00:00Z');
const SECONDS = AT.getTime() / 1000;
const BODY = '{"type":"phone.heartbeat","timestamp":"2026-11-22T10:00:00Z","data":{"phone_numbers":["+2348012345678"]}}';

const svix = (key: string) => new Webhook(key, { format: 'raw' });

function headersFor(overrides: Record<string, string | undefined> = {}) {
  const signed = signWebhook({ key: KEY, body: BODY, webhookId: 'msg_1', timestamp: AT });
  return { ...signed, ...overrides };
}

function read(overrides: Record<string, string | undefined> = {}): SignedHeaders {
  const result = readSignedHeaders(headersFor(overrides));
  if ('status' in result) throw new Error(`refused: ${result.message}`);
  return result;
}

describe('the phone signer', () => {
  it('is the test key format the rest of the suite uses', () => {
    expect(KEY).toMatch(/^pk_[a-z2-7]{8}_[A-Za-z0-9_-]{64}$/);
  });

  it('signs what svix signs, and svix verifies it', () => {
    const headers = signWebhook({ key: KEY, body: BODY, webhookId: 'msg_1', timestamp: AT });
    expect(headers['webhook-signature']).toBe(svix(KEY).sign('msg_1', AT, BODY));
    // svix's verify judges the timestamp by the real clock: sign a fresh request for it.
    const now = new Date();
    expect(() => svix(KEY).verify(BODY, signWebhook({ key: KEY, body: BODY, timestamp: now }))).not.toThrow();
    expect(() => svix(OTHER_KEY).verify(BODY, signWebhook({ key: KEY, body: BODY, timestamp: now }))).toThrow();
  });

  it('signs non-ASCII bodies over their UTF-8 bytes, as svix does', () => {
    const body = '{"content":"Ẹ kú àárọ̀ 👋"}';
    expect(webhookSignature(KEY, 'msg_2', SECONDS, body)).toBe(svix(KEY).sign('msg_2', AT, body));
    expect(webhookSignature(KEY, 'msg_2', SECONDS, Buffer.from(body))).toBe(svix(KEY).sign('msg_2', AT, body));
  });
});

describe('readSignedHeaders', () => {
  it('reads the four headers', () => {
    expect(read()).toEqual({
      webhookId: 'msg_1',
      timestamp: SECONDS,
      timestampText: String(SECONDS),
      signatures: [svix(KEY).sign('msg_1', AT, BODY)],
      keyId: 'abcdefgh',
    });
  });

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature', 'x-phone-key-id'])('refuses a missing or blank %s', (name) => {
    for (const value of [undefined, '', '   ']) {
      expect(readSignedHeaders(headersFor({ [name]: value }))).toEqual({
        status: 401,
        reason: 'missing_header',
        message: `the ${name} header is missing`,
      });
    }
  });

  it.each([
    ['webhook-id', 'has spaces'],
    ['webhook-id', 'x'.repeat(257)],
    ['webhook-id', 'tab\there'],
    ['webhook-timestamp', '2026-11-22T10:00:00Z'],
    ['webhook-timestamp', '-1795428000'],
    ['webhook-timestamp', '1795428000.5'],
    ['webhook-timestamp', '1'.repeat(13)],
    ['webhook-timestamp', `0${SECONDS}`],
    ['webhook-timestamp', '+1795428000'],
    ['webhook-signature', 'garbage'],
    ['webhook-signature', 'v1,tooshort'],
    ['webhook-signature', 'v2,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='],
    [
      'webhook-signature',
      Array(11)
        .fill(`v1,${'A'.repeat(43)}=`)
        .join(' '),
    ],
    ['x-phone-key-id', 'pk_NOTVALID'],
    ['x-phone-key-id', 'abcdefgh'],
    ['x-phone-key-id', KEY],
  ])('refuses a malformed %s (%s), without echoing it', (name, value) => {
    const result = readSignedHeaders(headersFor({ [name]: value }));
    expect(result).toMatchObject({
      status: 401,
      reason: 'malformed_header',
      message: expect.stringMatching(new RegExp(`^${name} is malformed`)),
    });
    expect((result as { message: string }).message).not.toContain(value);
  });

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature', 'x-phone-key-id'])(
    'refuses %s sent twice, whatever the values and their order',
    (name) => {
      const headers = headersFor();
      const value = headers[name as keyof typeof headers]!;
      for (const values of [
        [value, value],
        [value, 'other'],
        ['other', value],
      ]) {
        expect(readSignedHeaders({ ...headers, [name]: values })).toMatchObject({
          status: 401,
          reason: 'malformed_header',
          message: expect.stringMatching(new RegExp(`^the ${name} header appears 2 times: send it once`)),
        });
      }
      // Node hands a header seen once as a one-element list (req.headersDistinct).
      expect(readSignedHeaders({ ...headers, [name]: [value] })).not.toHaveProperty('status');
    },
  );

  it("reads the four headers from Node's raw list whatever their case, every occurrence kept, others left out", () => {
    const headers = signWebhook({ key: KEY, body: BODY, webhookId: 'msg_1', timestamp: AT });
    // As a client may spell them: Webhook-Id, WEBHOOK-TIMESTAMP, …
    const spelled = Object.entries(headers).flatMap(([name, value], i) => [i % 2 ? name.toUpperCase() : name, value]);
    const raw = ['Host', '127.0.0.1', ...spelled, 'Accept', '*/*'];
    const lines = signedHeaderLines(raw);
    expect(Object.keys(lines).sort()).toEqual(['webhook-id', 'webhook-signature', 'webhook-timestamp', 'x-phone-key-id']);
    expect(readSignedHeaders(lines)).toEqual(read());
    const doubled = signedHeaderLines([...raw, 'Webhook-Signature', svix(OTHER_KEY).sign('msg_1', AT, BODY)]);
    expect(doubled['webhook-signature']).toHaveLength(2);
    expect(readSignedHeaders(doubled)).toMatchObject({ status: 401, reason: 'malformed_header' });
  });

  it('takes up to ten space-separated signatures, in any order', () => {
    const good = svix(KEY).sign('msg_1', AT, BODY);
    const other = svix(OTHER_KEY).sign('msg_1', AT, BODY);
    expect(read({ 'webhook-signature': `${other} ${good}` }).signatures).toEqual([other, good]);
    expect(read({ 'webhook-signature': [...Array(9).fill(other), good].join(' ') }).signatures).toHaveLength(10);
  });
});

describe('checkTimestamp', () => {
  it('accepts up to 5 minutes either way, and says which way it is off', () => {
    expect(checkTimestamp(SECONDS - 300, AT)).toBeUndefined();
    expect(checkTimestamp(SECONDS + 300, AT)).toBeUndefined();
    expect(checkTimestamp(SECONDS - 301, AT)).toMatchObject({
      status: 401,
      reason: 'stale_timestamp',
      message: expect.stringContaining('301 s in the past'),
    });
    expect(checkTimestamp(SECONDS + 301, AT)).toMatchObject({
      status: 401,
      reason: 'future_timestamp',
      message: expect.stringContaining('301 s in the future'),
    });
  });

  it('judges by the whole second of the server clock', () => {
    expect(checkTimestamp(SECONDS - 300, new Date(AT.getTime() + 999))).toBeUndefined();
    expect(checkTimestamp(SECONDS - 300, new Date(AT.getTime() + 1000))).toMatchObject({ reason: 'stale_timestamp' });
  });
});

/** An hmac key's check, as a yes or no. */
const signatureMatches = (key: { secret: string }, signed: SignedHeaders, body: Buffer) =>
  checkSignature({ algorithm: 'hmac', secret: key.secret, keyId: 'abcdefgh' }, signed, body) === undefined;

describe('checkSignature, hmac keys (svix as the oracle)', () => {
  const key = { secret: KEY };

  it('accepts the signature svix makes over the same id, timestamp and body', () => {
    expect(signatureMatches(key, read({ 'webhook-signature': svix(KEY).sign('msg_1', AT, BODY) }), Buffer.from(BODY))).toBe(true);
  });

  it('refuses another key, another body, another id or another timestamp', () => {
    const signed = read();
    expect(signatureMatches({ secret: OTHER_KEY }, signed, Buffer.from(BODY))).toBe(false);
    expect(signatureMatches(key, signed, Buffer.from(`${BODY} `))).toBe(false);
    expect(signatureMatches(key, { ...signed, webhookId: 'msg_2' }, Buffer.from(BODY))).toBe(false);
    expect(signatureMatches(key, { ...signed, timestampText: String(SECONDS + 1) }, Buffer.from(BODY))).toBe(false);
  });

  it('accepts when any one of several signatures matches, wherever it stands', () => {
    const good = svix(KEY).sign('msg_1', AT, BODY);
    const bad = svix(OTHER_KEY).sign('msg_1', AT, BODY);
    for (const header of [`${bad} ${good}`, `${good} ${bad}`, `${bad} ${bad} ${good}`]) {
      expect(signatureMatches(key, read({ 'webhook-signature': header }), Buffer.from(BODY)), header).toBe(true);
    }
    expect(signatureMatches(key, read({ 'webhook-signature': `${bad} ${bad}` }), Buffer.from(BODY))).toBe(false);
  });

  it('checks the exact body bytes: invalid UTF-8 signed over its bytes passes, signed over its decoded text does not', () => {
    const bytes = Buffer.concat([Buffer.from('{"type":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]);
    const overBytes = webhookSignature(KEY, 'msg_1', SECONDS, bytes);
    const overText = svix(KEY).sign('msg_1', AT, bytes.toString('utf8')); // what svix makes of a Buffer: U+FFFD replacements
    expect(overBytes).not.toBe(overText);
    expect(signatureMatches(key, read({ 'webhook-signature': overBytes }), bytes)).toBe(true);
    expect(signatureMatches(key, read({ 'webhook-signature': overText }), bytes)).toBe(false);
  });

  it('checks the id and timestamp exactly as the headers carry them', () => {
    const signed = read();
    // A signature over the same number written another way is another signature.
    const padded = `v1,${createHmac('sha256', KEY).update(`msg_1.0${SECONDS}.${BODY}`).digest('base64')}`;
    expect(signatureMatches(key, { ...signed, signatures: [padded] }, Buffer.from(BODY))).toBe(false);
    expect(signatureMatches(key, { ...signed, timestampText: `0${SECONDS}`, signatures: [padded] }, Buffer.from(BODY))).toBe(true);
  });
});

describe('checkSignature, ed25519 keys (v1a)', () => {
  const { key: edKey } = generateKey('ed25519');
  const edSnapshot = { algorithm: 'ed25519' as const, publicKey: ed25519PublicKey(ed25519PublicKeyOf(edKey)), keyId: 'abcdefgh' };
  const signedBy = (signingKey: string, body = BODY) => read({ 'webhook-signature': webhookSignature(signingKey, 'msg_1', SECONDS, body) });

  it('an ed25519 key is pk_<id>_ and its 32-byte seed in 43 base64url characters (55 in all)', () => {
    expect(edKey).toMatch(/^pk_[a-z2-7]{8}_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(edKey.slice(12), 'base64url')).toHaveLength(32);
    expect(webhookSignature(edKey, 'msg_1', SECONDS, BODY)).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/);
  });

  it('accepts a v1a signature made from the key string, over exactly these bytes', () => {
    expect(checkSignature(edSnapshot, signedBy(edKey), Buffer.from(BODY))).toBeUndefined();
    expect(checkSignature(edSnapshot, signedBy(edKey), Buffer.from(`${BODY} `))).toMatchObject({ reason: 'signature_mismatch' });
    expect(checkSignature(edSnapshot, signedBy(generateKey('ed25519').key), Buffer.from(BODY))).toMatchObject({
      reason: 'signature_mismatch',
      message: expect.stringContaining('with Ed25519 under the seed of pk_abcdefgh (v1a)'),
    });
  });

  it('refuses v1 for an ed25519 key and v1a for an hmac key, saying which the key needs', () => {
    const v1 = `v1,${createHmac('sha256', edKey).update(`msg_1.${SECONDS}.${BODY}`).digest('base64')}`;
    expect(checkSignature(edSnapshot, read({ 'webhook-signature': v1 }), Buffer.from(BODY))).toEqual({
      status: 401,
      reason: 'wrong_algorithm',
      message:
        'key pk_abcdefgh is an ed25519 key: sign v1a,<base64 Ed25519 signature> with its seed (v1 HMAC signatures are not accepted for it)',
    });
    expect(checkSignature({ algorithm: 'hmac', secret: KEY, keyId: 'abcdefgh' }, signedBy(edKey), Buffer.from(BODY))).toEqual({
      status: 401,
      reason: 'wrong_algorithm',
      message:
        'key pk_abcdefgh is an hmac key: sign v1,<base64 HMAC-SHA256> with the whole key (v1a Ed25519 signatures are for ed25519 keys)',
    });
  });

  it('takes the v1a entry among several signatures of either version', () => {
    const good = webhookSignature(edKey, 'msg_1', SECONDS, BODY);
    const other = webhookSignature(generateKey('ed25519').key, 'msg_1', SECONDS, BODY);
    const hmac = webhookSignature(KEY, 'msg_1', SECONDS, BODY);
    for (const header of [`${hmac} ${good}`, `${other} ${good}`, `${good} ${other} ${hmac}`]) {
      expect(checkSignature(edSnapshot, read({ 'webhook-signature': header }), Buffer.from(BODY)), header).toBeUndefined();
    }
    expect(checkSignature(edSnapshot, read({ 'webhook-signature': `${hmac} ${other}` }), Buffer.from(BODY))).toMatchObject({
      reason: 'signature_mismatch',
    });
  });
});
