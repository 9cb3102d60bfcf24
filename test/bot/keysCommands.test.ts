/**
 * The `/keys` subcommands end to end (signed slash commands; answers through the
 * ack or the response_url): usage and argument errors, lock/unlock/unlink/rotate/
 * delete, phones/pause/resume, audit, App Home, and failures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkKey } from '../support/keyCheck.js';
import { appHomeOpened } from '../support/slackRequests.js';
import { startTestApp, type TestApp, testClock } from '../support/testApp.js';
import { actionsOf, command, FULL_KEY, pressInEphemeral, textOf } from './helpers.js';

const MINUTE = 60_000;
const clock = testClock('2026-11-22T10:00:00Z');
let app: TestApp;

const ONLINE = '+2348010000001';
const SILENT = '+2348010000002';
const FRESH = '+2348010000003';
const PAUSED = '+2348010000004';

beforeAll(async () => {
  app = await startTestApp({ clock: clock.now, env: { ADMIN_USER_IDS: 'UADMIN,UADMIN2' } });
});
afterAll(async () => {
  await app?.close();
});

const keys = () => app.context.domain.keys;
const auditCount = (filter: Record<string, unknown>) => app.context.models.AuditEntry.countDocuments(filter);

describe('usage and argument errors', () => {
  it('/keys and /keys help answer with the usage, ephemeral, at once', async () => {
    for (const text of ['', 'help', 'HELP']) {
      const res = await app.slack.command(text);
      expect(res.body.response_type).toBe('ephemeral');
      expect(textOf(res.body)).toContain('/keys create [name]');
      expect(textOf(res.body)).toContain('/keys audit [key]');
    }
  });

  it('an unknown subcommand or bad arguments get a short error with the usage', async () => {
    const cases: [string, RegExp][] = [
      ['frobnicate', /Unknown subcommand "frobnicate"/],
      ['lock', /Usage: `\/keys lock <key>/],
      ['lock gw-only', /Usage: `\/keys lock <key>/],
      ['unlock', /Usage: `\/keys unlock <key>`/],
      ['unlink gw', /Usage: `\/keys unlink <key> <phone-number>`/],
      ['rotate', /Usage: `\/keys rotate <key>`/],
      ['delete a b', /Usage: `\/keys delete <key>`/],
      ['pause', /Usage: `\/keys pause <phone-number> \[minutes\]`/],
      [`pause ${ONLINE} soon`, /"soon" is not a number of minutes/],
      ['list everything', /Usage: `\/keys list`/],
    ];
    for (const [text, error] of cases) {
      const res = await app.slack.command(text);
      expect(res.body.response_type, text).toBe('ephemeral');
      const mrkdwn: string = res.body.blocks[0].text.text;
      // The <key> placeholders are escaped, or Slack would read them as markup.
      expect(mrkdwn, text).not.toContain('<key>');
      const shown = mrkdwn.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
      expect(shown, text).toMatch(error);
      expect(shown, text).toContain('/keys create [name]');
    }
  });

  it('what the user typed is escaped in answers: no markup, no mentions', async () => {
    const reply = await command(app, 'rotate &lt;!here&gt;');
    expect(reply.text).toContain('No key called "&lt;!here&gt;"');
    expect(reply.text).not.toContain('<!here>');
  });

  it('a key that does not exist is a short error', async () => {
    const reply = await command(app, 'rotate no-such-key');
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toMatch(/No key called "no-such-key"/);
  });
});

describe('key commands', () => {
  let gwId: string;

  beforeAll(async () => {
    const { view } = await keys().create({ name: 'cmd-gw', ipLock: { mode: 'off' }, actor: 'UADMIN' });
    gwId = view.keyId;
    await keys().linkPhones(gwId, [ONLINE, SILENT], `phone:pk_${gwId}`);
  });

  it('/keys lock <key> <ip>,<cidr> locks to the list (by name or by pk_ id)', async () => {
    const reply = await command(app, 'lock cmd-gw 203.0.113.7, 10.0.0.0/24');
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toContain('`203.0.113.7`, `10.0.0.0/24`');
    expect(await checkKey(app.context, `pk_${gwId}`, '10.0.0.200')).toMatchObject({ ok: true });
    expect(await checkKey(app.context, `pk_${gwId}`, '192.0.2.1')).toMatchObject({ ok: false, reason: 'ip_not_allowed' });

    const byId = await command(app, `lock pk_${gwId} 2001:db8::/32`);
    expect(byId.text).toContain('`2001:db8::/32`');
    expect(await auditCount({ keyId: gwId, action: 'key.locked', actor: 'UADMIN' })).toBe(2);
  });

  it('a bad CIDR is refused with the reason, and nothing changes', async () => {
    const reply = await command(app, 'lock cmd-gw 10.0.0.0/33');
    expect(reply.text).toMatch(/Not an IP address or CIDR range: 10\.0\.0\.0\/33/);
    expect((await keys().get('cmd-gw')).ipLock.entries).toEqual(['2001:db8::/32']);
  });

  it('/keys lock <key> first, then /keys unlock <key>', async () => {
    expect((await command(app, 'lock cmd-gw first')).text).toMatch(/first IP/);
    expect((await keys().get('cmd-gw')).ipLock).toMatchObject({ mode: 'first', entries: [], firstIp: null });
    expect((await command(app, 'unlock cmd-gw', { userId: 'UADMIN2' })).text).toMatch(/unlocked/);
    expect((await keys().get('cmd-gw')).ipLock.mode).toBe('off');
    expect(await auditCount({ keyId: gwId, action: 'key.unlocked', actor: 'UADMIN2' })).toBe(1);
  });

  it('/keys unlink <key> <phone> (spaces allowed in the number)', async () => {
    const reply = await command(app, 'unlink cmd-gw +234 801 000 0002');
    expect(reply.text).toContain(`Unlinked ${SILENT}`);
    expect((await keys().get('cmd-gw')).phoneNumbers).toEqual([ONLINE]);
    expect(await auditCount({ keyId: gwId, phoneNumber: SILENT, action: 'phone.unlinked' })).toBe(1);

    const again = await command(app, `unlink cmd-gw ${SILENT}`);
    expect(again.text).toMatch(/is not linked to/);
    expect((await command(app, 'unlink cmd-gw 12345')).text).toMatch(/not a phone number/);
  });

  it('/keys rotate <key>: the successor by DM; the answer says which replaces which and when the old one stops', async () => {
    const reply = await command(app, 'rotate cmd-gw');
    const old = await keys().get(`pk_${gwId}`);
    const successor = await keys().get(`pk_${old.rotatedTo}`);
    expect(old.status).toBe('rotating');
    expect(old.graceEndsAt?.getTime()).toBe(clock.now().getTime() + 24 * 60 * MINUTE);
    expect(reply.text).toContain(`*${successor.name}* (\`${successor.publicId}\`) replaces *cmd-gw* (\`pk_${gwId}\`)`);
    expect(reply.text).toContain(`until <!date^${old.graceEndsAt!.getTime() / 1000}^`);
    expect(JSON.stringify(reply)).not.toMatch(FULL_KEY);
    const dm = await app.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'DUADMIN' && textOf(c.args).includes(successor.publicId),
    );
    expect(await checkKey(app.context, successor.publicId, '192.0.2.1')).toMatchObject({
      ok: true,
      secret: FULL_KEY.exec(textOf(dm.args))![0],
    });

    expect((await command(app, `rotate pk_${gwId}`)).text).toMatch(/already rotated/);
  });

  it('/keys delete <key> asks first (danger button + confirm dialog); the button revokes', async () => {
    const { view } = await keys().create({ name: 'doomed', ipLock: { mode: 'off' }, actor: 'UADMIN' });
    const question = await command(app, 'delete doomed');
    expect(question.response_type).toBe('ephemeral');
    expect(question.text).toContain('Delete');
    const [button] = actionsOf(question);
    expect(button).toMatchObject({
      action_id: 'key_delete',
      value: view.keyId,
      style: 'danger',
      confirm: { style: 'danger' },
      block_id: 'key_delete_confirmation',
    });
    // Asking revokes nothing.
    expect(await checkKey(app.context, view.publicId, '192.0.2.1')).toMatchObject({ ok: true });

    const done = await pressInEphemeral(app, button.action_id, button.value, { blockId: button.block_id });
    expect(done.replace_original).toBe(true);
    expect(done.text).toContain('Deleted');
    expect(await checkKey(app.context, view.publicId, '192.0.2.1')).toMatchObject({ ok: false, reason: 'revoked' });
    expect(await auditCount({ keyId: view.keyId, action: 'key.revoked', actor: 'UADMIN' })).toBe(1);

    expect((await command(app, `delete ${view.publicId}`)).text).toMatch(/already revoked/);
    // The name is free again once revoked.
    expect((await command(app, 'delete doomed')).text).toMatch(/No key called "doomed"/);
  });
});

describe('phones', () => {
  beforeAll(async () => {
    const { view } = await keys().create({ name: 'phones-gw', ipLock: { mode: 'off' }, actor: 'UADMIN' });
    await keys().linkPhones(view.keyId, [FRESH, PAUSED], 'phone:test');
    const Phone = app.context.models.Phone;
    await Phone.updateOne(
      { number: ONLINE },
      { $set: { state: 'up', lastHeartbeatAt: new Date('2026-11-22T09:58:00Z'), battery: 81, charging: true } },
    );
    await Phone.updateOne(
      { number: SILENT },
      { $set: { state: 'down', lastHeartbeatAt: new Date('2026-11-22T09:00:00Z'), battery: 12, charging: false } },
    );
    await Phone.updateOne({ number: PAUSED }, { $set: { state: 'down', pausedUntil: new Date('2026-11-22T11:00:00Z') } });
  });

  it('/keys phones: number, key, status (online / silent / never seen / paused), last heartbeat, charging, battery', async () => {
    const reply = await command(app, 'phones');
    expect(reply.response_type).toBe('ephemeral');
    const text = reply.blocks.map((b: { text?: { text: string } }) => b.text?.text ?? '').join('\n');
    const line = (n: string) => text.split('\n').find((l: string) => l.includes(n)) ?? '';
    expect(line(ONLINE)).toMatch(/`pk_[a-z2-7]{8}` \(cmd-gw\).*online.*last heartbeat <!date\^\d+\^.*battery 81%, charging/);
    // Never linked to a key: unlinked, whatever state it was last in (never online, never silent).
    expect(line(SILENT)).toMatch(/_no key_ · :heavy_minus_sign: unlinked · .*battery 12%, not charging/);
    expect(line(FRESH)).toMatch(/phones-gw.*never seen.*last heartbeat never.*battery \?/);
    expect(line(PAUSED)).toMatch(/paused until <!date\^/);
  });

  it('/keys pause <phone> [minutes] pauses (default 60); bad minutes and unknown phones are refused', async () => {
    const reply = await command(app, `pause ${FRESH} 30`);
    expect(reply.text).toContain(`${FRESH} are paused until <!date^`);
    let phone = (await app.context.models.Phone.findOne({ number: FRESH }).lean())!;
    expect(phone.pausedUntil?.getTime()).toBe(clock.now().getTime() + 30 * MINUTE);
    expect(phone.pausedBy).toBe('UADMIN');

    await command(app, `pause ${FRESH}`);
    phone = (await app.context.models.Phone.findOne({ number: FRESH }).lean())!;
    expect(phone.pausedUntil?.getTime()).toBe(clock.now().getTime() + 60 * MINUTE);
    expect(await auditCount({ phoneNumber: FRESH, action: 'phone.paused', actor: 'UADMIN' })).toBe(2);

    expect((await command(app, `pause ${FRESH} 0`)).text).toMatch(/Pause for 1 to 10080 minutes/);
    expect((await command(app, `pause ${FRESH} 20000`)).text).toMatch(/Pause for 1 to 10080 minutes/);
    expect((await command(app, 'pause +2349999999999')).text).toMatch(/No phone \+2349999999999/);
    expect((await command(app, 'pause nonsense')).text).toMatch(/not a phone number/);
  });

  it('/keys resume <phone> lifts the pause; resuming an unpaused phone says so', async () => {
    expect((await command(app, `resume ${FRESH}`)).text).toContain(`${FRESH} are back on`);
    expect((await app.context.models.Phone.findOne({ number: FRESH }).lean())!.pausedUntil).toBeNull();
    expect(await auditCount({ phoneNumber: FRESH, action: 'phone.resumed' })).toBe(1);
    expect((await command(app, `resume ${FRESH}`)).text).toMatch(/is not paused/);
  });
});

describe('/keys audit [key]', () => {
  it("lists recent changes (at most 20), newest first; with a key, only that key's", async () => {
    const all = await command(app, 'audit');
    const text = textOf(all);
    expect(text).toContain('<@UADMIN> created *cmd-gw*');
    expect(text).toContain(`<@UADMIN> resumed the alerts of ${FRESH}`);
    expect(text.indexOf('resumed the alerts of')).toBeLessThan(text.indexOf('created *cmd-gw*'));
    const lines = all.blocks
      .filter((b: { type: string }) => b.type === 'section')
      .flatMap((b: { text: { text: string } }) => b.text.text.split('\n'));
    // Phones registering themselves are folded into :iphone: lines, which the 20 do not count.
    const changes = await app.context.models.AuditEntry.countDocuments({
      $nor: [{ action: { $in: ['phone.linked', 'phone.unlinked'] }, actor: /^(phone|system):/ }],
    });
    expect(lines.filter((line: string) => !line.startsWith(':iphone:'))).toHaveLength(Math.min(20, changes));
    // More than 20: only the 20 newest.
    for (let i = 0; i < 25; i++) await app.context.domain.audit.record({ actor: 'UADMIN', action: `test.filler_${i}` });
    const capped = await command(app, 'audit');
    const cappedLines = capped.blocks
      .filter((b: { type: string }) => b.type === 'section')
      .flatMap((b: { text: { text: string } }) => b.text.text.split('\n'));
    expect(cappedLines).toHaveLength(20);
    expect(cappedLines[0]).toContain('test.filler_24');

    const gw = await keys().get('phones-gw');
    const one = await command(app, 'audit phones-gw');
    const oneText = textOf(one);
    expect(oneText).toContain(`Audit: phones-gw (${gw.publicId})`);
    expect(oneText).toContain('<@UADMIN> created *phones-gw*');
    expect(oneText).not.toContain('cmd-gw');
    const keyIds = [...oneText.matchAll(/`pk_([a-z2-7]{8})`/g)].map((m) => m[1]);
    expect(new Set(keyIds)).toEqual(new Set([gw.keyId]));
  });
});

describe('App Home', () => {
  it('app_home_opened publishes a summary: keys due for rotation first, silent phones first', async () => {
    const due = await keys().create({ name: 'due-gw', ipLock: { mode: 'off' }, actor: 'UADMIN' });
    await app.context.models.Key.updateOne({ keyId: due.view.keyId }, { $set: { rotationDue: true } });
    await keys().create({ name: 'newest-gw', ipLock: { mode: 'off' }, actor: 'UADMIN' });

    const res = await app.slack.event(appHomeOpened('UVIEWER'));
    expect(res.status).toBe(200);
    const publish = await app.fake.waitFor('views.publish', (c) => c.args.user_id === 'UVIEWER');
    const home = textOf(publish.args.view);
    expect(publish.args.view.type).toBe('home');
    expect(home.indexOf('due-gw')).toBeLessThan(home.indexOf('newest-gw'));
    expect(home).toContain('1 due for rotation');
    // The unlinked number (SILENT has no key) comes last and is not counted among the linked phones.
    expect(home.indexOf(FRESH)).toBeLessThan(home.indexOf(ONLINE));
    expect(home.indexOf(ONLINE)).toBeLessThan(home.indexOf(SILENT));
    expect(home).toContain('0 silent · 0 failing · 1 unlinked');
    expect(home).not.toMatch(FULL_KEY);
  });
});

describe('failures', () => {
  it('an unexpected error gets a generic ephemeral answer with no internals, and is logged', async () => {
    const phones = app.context.domain.phones;
    const original = phones.page;
    phones.page = async () => {
      throw new Error('connection pool exploded at 10.1.2.3');
    };
    try {
      const reply = await command(app, 'phones');
      expect(reply.response_type).toBe('ephemeral');
      expect(reply.text).toMatch(/Something went wrong/);
      expect(JSON.stringify(reply)).not.toContain('exploded');
      expect(app.logs.some((l) => l.includes('connection pool exploded') && l.includes('/keys phones'))).toBe(true);
    } finally {
      phones.page = original;
    }
  });
});
