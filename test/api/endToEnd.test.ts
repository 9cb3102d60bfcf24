/**
 * The management API end to end, as a team would use it: a token made with a signed
 * `/keys token create` and read from the (fake) Slack DM creates a key over real HTTP; the key
 * signs a phone webhook that is accepted; lookup finds it; DELETE revokes it and the next
 * webhook is refused. Tokens: list, hide, revoke (then 401), read-only (403), admins only.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createdKeyJson } from '../../src/api/schemas.js';
import { KEY_PATTERN } from '../../src/domain/keyMaterial.js';
import { redactExpiredReveals } from '../../src/slack/reveal.js';
import { command, textOf } from '../bot/helpers.js';
import { apiClient } from '../support/apiRequests.js';
import { phoneEvent, postPhoneWebhook } from '../support/phoneRequests.js';
import { startTestApp, type TestApp } from '../support/testApp.js';

const TOKEN = /mk_[a-z2-7]{8}_[A-Za-z0-9_-]{64}/;
const ADMIN = 'UADMIN';
const MEMBER = 'UMEMBER';
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ env: { ADMIN_USER_IDS: ADMIN, PUBLIC_URL: 'https://phonekeys.example.com' } });
});
afterAll(async () => {
  await app?.close();
});

/** `/keys token create …` as `userId`; the answer and the token from the DM. */
async function createTokenInSlack(
  name: string,
  scope?: string,
): Promise<{ token: string; answer: string; dm: { channel: string; ts: string } }> {
  const answer = await command(app, `token create ${name}${scope ? ` ${scope}` : ''}`, { userId: ADMIN });
  const dm = await app.fake.waitFor(
    'chat.postMessage',
    (c) => c.args.channel === `D${ADMIN}` && textOf(c.args).includes(name) && TOKEN.test(textOf(c.args)),
  );
  expect(dm.args.text).not.toMatch(TOKEN); // the notification text never holds it, only the blocks
  return { token: TOKEN.exec(textOf(dm.args))![0], answer: answer.text, dm: { channel: dm.args.channel, ts: dm.response?.body.ts } };
}

describe('a token made in Slack drives the API', () => {
  it('creates a key over HTTP; the key signs an accepted webhook; lookup finds it; DELETE → 204, then the webhook → 401', async () => {
    const { token, answer } = await createTokenInSlack('provisioning');
    expect(answer).toMatch(/Created the \*write\* API token \*provisioning\*/);
    expect(answer).not.toMatch(TOKEN);
    const api = apiClient(app.baseUrl, token);

    const created = await api.post('/keys', { name: 'lagos-gw-7', scopes: ['heartbeat'] });
    expect(created.status).toBe(201);
    const { key, data } = createdKeyJson.parse(created.body);
    expect(key).toMatch(KEY_PATTERN);
    expect(key).toHaveLength(76);
    expect(data.created_by).toBe('api:provisioning');

    const number = '+2348012349901';
    const registered = await postPhoneWebhook(app.baseUrl, { key, event: phoneEvent('phone.registered', { phone_numbers: [number] }) });
    expect(registered.status).toBe(202);
    const heartbeat = await postPhoneWebhook(app.baseUrl, {
      key,
      event: phoneEvent('phone.heartbeat', { phone_numbers: [number], battery: 90 }),
    });
    expect(heartbeat.status).toBe(202);

    const found = await api.post('/keys/lookup', { key });
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ id: data.id, name: 'lagos-gw-7', phone_numbers: [number], times_used: 2, status: 'active' });

    expect((await api.delete(`/keys/${data.id}`)).status).toBe(204);
    const refused = await postPhoneWebhook(app.baseUrl, { key, event: phoneEvent('phone.heartbeat', { phone_numbers: [number] }) });
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe(`key ${data.id} is revoked`);

    expect((await api.get('/keys/pk_zzzzzzzz')).status).toBe(404);
    expect((await api.get('/keys/no-such-name')).status).toBe(404);
    const bad = await api.post('/keys', { name: '', ip_lock: { mode: 'sometimes' } });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.errors).sort()).toEqual(['ip_lock.mode', 'name']);

    // The audit trail names the token.
    const audit = await api.get(`/audit?key=${data.id}`);
    expect(audit.body.data.map((e: { actor: string; action: string }) => `${e.actor} ${e.action}`)).toContain(
      'api:provisioning key.revoked',
    );
  });

  it('no token → 401; a read token → 403 on POST; a token revoked in Slack → 401 from the next request', async () => {
    expect((await apiClient(app.baseUrl, undefined).get('/keys')).status).toBe(401);

    const reader = await createTokenInSlack('dashboard', 'read');
    const readApi = apiClient(app.baseUrl, reader.token);
    expect((await readApi.get('/keys')).status).toBe(200);
    expect((await readApi.post('/keys', { name: 'never-made' })).status).toBe(403);

    const revoked = await command(app, 'token revoke dashboard', { userId: ADMIN });
    expect(revoked.text).toMatch(/Revoked the API token \*dashboard\*/);
    const after = await readApi.get('/keys');
    expect(after.status).toBe(401);
    expect(after.headers['www-authenticate']).toMatch(/^Bearer /);
    expect((await command(app, 'token revoke dashboard', { userId: ADMIN })).text).toMatch(/No active API token called "dashboard"/);
  });
});

describe('/keys token in Slack', () => {
  it('lists tokens with name, mk_<id>, scope, creator, created and last used, never the token', async () => {
    const { token } = await createTokenInSlack('ci-runner', 'read');
    await apiClient(app.baseUrl, token).get('/phones');
    const list = await command(app, 'token list', { userId: MEMBER }); // reading is open to everyone
    const text = textOf(list);
    expect(text).toContain('ci-runner');
    expect(text).toContain(token.slice(0, 11));
    expect(text).toContain(' · read · by <@UADMIN>');
    expect(text).toMatch(/last used <!date\^\d+\^/);
    expect(text).not.toMatch(TOKEN);
  });

  it('"Saved it — hide" redacts the DM', async () => {
    const { token, dm } = await createTokenInSlack('hidden-one');
    const tokenId = token.slice(3, 11);
    const pressed = await app.slack.blockAction('token_reveal_hide', tokenId, {
      userId: ADMIN,
      channelId: dm.channel,
      messageTs: dm.ts,
      message: app.fake.message(dm.channel, dm.ts),
    });
    expect(pressed.status).toBe(200);
    const update = await app.fake.waitFor('chat.update', (c) => c.args.ts === dm.ts);
    expect(textOf(update.args)).toContain('is now hidden');
    expect(textOf(app.fake.message(dm.channel, dm.ts))).not.toMatch(TOKEN);
    await vi.waitFor(async () => {
      const [entry] = await app.context.domain.audit.recent({ limit: 1 });
      expect(entry).toMatchObject({ actor: ADMIN, action: 'token.reveal_redacted', details: { of: token.slice(0, 11) } });
    });
  });

  it('the reveal-expiry sweep redacts a token DM left unhidden past REVEAL_TTL_MINUTES', async () => {
    const { token, dm } = await createTokenInSlack('forgotten-one');
    const tokenId = token.slice(3, 11);
    expect(await redactExpiredReveals(app.context)).toBe(0); // not yet due
    // REVEAL_TTL_MINUTES pass: the redaction owed in the outbox comes due.
    await app.context.models.OutboxMessage.updateOne(
      { kind: 'reveal.redaction', subject: `token:${tokenId}` },
      { $set: { nextAttemptAt: new Date(Date.now() - 1000) } },
    );
    expect(await redactExpiredReveals(app.context)).toBe(1);
    expect(textOf(app.fake.message(dm.channel, dm.ts))).not.toMatch(TOKEN);
    expect(await redactExpiredReveals(app.context)).toBe(0); // once
  });

  it('create and revoke are for admins only; a bad scope or a taken name is explained', async () => {
    const refused = await command(app, 'token create sneaky write', { userId: MEMBER });
    expect(refused.text).toMatch(/only <@UADMIN> may/);
    expect(await app.context.models.ApiToken.countDocuments({ name: 'sneaky' })).toBe(0);
    expect((await command(app, 'token revoke provisioning', { userId: MEMBER })).text).toMatch(/only <@UADMIN> may/);
    expect((await command(app, 'token create x admin', { userId: ADMIN })).text).toMatch(/"admin" is not a token scope: read or write/);
    await createTokenInSlack('unique-name');
    expect((await command(app, 'token create UNIQUE-NAME', { userId: ADMIN })).text).toMatch(/already exists/);
  });
});
