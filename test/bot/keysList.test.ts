/**
 * `/keys list` and its buttons, end to end: the fields, the modals each action
 * opens (and their submissions), rotate and delete with their confirm dialogs,
 * and paging within Block Kit's limits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkKey } from '../support/keyCheck.js';
import { startTestApp, type TestApp, testClock } from '../support/testApp.js';
import { actionsOf, command, FULL_KEY, pressInEphemeral, pressToOpen, responseAt, submit, textOf } from './helpers.js';

const clock = testClock();
let app: TestApp;
const PHONE_A = '+2348012345678';
const PHONE_B = '+2348098765432';

beforeAll(async () => {
  app = await startTestApp({ clock: clock.now, env: { ADMIN_USER_IDS: 'UADMIN' } });
});
afterAll(async () => {
  await app?.close();
});

const keys = () => app.context.domain.keys;

describe('/keys list', () => {
  let gatewayId: string;

  beforeAll(async () => {
    const older = await keys().create({ name: 'old-gw', description: 'due soon', ipLock: { mode: 'first' }, actor: 'UCREATOR' });
    await app.context.models.Key.updateOne(
      { keyId: older.view.keyId },
      { $set: { rotationDue: true, lastUsedAt: new Date('2026-11-21T08:00:00Z'), timesUsed: 7 } },
    );
    clock.advance(60_000);
    const gateway = await keys().create({ name: 'lagos-gw', ipLock: { mode: 'list', list: '203.0.113.7, 10.0.0.0/24' }, actor: 'UADMIN' });
    gatewayId = gateway.view.keyId;
    await keys().linkPhones(gatewayId, [PHONE_A, PHONE_B], `phone:pk_${gatewayId}`);
  });

  it('shows every key, newest first, with its fields and actions', async () => {
    const reply = await command(app, 'list');
    expect(reply.response_type).toBe('ephemeral');
    const text = textOf(reply);
    expect(text).not.toMatch(FULL_KEY);
    expect(text.indexOf('lagos-gw')).toBeLessThan(text.indexOf('old-gw'));

    const section = (name: string) =>
      reply.blocks.find((b: { type: string; text?: { text: string } }) => b.type === 'section' && b.text?.text.includes(`*${name}*`)).text
        .text as string;
    const gw = section('lagos-gw');
    expect(gw).toContain(`pk_${gatewayId}`);
    expect(gw).toContain('Created by <@UADMIN>');
    expect(gw).toMatch(/<!date\^\d+\^/); // created, in the reader's time zone
    expect(gw).toContain('Last used never');
    expect(gw).toContain('Used 0 times');
    expect(gw).toContain('IP lock: list: `203.0.113.7`, `10.0.0.0/24` · Scopes: heartbeat, messages, sends · Environment: live');
    expect(gw).toContain(`Phones: ${PHONE_A}, ${PHONE_B}`);
    expect(gw).toContain('Status: active');
    expect(gw).toContain('Rotation due: no');

    const old = section('old-gw');
    expect(old).toContain('Created by <@UCREATOR>');
    expect(old).toContain('Used 7 times');
    expect(old).toContain('Last used <!date^');
    expect(old).toContain('IP lock: first IP (not used yet');
    expect(old).toContain('Phones: none');
    expect(old).toContain('Rotation due: yes');

    const actions = actionsOf(reply).filter((a) => a.value === gatewayId);
    expect(actions.map((a) => a.action_id)).toEqual(['key_edit_open', 'key_lock_open', 'key_unlink_open', 'key_rotate', 'key_delete']);
    expect(actions.map((a) => a.text.text)).toEqual(['Edit…', 'Lock to IP…', 'Unlink phone…', 'Rotate…', 'Delete']);
    const [, , , rotate, del] = actions;
    expect(rotate.confirm).toMatchObject({ confirm: { text: 'Rotate' } });
    expect(del).toMatchObject({ style: 'danger', confirm: { style: 'danger', confirm: { text: 'Delete' } } });
  });

  it('"Lock to IP…" opens the lock modal (current lock prefilled); a bad list is refused inline; a good one is saved', async () => {
    const { call, responseUrl } = await pressToOpen(app, 'key_lock_open', gatewayId);
    expect(call.args.view.callback_id).toBe('key_lock');
    expect(JSON.parse(call.args.view.private_metadata)).toMatchObject({ keyId: gatewayId, responseUrl });
    const list = call.args.view.blocks.find((b: { block_id?: string }) => b.block_id === 'ip_list');
    expect(list.element.initial_value).toBe('203.0.113.7\n10.0.0.0/24');

    const bad = await submit(app, call, { ip_mode: 'list', ip_list: '300.1.1.1' });
    expect(bad.body).toMatchObject({ response_action: 'errors', errors: { ip_list: expect.stringContaining('300.1.1.1') } });
    expect((await keys().get(`pk_${gatewayId}`)).ipLock.entries).toEqual(['203.0.113.7', '10.0.0.0/24']);

    const good = await submit(app, call, { ip_mode: 'list', ip_list: '198.51.100.0/24' });
    expect(good.status).toBe(200);
    expect(good.text).toBe('');
    expect((await responseAt(app, responseUrl)).text).toContain('`198.51.100.0/24`');
    expect((await keys().get(`pk_${gatewayId}`)).ipLock).toMatchObject({ mode: 'list', entries: ['198.51.100.0/24'] });
    expect(await checkKey(app.context, `pk_${gatewayId}`, '198.51.100.9')).toMatchObject({ ok: true });
    expect(await checkKey(app.context, `pk_${gatewayId}`, '203.0.113.7')).toMatchObject({ ok: false, reason: 'ip_not_allowed' });
    expect(await app.context.models.AuditEntry.countDocuments({ keyId: gatewayId, action: 'key.locked', actor: 'UADMIN' })).toBe(1);
  });

  it('"Unlink phone…" opens a modal listing the key\'s numbers; submitting unlinks the chosen one', async () => {
    const { call, responseUrl } = await pressToOpen(app, 'key_unlink_open', gatewayId);
    expect(call.args.view.callback_id).toBe('key_unlink');
    const select = call.args.view.blocks.find((b: { block_id?: string }) => b.block_id === 'phone_number');
    expect(select.element.options.map((o: { value: string }) => o.value)).toEqual([PHONE_A, PHONE_B]);

    const res = await submit(app, call, { phone_number: PHONE_B });
    expect(res.status).toBe(200);
    expect((await responseAt(app, responseUrl)).text).toContain(`Unlinked ${PHONE_B}`);
    expect((await keys().get(`pk_${gatewayId}`)).phoneNumbers).toEqual([PHONE_A]);
    expect(
      await app.context.models.AuditEntry.countDocuments({
        keyId: gatewayId,
        phoneNumber: PHONE_B,
        action: 'phone.unlinked',
        actor: 'UADMIN',
      }),
    ).toBe(1);
  });

  it('"Unlink phone…" on a key without phones says so instead of opening an empty modal', async () => {
    const old = await keys().get('old-gw');
    const opened = app.fake.callsTo('views.open').length;
    const reply = await pressInEphemeral(app, 'key_unlink_open', old.keyId);
    expect(reply.text).toContain('No phone numbers are linked');
    expect(app.fake.callsTo('views.open')).toHaveLength(opened);
  });

  it('"Rotate…" (confirmed) rotates: the successor is revealed by DM; the answer says which replaces which, and until when', async () => {
    const old = await keys().get('old-gw');
    const reply = await pressInEphemeral(app, 'key_rotate', old.keyId);
    const after = await keys().get(old.publicId);
    expect(after.status).toBe('rotating');
    const successor = await keys().get(`pk_${after.rotatedTo}`);
    expect(successor.name).toBe('old-gw-r2');
    expect(successor.ipLock.mode).toBe('first');
    expect(reply.text).toContain(`\`${successor.publicId}\`) replaces`);
    expect(reply.text).toContain(old.publicId);
    expect(reply.text).toContain(`keeps working until <!date^${Math.floor(after.graceEndsAt!.getTime() / 1000)}^`);
    expect(reply.replace_original).toBe(false);
    expect(JSON.stringify(reply)).not.toMatch(FULL_KEY);

    const dm = await app.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'DUADMIN' && textOf(c.args).includes(successor.publicId),
    );
    const revealed = FULL_KEY.exec(textOf(dm.args))![0];
    expect(await checkKey(app.context, successor.publicId, '192.0.2.1')).toMatchObject({ ok: true, secret: revealed });
    expect(await checkKey(app.context, old.publicId, '192.0.2.1')).toMatchObject({ ok: true });
    expect(await app.context.models.AuditEntry.countDocuments({ keyId: old.keyId, action: 'key.rotated', actor: 'UADMIN' })).toBe(1);

    // A rotating key offers no second rotation.
    const list = await command(app, 'list');
    expect(
      actionsOf(list)
        .filter((a) => a.value === old.keyId)
        .map((a) => a.action_id),
    ).not.toContain('key_rotate');
  });

  it('"Delete" (confirmed) revokes at once; the list stays, the key leaves it', async () => {
    const reply = await pressInEphemeral(app, 'key_delete', gatewayId);
    expect(reply.text).toContain('Deleted');
    expect(reply.replace_original).toBe(false);
    expect(await checkKey(app.context, `pk_${gatewayId}`, '198.51.100.9')).toMatchObject({ ok: false, reason: 'revoked' });
    expect(await app.context.models.AuditEntry.countDocuments({ keyId: gatewayId, action: 'key.revoked', actor: 'UADMIN' })).toBe(1);
    expect(textOf(await command(app, 'list'))).not.toContain(gatewayId);

    const again = await pressInEphemeral(app, 'key_delete', gatewayId);
    expect(again.text).toContain('is revoked');
  });
});

describe('paging', () => {
  it('splits a long list into pages within Block Kit limits, with a "Next page" button', async () => {
    for (let i = 0; i < 27; i++) {
      await keys().create({
        name: `bulk-${String(i).padStart(2, '0')}`,
        description: 'd'.repeat(400),
        ipLock: { mode: 'off' },
        actor: 'UADMIN',
      });
    }
    const all = [];
    for (let cursor: string | undefined, first = true; first || cursor; first = false) {
      const page = await keys().page({ limit: 100, cursor });
      all.push(...page.keys);
      cursor = page.nextCursor ?? undefined;
    }
    const seen: string[] = [];
    let reply = await command(app, 'list');
    for (let page = 0; ; page++) {
      expect(reply.blocks.length).toBeLessThanOrEqual(50);
      for (const block of reply.blocks) if (block.text) expect(block.text.text.length).toBeLessThanOrEqual(3000);
      seen.push(
        ...actionsOf(reply)
          .filter((a) => a.action_id === 'key_delete')
          .map((a) => a.value),
      );
      const next = actionsOf(reply).find((a) => a.action_id === 'keys_list_page');
      if (!next) break;
      // The next page's number and the cursor of this page's last key, well within Slack's 2,000 characters.
      expect(JSON.parse(next.value)).toEqual({ cursor: expect.stringMatching(/^[A-Za-z0-9_-]+$/), page: page + 2 });
      expect(next.value.length).toBeLessThan(100);
      reply = await pressInEphemeral(app, 'keys_list_page', next.value);
      expect(reply.replace_original).toBe(true);
    }
    expect(seen).toEqual(all.map((k) => k.keyId));
    expect(seen.length).toBeGreaterThan(24);
  });
});
