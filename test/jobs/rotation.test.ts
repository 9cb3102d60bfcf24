import { describe, expect, test } from 'vitest';
import { runJob } from '../../src/jobs/index.js';
import { checkKey } from '../support/keyCheck.js';
import { ALERT_CHANNEL } from '../support/testApp.js';
import { CREATOR, DAY, HOUR, MINUTE, useJobsApp } from './helpers.js';

const T0 = '2026-11-22T10:00:00Z';
// Warnings before a key is due are tested in rotationWarning.test.ts.
const jobs = useJobsApp({ KEY_ROTATION_DAYS: '90', ROTATION_GRACE_HOURS: '24', KEY_ROTATION_WARN_DAYS: '0' });
const { clock } = jobs;

const createKey = (name: string, actor = CREATOR) => jobs.app.context.domain.keys.create({ name, ipLock: { mode: 'off' }, actor });
const keyRecord = (keyId: string) => jobs.app.context.models.Key.findOne({ keyId }).lean();
const dmsTo = (user: string) => jobs.app.fake.messagesIn(user);
const channelNotices = () => jobs.app.fake.messagesIn(ALERT_CHANNEL);

describe('key-rotation', () => {
  test('keys older than KEY_ROTATION_DAYS are flagged once: a DM to the creator and one channel message', async () => {
    const old1 = await createKey('gw-old-one');
    const old2 = await createKey('gw-old-two', 'UOTHER');
    clock.advance(60 * DAY);
    const young = await createKey('gw-young');

    clock.set(new Date(Date.parse(T0) + 90 * DAY - MINUTE));
    expect((await runJob('key-rotation', jobs.app.context)).summary).toMatchObject({ flagged: 0 });
    expect(jobs.app.fake.callsTo('chat.postMessage')).toHaveLength(0);
    expect(jobs.app.fake.callsTo('conversations.open')).toHaveLength(0);

    clock.set(new Date(Date.parse(T0) + 91 * DAY));
    const run = await runJob('key-rotation', jobs.app.context);
    expect(run.summary).toMatchObject({ flagged: 2, dmsSent: 2, announced: 2, slackFailures: 0 });

    const flagged = await keyRecord(old1.view.keyId);
    expect(flagged).toMatchObject({ rotationDue: true, rotationFlaggedAt: clock.now() });
    expect(await keyRecord(young.view.keyId)).toMatchObject({ rotationDue: false, rotationFlaggedAt: null });

    expect(dmsTo(CREATOR)).toHaveLength(1);
    expect(dmsTo(CREATOR)[0]!.text).toContain('/keys rotate gw-old-one');
    expect(dmsTo(CREATOR)[0]!.text).toContain(old1.view.publicId);
    expect(dmsTo('UOTHER')).toHaveLength(1);
    expect(dmsTo('UOTHER')[0]!.text).toContain('/keys rotate gw-old-two');

    expect(channelNotices()).toHaveLength(1);
    const notice = JSON.stringify(channelNotices()[0]);
    for (const { view } of [old1, old2]) {
      expect(notice).toContain(view.name);
      expect(notice).toContain(view.publicId);
    }
    expect(notice).not.toContain('gw-young');
    expect(notice).toContain('/keys rotate');

    const audit = await jobs.app.context.domain.audit.recent({ keyId: old1.view.keyId });
    expect(audit.filter((e) => e.action === 'key.rotation_due')).toHaveLength(1);

    // Not flagged again, nothing sent again.
    clock.advance(DAY);
    expect((await runJob('key-rotation', jobs.app.context)).summary).toMatchObject({ flagged: 0, dmsSent: 0, announced: 0 });
    expect(jobs.app.fake.callsTo('chat.postMessage')).toHaveLength(3);
    expect(await keyRecord(old1.view.keyId)).toMatchObject({ rotationFlaggedAt: flagged!.rotationFlaggedAt });
  });

  test('rotated and revoked keys are not flagged', async () => {
    const rotated = await createKey('gw-rotated');
    const revoked = await createKey('gw-revoked');
    await jobs.app.context.domain.keys.revoke(revoked.view.publicId, CREATOR);
    clock.advance(91 * DAY);
    const { view: successor } = await jobs.app.context.domain.keys.rotate(rotated.view.publicId, CREATOR);
    expect((await runJob('key-rotation', jobs.app.context)).summary).toMatchObject({ flagged: 0 });
    expect(channelNotices()).toHaveLength(0);
    expect(await keyRecord(successor.keyId)).toMatchObject({ status: 'active', rotationDue: false });
  });

  test('notices Slack refused go out on a later run, once', async () => {
    const key = await createKey('gw-notice-retry');
    clock.advance(91 * DAY);
    jobs.app.fake.failNext('conversations.open', { status: 500 });
    jobs.app.fake.failNext('chat.postMessage', { error: 'ratelimited', status: 429, retryAfter: 0 });
    const first = await runJob('key-rotation', jobs.app.context);
    expect(first.summary).toMatchObject({ flagged: 1, dmsSent: 0, announced: 0, slackFailures: 2 });
    expect(dmsTo(CREATOR)).toHaveLength(0);
    expect(channelNotices()).toHaveLength(0);
    expect(await keyRecord(key.view.keyId)).toMatchObject({ rotationDue: true });
    const owed = await jobs.app.context.models.OutboxMessage.find({ subject: key.view.keyId }).lean();
    expect(owed.map((o) => [o.kind, o.state]).sort()).toEqual([
      ['rotation.due', 'pending'],
      ['rotation.notice', 'pending'],
    ]);

    clock.advance(DAY);
    expect((await runJob('key-rotation', jobs.app.context)).summary).toMatchObject({ flagged: 0, dmsSent: 1, announced: 1 });
    await runJob('key-rotation', jobs.app.context);
    expect(dmsTo(CREATOR)).toHaveLength(1);
    expect(channelNotices()).toHaveLength(1);
  });

  test('a creator who cannot be DMed does not block the channel notice or retry forever', async () => {
    await createKey('gw-gone-user', 'UGONE');
    clock.advance(91 * DAY);
    jobs.app.fake.failNext('conversations.open', { error: 'user_not_found' });
    expect((await runJob('key-rotation', jobs.app.context)).summary).toMatchObject({
      flagged: 1,
      dmsSent: 0,
      announced: 1,
      slackFailures: 0,
    });
    await runJob('key-rotation', jobs.app.context);
    expect(jobs.app.fake.callsTo('conversations.open')).toHaveLength(1);
  });

  test('many keys share channel messages (at most 40 per message)', async () => {
    for (let i = 0; i < 45; i++) await createKey(`gw-bulk-${i}`);
    clock.advance(91 * DAY);
    expect((await runJob('key-rotation', jobs.app.context)).summary).toMatchObject({ flagged: 45, announced: 45 });
    expect(channelNotices()).toHaveLength(2);
    expect(channelNotices()[0]!.text).toContain('40 phone keys');
    expect(channelNotices()[1]!.text).toContain('5 phone keys');
  });
});

describe('expire-rotated-keys', () => {
  test('a rotated key is revoked when its grace ends; the check refuses it as revoked', async () => {
    const original = await createKey('gw-expiring');
    const { view: successor } = await jobs.app.context.domain.keys.rotate(original.view.publicId, CREATOR);
    expect(await keyRecord(original.view.keyId)).toMatchObject({ status: 'rotating', graceEndsAt: new Date(Date.parse(T0) + 24 * HOUR) });

    clock.advance(24 * HOUR - MINUTE);
    expect((await runJob('expire-rotated-keys', jobs.app.context)).summary).toMatchObject({ revoked: 0 });
    expect(await checkKey(jobs.app.context, original.view.publicId, '192.0.2.1')).toMatchObject({ ok: true });

    clock.advance(MINUTE);
    expect((await runJob('expire-rotated-keys', jobs.app.context)).summary).toMatchObject({ revoked: 1 });
    expect(await keyRecord(original.view.keyId)).toMatchObject({
      status: 'revoked',
      revokedBy: 'system:expire-rotated-keys',
      revokedAt: clock.now(),
    });
    expect(await checkKey(jobs.app.context, original.view.publicId, '192.0.2.1')).toMatchObject({ ok: false, reason: 'revoked' });
    expect(await checkKey(jobs.app.context, successor.publicId, '192.0.2.1')).toMatchObject({ ok: true });

    const audit = await jobs.app.context.domain.audit.recent({ keyId: original.view.keyId });
    expect(audit.filter((e) => e.action === 'key.revoked')).toMatchObject([
      { actor: 'system:expire-rotated-keys', details: { reason: 'rotation grace ended' } },
    ]);

    // Runs at once, later: nothing revoked twice.
    clock.advance(HOUR);
    const again = await Promise.all([
      jobs.app.context.domain.rotation.expireRotatedKeys(),
      jobs.app.context.domain.rotation.expireRotatedKeys(),
    ]);
    expect(again.flat()).toHaveLength(0);
    expect(
      (await jobs.app.context.domain.audit.recent({ keyId: original.view.keyId })).filter((e) => e.action === 'key.revoked'),
    ).toHaveLength(1);
  });
});
