/**
 * Ed25519 phone keys (Standard Webhooks v1a) end to end: created from the Slack modal,
 * revealed once, signed by a "phone" with node:crypto from the revealed string alone, and a
 * database, log and Slack traffic that hold nothing that could sign as the phone.
 */
import { createHash, createHmac, createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { command, openCreateModal, responseAt, submit, textOf } from '../bot/helpers.js';
import { newWebhookId, phoneEvent, postPhoneWebhook } from '../support/phoneRequests.js';
import { appHomeOpened } from '../support/slackRequests.js';
import { startTestApp, type TestApp, testClock } from '../support/testApp.js';
import { heartbeatEvent, newNumber, post } from './support.js';

const ED25519_KEY = /pk_[a-z2-7]{8}_[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/;
const clock = testClock('2026-11-22T10:00:00Z');
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ clock: clock.now, env: { ADMIN_USER_IDS: 'UADMIN' } });
});
afterAll(async () => {
  await app?.close();
});

/** What a phone does with the revealed string alone: the seed is its last 43 characters. */
function phoneSign(key: string, id: string, seconds: number, body: string): string {
  const seed = Buffer.from(key.slice(-43), 'base64url');
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  return `v1a,${sign(null, Buffer.from(`${id}.${seconds}.${body}`), privateKey).toString('base64')}`;
}

async function signedPost(key: string, body: string, signature?: (id: string, seconds: number) => string) {
  const id = newWebhookId();
  const seconds = Math.floor(clock.now().getTime() / 1000);
  return postPhoneWebhook(app.baseUrl, {
    key,
    id,
    timestamp: seconds,
    body,
    headers: { 'webhook-signature': (signature ?? ((i, s) => phoneSign(key, i, s, body)))(id, seconds) },
  });
}

/** Every document of every collection, as JSON. */
async function everyDocumentAsJson(): Promise<string> {
  const db = app.context.database.connection.db!;
  const collections = await db.listCollections().toArray();
  return (await Promise.all(collections.map(async (c) => JSON.stringify(await db.collection(c.name).find({}).toArray())))).join('\n');
}

describe('an ed25519 key created from the Slack modal', () => {
  let key: string;
  let keyId: string;
  const number = newNumber();

  it('the create modal offers the algorithm, and the DM reveals a 55-character key', async () => {
    const { call, responseUrl } = await openCreateModal(app, 'gw-ed');
    const block = call.args.view.blocks.find((b: { block_id?: string }) => b.block_id === 'algorithm');
    expect(block.element.options.map((o: { value: string }) => o.value)).toEqual(['hmac', 'ed25519']);
    expect(block.element.initial_option.value).toBe('hmac');
    expect((await submit(app, call, { algorithm: 'ed25519' })).status).toBe(200);
    const dm = await app.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'DUADMIN' && ED25519_KEY.test(textOf(c.args)));
    await responseAt(app, responseUrl);
    key = ED25519_KEY.exec(textOf(dm.args))![0];
    keyId = key.slice(3, 11);
    expect(key).toHaveLength(55);
    expect(Buffer.from(key.slice(-43), 'base64url')).toHaveLength(32);
  });

  it('signs, with node:crypto from the revealed string only, a registration and a heartbeat that are accepted', async () => {
    const registered = await signedPost(key, JSON.stringify(phoneEvent('phone.registered', { phone_numbers: [number] }, clock.now())));
    expect(registered.status, registered.text).toBe(202);
    const heartbeat = await signedPost(key, JSON.stringify(heartbeatEvent(clock, [number])));
    expect(heartbeat.status, heartbeat.text).toBe(202);
    // The test helpers' signer (from the key string too) agrees.
    clock.advance(1_000);
    expect((await post(app, clock, { key, event: heartbeatEvent(clock, [number]) })).status).toBe(202);
  });

  it('the same body signed v1 with the key string is refused (401), saying the key needs v1a', async () => {
    const body = JSON.stringify(heartbeatEvent(clock, [number]));
    const response = await signedPost(
      key,
      body,
      (id, s) => `v1,${createHmac('sha256', key).update(`${id}.${s}.${body}`).digest('base64')}`,
    );
    expect(response.status).toBe(401);
    expect(response.body.error).toBe(
      `key pk_${keyId} is an ed25519 key: sign v1a,<base64 Ed25519 signature> with its seed (v1 HMAC signatures are not accepted for it)`,
    );
  });

  it('a signature over another body is refused (401)', async () => {
    const body = JSON.stringify(heartbeatEvent(clock, [number], { battery: 5 }));
    const other = JSON.stringify(heartbeatEvent(clock, [number], { battery: 95 }));
    const response = await signedPost(key, body, (id, s) => phoneSign(key, id, s, other));
    expect(response.status).toBe(401);
    expect(response.body.error).toMatch(/^webhook-signature does not match: .* with Ed25519 under the seed of pk_/);
  });

  it('stores the public key and the hash only: the seed is in no document (text, base64, hex), no log line, no Slack call but the DM', async () => {
    const seed = Buffer.from(key.slice(-43), 'base64url');
    const stored = (await app.context.models.Key.findOne({ keyId }).lean())!;
    const publicKey = createPublicKey(
      createPrivateKey({
        key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
        format: 'der',
        type: 'pkcs8',
      }),
    )
      .export({ format: 'der', type: 'spki' })
      .subarray(12);
    expect(stored).toMatchObject({
      algorithm: 'ed25519',
      publicKey: publicKey.toString('base64'),
      hash: createHash('sha256').update(key).digest('hex'),
    });
    expect(stored.cipher).toBeUndefined();

    const forms = [key, key.slice(-43), seed.toString('base64'), seed.toString('base64').replace(/=+$/, ''), seed.toString('hex')];
    const dump = await everyDocumentAsJson();
    const logs = app.logs.join('\n');
    for (const form of forms) {
      expect(dump, form).not.toContain(form);
      expect(logs, form).not.toContain(form);
      expect(dump.toLowerCase()).not.toContain(seed.toString('hex'));
    }
    const holding = app.fake.calls.filter((c) => forms.some((form) => JSON.stringify(c.rawArgs).includes(form)));
    expect(holding.map((c) => [c.method, c.args.channel])).toEqual([['chat.postMessage', 'DUADMIN']]);
  });

  it('/keys list and App Home show the algorithm', async () => {
    const list = await command(app, 'list');
    expect(textOf(list)).toContain('Algorithm: Ed25519 (v1a)');
    await app.slack.event(appHomeOpened('UADMIN'));
    const publish = await app.fake.waitFor('views.publish', (c) => c.args.user_id === 'UADMIN');
    expect(JSON.stringify(publish.args.view)).toMatch(/gw-ed.*ed25519/);
  });

  it('rotation keeps the algorithm; the old key works through its grace; revocation refuses at once', async () => {
    const rotated = await app.context.domain.keys.rotate(`pk_${keyId}`, 'UADMIN');
    expect(rotated.key).toMatch(new RegExp(`^${ED25519_KEY.source}$`));
    expect(rotated.view.algorithm).toBe('ed25519');
    clock.advance(1_000);
    expect((await post(app, clock, { key, event: heartbeatEvent(clock, [number]) })).status).toBe(202);
    const successor = rotated.key;
    expect(
      (await post(app, clock, { key: successor, event: phoneEvent('phone.registered', { phone_numbers: [number] }, clock.now()) })).status,
    ).toBe(202);
    expect((await post(app, clock, { key: successor, event: heartbeatEvent(clock, [number]) })).status).toBe(202);

    clock.advance(app.context.config.rotationGraceMs + 1_000);
    const ended = await post(app, clock, { key, event: heartbeatEvent(clock, [number]) });
    expect(ended.status).toBe(401);
    expect(ended.body.error).toContain('grace period has ended');

    await app.context.domain.keys.revoke(rotated.view.publicId, 'UADMIN');
    const revoked = await post(app, clock, { key: successor, event: heartbeatEvent(clock, [number]) });
    expect(revoked).toMatchObject({ status: 401, body: { error: `key ${rotated.view.publicId} is revoked` } });
  });

  it('an hmac key refuses v1a, saying it needs v1', async () => {
    const { key: hmacKey } = await app.context.domain.keys.create({ name: 'gw-hmac', ipLock: { mode: 'off' }, actor: 'UADMIN' });
    const body = JSON.stringify(phoneEvent('phone.registered', { phone_numbers: [newNumber()] }, clock.now()));
    const edKey = `${hmacKey.slice(0, 12)}${'A'.repeat(43)}`; // any ed25519 seed: the version is refused before any check
    const response = await signedPost(hmacKey, body, (id, s) => phoneSign(edKey, id, s, body));
    expect(response.status).toBe(401);
    expect(response.body.error).toMatch(/is an hmac key: sign v1,<base64 HMAC-SHA256> with the whole key/);
  });
});
