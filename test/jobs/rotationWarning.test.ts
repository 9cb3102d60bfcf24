/**
 * Rotation warnings (README: Scheduled jobs and alerts): KEY_ROTATION_WARN_DAYS before a key is
 * due, its creator gets one DM with a Rotate now button (admins), which rotates and reveals the
 * successor. And a phone number taken over by another key posts one notice to the alert channel.
 */
import { describe, expect, test } from 'vitest';
import { runJob } from '../../src/jobs/index.js';
import { ActionId } from '../../src/slack/ids.js';
import { ALERT_CHANNEL } from '../support/testApp.js';
import { newNumber, register } from '../webhooks/support.js';
import { DAY, MINUTE, useJobsApp } from './helpers.js';

const T0 = '2026-11-22T10:00:00Z';
const jobs = useJobsApp({ KEY_ROTATION_DAYS: '90', KEY_ROTATION_WARN_DAYS: '7', ADMIN_USER_IDS: 'UADMIN' }, T0);
const { clock } = jobs;
const FULL_KEY = /pk_[a-z2-7]{8}_[A-Za-z0-9_-]{64}/;

const createKey = (name: string, actor = 'UADMIN') => jobs.app.context.domain.keys.create({ name, ipLock: { mode: 'off' }, actor });

describe('the rotation warning', () => {
  test('once, KEY_ROTATION_WARN_DAYS before the key is due, with a Rotate now button that rotates and reveals', async () => {
    const { view } = await createKey('gw-warned');
    clock.set(new Date(Date.parse(T0) + 83 * DAY - MINUTE));
    await runJob('key-rotation', jobs.app.context);
    expect(jobs.app.fake.messagesIn('UADMIN')).toHaveLength(0);

    clock.advance(2 * MINUTE);
    expect((await runJob('key-rotation', jobs.app.context)).summary).toMatchObject({ warned: 1, warningsSent: 1, flagged: 0 });
    clock.advance(DAY);
    await Promise.all([runJob('key-rotation', jobs.app.context), runJob('key-rotation', jobs.app.context)]);
    const dms = jobs.app.fake.messagesIn('UADMIN');
    expect(dms).toHaveLength(1);
    expect(dms[0]!.text).toContain('gw-warned');
    expect(dms[0]!.text).toMatch(/due for rotation in (6 d|7 d)/);
    const button = JSON.stringify(dms[0]!.blocks).match(/"action_id":"key_rotate_now","value":"([a-z2-7]{8})"/);
    expect(button?.[1]).toBe(view.keyId);
    expect(jobs.app.fake.messagesIn(ALERT_CHANNEL)).toHaveLength(0); // the channel hears when it is due

    // Not an admin: refused. The admin: rotated, the successor revealed by DM.
    const press = async (userId: string) => {
      const responseUrl = jobs.app.fake.responseUrl();
      await jobs.app.slack.blockAction(ActionId.rotateNow, view.keyId, {
        userId,
        channelId: 'DUADMIN',
        messageTs: dms[0]!.ts,
        responseUrl,
      });
      return String((await jobs.app.fake.waitForResponse((r) => r.id === responseUrl.split('/').pop())).body.text);
    };
    expect(await press('UOTHER')).toMatch(/only <@UADMIN> may/);
    expect(await jobs.app.context.models.Key.findOne({ keyId: view.keyId }).lean()).toMatchObject({ status: 'active' });
    expect(await press('UADMIN')).toMatch(/The new key is in your DMs/);
    expect(await jobs.app.context.models.Key.findOne({ keyId: view.keyId }).lean()).toMatchObject({ status: 'rotating' });
    expect(jobs.app.fake.messagesIn('UADMIN').some((m) => FULL_KEY.test(JSON.stringify(m.blocks)))).toBe(true);

    // Rotated: nothing more about it, even when it would have been due.
    clock.advance(8 * DAY);
    await runJob('key-rotation', jobs.app.context);
    expect(jobs.app.fake.messagesIn(ALERT_CHANNEL)).toHaveLength(0);
  });

  test('a key already due is flagged (due DM and channel notice), not warned', async () => {
    await createKey('gw-late');
    clock.set(new Date(Date.parse(T0) + 91 * DAY));
    expect((await runJob('key-rotation', jobs.app.context)).summary).toMatchObject({ warned: 0, flagged: 1, dmsSent: 1, announced: 1 });
    const dms = jobs.app.fake.messagesIn('UADMIN');
    expect(dms).toHaveLength(1);
    expect(dms[0]!.text).toContain('due for rotation (older than 90 days)');
  });
});

describe('a number taken over by another key', () => {
  test('one notice in the alert channel (number, old key, new key, when); none for a rotation successor', async () => {
    const first = await createKey('gw-owner');
    const second = await createKey('gw-taker');
    const number = newNumber();
    const asKey = (created: typeof first) => ({ key: created.key, publicId: created.view.publicId, keyId: created.view.keyId });
    await register(jobs.app, clock, asKey(first), [number]);
    expect(jobs.app.fake.messagesIn(ALERT_CHANNEL)).toHaveLength(0);

    clock.advance(MINUTE);
    await register(jobs.app, clock, asKey(second), [number]);
    await register(jobs.app, clock, asKey(second), [number]); // registering again is no move
    await jobs.app.context.slackOutbox.drain();
    const notices = jobs.app.fake.messagesIn(ALERT_CHANNEL);
    expect(notices).toHaveLength(1);
    expect(notices[0]!.text).toContain(
      `Phone ${number} moved from key gw-owner (${first.view.publicId}) to key gw-taker (${second.view.publicId})`,
    );

    // The phone switching to its key's successor after a rotation is not a takeover.
    const { key: successorKey, view: successor } = await jobs.app.context.domain.keys.rotate(second.view.publicId, 'UADMIN');
    await register(jobs.app, clock, { key: successorKey, publicId: successor.publicId, keyId: successor.keyId }, [number]);
    await jobs.app.context.slackOutbox.drain();
    expect(jobs.app.fake.messagesIn(ALERT_CHANNEL)).toHaveLength(1);
  });
});
