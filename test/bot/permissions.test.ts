/**
 * ADMIN_USER_IDS set: a non-admin is refused every change (commands, buttons,
 * modal submissions) with a message naming who may, and nothing changes; reading
 * stays open to everyone; an admin is not refused.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { redactReveal } from '../../src/slack/reveal.js';
import { checkKey } from '../support/keyCheck.js';
import { startTestApp, type TestApp } from '../support/testApp.js';
import { command, openCreateModal, pressInEphemeral, pressToOpen, responseAt, submit } from './helpers.js';

const OUTSIDER = 'UOUTSIDER';
const PHONE = '+2348012345678';
let app: TestApp;
let keyId: string;

beforeAll(async () => {
  app = await startTestApp({ env: { ADMIN_USER_IDS: 'UADMIN' } });
  const { view } = await app.context.domain.keys.create({ name: 'guarded', ipLock: { mode: 'off' }, actor: 'UADMIN' });
  keyId = view.keyId;
  await app.context.domain.keys.linkPhones(keyId, [PHONE], 'phone:test');
});
afterAll(async () => {
  await app?.close();
});

/** Everything a change could touch, to compare before and after. */
async function state(): Promise<string> {
  const { Key, Phone, AuditEntry } = app.context.models;
  const [keys, phones, audit] = await Promise.all([
    Key.find({}, { _id: 0, updatedAt: 0 }).sort({ keyId: 1 }).lean(),
    Phone.find({}, { _id: 0, updatedAt: 0 }).sort({ number: 1 }).lean(),
    AuditEntry.countDocuments(),
  ]);
  return JSON.stringify({ keys, phones, audit });
}

const refusal = /only <@UADMIN> may create, change or delete keys/;
let before: string;
beforeEach(async () => {
  before = await state();
});

describe('a non-admin', () => {
  it('is refused every changing command, in the ack, naming the admins; nothing changes', async () => {
    const changing = [
      'create sneaky',
      'lock guarded 10.0.0.0/8',
      'lock guarded first',
      'unlock guarded',
      `unlink guarded ${PHONE}`,
      'rotate guarded',
      'delete guarded',
      `pause ${PHONE} 30`,
      `resume ${PHONE}`,
    ];
    const opened = app.fake.callsTo('views.open').length;
    for (const text of changing) {
      const res = await app.slack.command(text, { userId: OUTSIDER });
      expect(res.status, text).toBe(200);
      expect(res.body.response_type, text).toBe('ephemeral');
      expect(res.body.text, text).toMatch(refusal);
    }
    expect(app.fake.callsTo('views.open')).toHaveLength(opened);
    expect(app.fake.callsTo('chat.postMessage')).toHaveLength(0);
    expect(await state()).toBe(before);
  });

  it('may still read: help, list, phones, audit', async () => {
    expect((await app.slack.command('help', { userId: OUTSIDER })).body.text).toBeTruthy();
    for (const text of ['list', 'phones', 'audit', 'audit guarded']) {
      const reply = await command(app, text, { userId: OUTSIDER });
      expect(JSON.stringify(reply), text).not.toMatch(refusal);
    }
    expect(await state()).toBe(before);
  });

  it('is refused by every changing button, which opens nothing and changes nothing', async () => {
    const opened = app.fake.callsTo('views.open').length;
    for (const action of ['key_lock_open', 'key_unlink_open', 'key_rotate', 'key_delete']) {
      const reply = await pressInEphemeral(app, action, keyId, { userId: OUTSIDER });
      expect(reply.text, action).toMatch(refusal);
    }
    const confirmed = await pressInEphemeral(app, 'key_delete', keyId, { userId: OUTSIDER, blockId: 'key_delete_confirmation' });
    expect(confirmed.text).toMatch(refusal);
    expect(app.fake.callsTo('views.open')).toHaveLength(opened);
    expect(await state()).toBe(before);
  });

  it('is refused on every modal submission, even of a modal an admin opened', async () => {
    const create = (await openCreateModal(app, 'sneaky')).call;
    const lock = (await pressToOpen(app, 'key_lock_open', keyId)).call;
    const unlink = (await pressToOpen(app, 'key_unlink_open', keyId)).call;
    const attempts = [
      await submit(app, create, { name: 'sneaky', ip_mode: 'off' }, OUTSIDER),
      await submit(app, lock, { ip_mode: 'list', ip_list: '10.0.0.0/8' }, OUTSIDER),
      await submit(app, unlink, { phone_number: PHONE }, OUTSIDER),
    ];
    for (const res of attempts) {
      expect(res.status).toBe(200);
      expect(res.body.response_action).toBe('update');
      expect(JSON.stringify(res.body.view)).toMatch(refusal);
    }
    expect(await state()).toBe(before);
  });

  it("cannot hide someone else's reveal DM", async () => {
    await app.context.domain.reveals.recordPosted(keyId, { userId: 'UADMIN', channel: 'DUADMIN', ts: '1700000000.000100' });
    expect(await redactReveal(app.context, keyId, { actor: OUTSIDER, userId: OUTSIDER })).toBe(false);
    expect((await app.context.models.Key.findOne({ keyId }).lean())!.reveal.redactedAt).toBeNull();
  });
});

describe('an admin', () => {
  it('is not refused: the same command, button and submission go through', async () => {
    expect((await command(app, 'lock guarded 10.0.0.0/8')).text).toContain('`10.0.0.0/8`');
    const { call, responseUrl } = await pressToOpen(app, 'key_unlink_open', keyId);
    expect((await submit(app, call, { phone_number: PHONE })).status).toBe(200);
    expect((await responseAt(app, responseUrl)).text).toContain(`Unlinked ${PHONE}`);
    const deleted = await pressInEphemeral(app, 'key_delete', keyId);
    expect(deleted.text).toContain('Deleted');
    expect(await checkKey(app.context, `pk_${keyId}`, '10.0.0.1')).toMatchObject({ ok: false, reason: 'revoked' });
    const actions = (await app.context.models.AuditEntry.find({ keyId, actor: 'UADMIN' }).lean()).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['key.locked', 'phone.unlinked', 'key.revoked']));
  });
});
