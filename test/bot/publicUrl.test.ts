/**
 * PUBLIC_URL (README: Configuration): the reveal DM shows the phone's webhook URL next to the key,
 * and its QR code (the PNG uploaded to the DM, read back with a QR decoder) holds the documented
 * payload: the URL, the key and its algorithm (docs/phone-keys.md). /keys help and App Home show
 * the URL too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { decodeQrPng } from '../support/qr.js';
import { appHomeOpened } from '../support/slackRequests.js';
import { startTestApp, type TestApp } from '../support/testApp.js';
import { createThroughModal, FULL_KEY, openCreateModal, submit, textOf } from './helpers.js';

const PUBLIC_URL = 'https://phonekeys.example.com/gw/';
const WEBHOOK_URL = 'https://phonekeys.example.com/gw/webhooks/phone';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ env: { ADMIN_USER_IDS: 'UADMIN', PUBLIC_URL } });
});
afterAll(async () => {
  await app?.close();
});

/** The PNG uploaded into a DM channel for the key with this public id. */
async function qrOf(publicId: string): Promise<Buffer> {
  const complete = await app.fake.waitFor('files.completeUploadExternal', (c) => JSON.stringify(c.args).includes(publicId));
  return app.fake.files.get(complete.args.files[0].id)!.bytes!;
}

describe('the reveal DM with PUBLIC_URL', () => {
  it('shows the webhook URL next to the key, and its QR code decodes to {phonekeys, webhook_url, key, algorithm}', async () => {
    const { key, dm } = await createThroughModal(app, 'url-gw');
    const shown = app.fake.message(dm.args.channel, dm.response!.body.ts)!;
    expect(textOf(shown)).toContain(`Webhook URL for the phone app: \`${WEBHOOK_URL}\``);
    expect(JSON.parse(decodeQrPng(await qrOf(key.slice(0, 11)))!)).toEqual({
      phonekeys: 1,
      webhook_url: WEBHOOK_URL,
      key,
      algorithm: 'hmac',
    });
  });

  it('an ed25519 key says so in its QR code', async () => {
    const { call } = await openCreateModal(app, 'url-ed');
    expect((await submit(app, call, { algorithm: 'ed25519' })).status).toBe(200);
    const dm = await app.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'DUADMIN' && textOf(c.args).includes('url-ed'));
    const key = /pk_[a-z2-7]{8}_[A-Za-z0-9_-]{43}\b/.exec(textOf(dm.args))![0];
    expect(JSON.parse(decodeQrPng(await qrOf(key.slice(0, 11)))!)).toMatchObject({ webhook_url: WEBHOOK_URL, key, algorithm: 'ed25519' });
  });

  it('/keys help and App Home show the URL', async () => {
    const help = await app.slack.command('help');
    expect(textOf(help.body)).toContain(WEBHOOK_URL);
    expect(textOf(help.body)).not.toMatch(FULL_KEY);
    const res = await app.slack.event(appHomeOpened('UADMIN'));
    expect(res.status).toBe(200);
    const published = await app.fake.waitFor('views.publish', (c) => c.args.user_id === 'UADMIN');
    expect(JSON.stringify(published.args.view)).toContain(WEBHOOK_URL);
  });
});

describe('PUBLIC_URL is checked at start', () => {
  const base = { SLACK_BOT_TOKEN: 'xoxb-1-2-3', SLACK_SIGNING_SECRET: 'abcdef0123456789', ALERT_CHANNEL_ID: 'C0ALERTS' };
  it('an http(s) base URL, trailing slashes dropped; anything else is refused naming the variable', () => {
    expect(loadConfig({ ...base, PUBLIC_URL: 'https://gw.example.com//' }).webhookUrl).toBe('https://gw.example.com/webhooks/phone');
    expect(loadConfig(base).webhookUrl).toBeUndefined();
    for (const bad of ['gw.example.com', 'ftp://gw.example.com', 'https://gw.example.com/?x=1'])
      expect(() => loadConfig({ ...base, PUBLIC_URL: bad }), bad).toThrow(/PUBLIC_URL must be/);
  });
});
