/**
 * `/keys phones` (README: Using /keys) pages like `/keys list` (a "Next page" button replacing the
 * message) and filters: by status (`silent`, `online`, `never-seen`, `paused`, `unlinked`,
 * `failing`) or by key. An unlinked phone is never shown as online nor counted among linked phones.
 */
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appHomeOpened } from '../support/slackRequests.js';
import { startTestApp, type TestApp } from '../support/testApp.js';
import { actionsOf, command, pressInEphemeral, textOf } from './helpers.js';

let app: TestApp;
const number = (n: number) => `+23480${String(n).padStart(8, '0')}`;
const SILENT = Array.from({ length: 120 }, (_, i) => number(1000 + i));
const ONLINE = Array.from({ length: 30 }, (_, i) => number(2000 + i));
const OTHER_KEY = [number(3000), number(3001)];
const UNLINKED = number(4000);

beforeAll(async () => {
  app = await startTestApp({ env: { ADMIN_USER_IDS: 'UADMIN' } });
  const { keys } = app.context.domain;
  const main = await keys.create({ name: 'site-a', ipLock: { mode: 'off' }, actor: 'UADMIN' });
  const other = await keys.create({ name: 'site-b', ipLock: { mode: 'off' }, actor: 'UADMIN' });
  await keys.linkPhones(main.view.keyId, [...SILENT, ...ONLINE, UNLINKED], 'phone:test');
  await keys.linkPhones(other.view.keyId, OTHER_KEY, 'phone:test');
  const { Phone } = app.context.models;
  const seen = new Date();
  await Phone.updateMany({ number: { $in: SILENT } }, { $set: { state: 'down', lastHeartbeatAt: seen, downSince: seen } });
  await Phone.updateMany({ number: { $in: [...ONLINE, ...OTHER_KEY, UNLINKED] } }, { $set: { state: 'up', lastHeartbeatAt: seen } });
  // It was online, then unlinked: it keeps its last state, but has no key.
  await keys.unlinkPhone('site-a', UNLINKED, 'UADMIN');
});
afterAll(async () => {
  await app?.close();
});

/** The numbers listed in a message, in order. */
const numbersIn = (message: unknown): string[] => [...textOf(message).matchAll(/\*(\+\d+)\*/g)].map((m) => m[1]!);

describe('/keys phones silent', () => {
  it('pages: 100 silent phones, then the other 20 behind "Next page", which replaces the message', async () => {
    const first = await command(app, 'phones silent');
    expect(first.text).toBe('Silent phones (page 1)');
    expect(numbersIn(first)).toEqual(SILENT.slice(0, 100));
    const [next] = actionsOf(first);
    expect(next.action_id).toBe('phones_page');

    const second = await pressInEphemeral(app, next.action_id, next.value);
    expect(second.replace_original).toBe(true);
    expect(second.text).toBe('Silent phones (page 2)');
    expect(numbersIn(second)).toEqual(SILENT.slice(100));
    expect(actionsOf(second)).toEqual([]);
    expect(textOf(second)).not.toContain(':large_green_circle: online');
  });

  it('is open to everyone, like the list (a viewer pages too)', async () => {
    const first = await command(app, 'phones silent', { userId: 'UVIEWER' });
    const [next] = actionsOf(first);
    const second = await pressInEphemeral(app, next.action_id, next.value, { userId: 'UVIEWER' });
    expect(numbersIn(second)).toHaveLength(20);
  });
});

describe('filters', () => {
  it('online: linked, unpaused phones that heartbeat; the unlinked phone is not among them', async () => {
    const online = await command(app, 'phones online');
    expect(numbersIn(online)).toEqual([...ONLINE, ...OTHER_KEY]);
  });

  it('<key>: that key’s phones only', async () => {
    const ofKey = await command(app, 'phones site-b');
    expect(ofKey.text).toBe(`Phones of site-b (${(await app.context.domain.keys.get('site-b')).publicId}) (page 1)`);
    expect(numbersIn(ofKey)).toEqual(OTHER_KEY);
    expect((await command(app, 'phones no-such-key')).text).toContain('No key called "no-such-key"');
  });

  it('unlinked: the phone without a key, shown as unlinked, never online', async () => {
    const unlinked = await command(app, 'phones unlinked');
    expect(numbersIn(unlinked)).toEqual([UNLINKED]);
    const line = unlinked.blocks.find((b: { type: string }) => b.type === 'section').text.text as string;
    expect(line).toMatch(/_no key_ · :heavy_minus_sign: unlinked ·/);
    expect(line).not.toContain('online');
  });

  it('failing: phones whose sends keep failing (an open failing alert), not online ones', async () => {
    expect((await command(app, 'phones failing')).text).toBe('No failing phones.');
    await app.context.models.Phone.updateOne({ number: ONLINE[0] }, { $set: { failingAlertId: new Types.ObjectId() } });
    try {
      expect(numbersIn(await command(app, 'phones failing'))).toEqual([ONLINE[0]]);
      expect(numbersIn(await command(app, 'phones online'))).not.toContain(ONLINE[0]);
    } finally {
      await app.context.models.Phone.updateOne({ number: ONLINE[0] }, { $set: { failingAlertId: null } });
    }
  });
});

describe('App Home', () => {
  it('counts linked phones only; the unlinked one apart', async () => {
    await app.slack.event(appHomeOpened('UVIEWER'));
    const publish = await app.fake.waitFor('views.publish', (c) => c.args.user_id === 'UVIEWER');
    const home = textOf(publish.args.view);
    expect(home).toContain(
      `${SILENT.length + ONLINE.length + OTHER_KEY.length} linked phones · ${SILENT.length} silent · 0 failing · 1 unlinked`,
    );
  });
});
