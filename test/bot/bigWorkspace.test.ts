/**
 * A full workspace end to end, through the fake Slack Web API that refuses what Slack refuses
 * (test/support/blockKit.ts): 40 keys with the longest names, full IP lists and 30 phones each,
 * and long descriptions. Every list, view and notice the app sends must be accepted.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runJob } from '../../src/jobs/index.js';
import { appHomeOpened } from '../support/slackRequests.js';
import { ALERT_CHANNEL, startTestApp, type TestApp, testClock } from '../support/testApp.js';
import { actionsOf, command, pressInEphemeral, pressToOpen } from './helpers.js';

const KEYS = 40;
const PHONES_PER_KEY = 30;
const clock = testClock('2026-01-01T00:00:00Z');
let app: TestApp;
let first: { keyId: string; name: string };

beforeAll(async () => {
  app = await startTestApp({ clock: clock.now, env: { ADMIN_USER_IDS: 'UADMIN' } });
  const ips = Array.from({ length: 100 }, (_, i) => `10.${i}.0.0/16`).join(', ');
  for (let k = 0; k < KEYS; k++) {
    const name = `${'gateway-'.repeat(7)}${String(k).padStart(3, '0')}`.slice(-64);
    const { view } = await app.context.domain.keys.create({
      name,
      description: `Lagos & Abuja <sites> ${'rack '.repeat(90)}`.slice(0, 500),
      ipLock: { mode: 'list', list: ips },
      actor: 'UADMIN',
    });
    first ??= { keyId: view.keyId, name };
    const numbers = Array.from({ length: PHONES_PER_KEY }, (_, p) => `+234801${String(k * 100 + p).padStart(7, '0')}`);
    await app.context.domain.keys.linkPhones(view.keyId, numbers, `phone:${view.publicId}`);
  }
}, 120_000);
afterAll(async () => {
  await app?.close();
});

it('/keys list and every page of it, /keys phones and /keys audit are accepted', async () => {
  let reply = await command(app, 'list');
  let pages = 1;
  for (;;) {
    expect(reply.blocks.length).toBeLessThanOrEqual(50);
    const next = actionsOf(reply).find((a) => a.action_id === 'keys_list_page');
    if (!next) break;
    reply = await pressInEphemeral(app, 'keys_list_page', next.value);
    pages++;
  }
  expect(pages).toBeGreaterThan(1);
  const phones = await command(app, 'phones');
  expect(phones.text).toBe('Phones (page 1)');
  expect(actionsOf(phones).map((a) => a.action_id)).toEqual(['phones_page']);
  expect((await command(app, 'audit')).blocks.length).toBeGreaterThan(1);
});

it('the lock and unlink modals of a key with a full IP list and 30 phones open', async () => {
  for (const action of ['key_lock_open', 'key_unlink_open']) {
    const { call } = await pressToOpen(app, action, first.keyId);
    expect(call.response?.body, action).toMatchObject({ ok: true });
  }
});

it('App Home with every key and phone is published', async () => {
  await app.slack.event(appHomeOpened('UADMIN'));
  const publish = await app.fake.waitFor('views.publish', (c) => c.args.user_id === 'UADMIN');
  expect(publish.response?.body).toMatchObject({ ok: true });
});

it('the rotation notices for all of them are posted', async () => {
  clock.advance(400 * 24 * 60 * 60_000);
  expect(await runJob('key-rotation', app.context)).toMatchObject({
    outcome: 'ok',
    summary: { flagged: KEYS, announced: KEYS, slackFailures: 0 },
  });
  expect(app.fake.messagesIn(ALERT_CHANNEL).length).toBeGreaterThan(0);
});
