/**
 * The Slack outbox under a Slack that misbehaves (README: Slack outbox): refusals for good do
 * not block other messages, a rate limit delays only its method and never an interactive call,
 * a lost response is looked up rather than posted twice, a deleted key pages nobody.
 * All black box: signed Slack requests, `runJob`, and the fake Slack's record of what it showed.
 */
import { describe, expect, test } from 'vitest';
import { runJob } from '../../src/jobs/index.js';
import { ActionId } from '../../src/slack/ids.js';
import { pressInEphemeral } from '../bot/helpers.js';
import { sampleValue, scrape } from '../support/prometheus.js';
import { newTriggerId } from '../support/slackRequests.js';
import { ALERT_CHANNEL, startTestApp, testClock, useTwoInstances } from '../support/testApp.js';
import { CREATOR, heartbeat, keyWithPhones, MINUTE, useJobsApp } from './helpers.js';

const T0 = '2026-11-22T10:00:00Z';
const SINGLE_ALERTS = { ALERT_GROUP_MIN: '1000', SILENT_REOPEN_MINUTES: '0' };
const jobs = useJobsApp({ SILENT_AFTER_MINUTES: '30', SILENT_REMIND_MINUTES: '60', ADMIN_USER_IDS: 'UADMIN,UOPS', ...SINGLE_ALERTS }, T0);
const { clock } = jobs;

const alerts = () => jobs.app.fake.messagesIn(ALERT_CHANNEL).filter((m) => !m.thread_ts);
const silentPhones = () => runJob('silent-phones', jobs.app.context);

/** Phones that heartbeat now and are silent 31 minutes later. */
async function silentPhonesOf(name: string, count: number): Promise<string[]> {
  const { numbers } = await keyWithPhones(jobs.app.context, name, count);
  for (const n of numbers) await heartbeat(jobs.app.context, n);
  clock.advance(31 * MINUTE);
  return numbers;
}

describe('refusals for good', () => {
  test('three alerts Slack refuses for good do not hold back a fourth: it is posted in the same run; they are given up, counted, and the admins DMed once', async () => {
    const [bad1, bad2, bad3, good] = (await silentPhonesOf('gw-hol', 4)) as [string, string, string, string];
    const refusal: Record<string, string> = { [bad1]: 'channel_not_found', [bad2]: 'is_archived', [bad3]: 'not_in_channel' };
    for (const [number, error] of Object.entries(refusal)) {
      jobs.app.fake.failNext('chat.postMessage', { error, times: Number.POSITIVE_INFINITY, match: (a) => String(a.text).includes(number) });
    }
    const first = await silentPhones();
    expect(first.summary).toMatchObject({ detected: 4, posted: 1, slackFailures: 3 });
    expect(alerts().map((m) => m.text)).toEqual([expect.stringContaining(good)]);

    // A few attempts each (1 min, then 5 min apart), then given up.
    clock.advance(MINUTE);
    expect((await silentPhones()).summary).toMatchObject({ posted: 0, slackFailures: 3 });
    clock.advance(5 * MINUTE);
    expect((await silentPhones()).summary).toMatchObject({ posted: 0, givenUp: 3 });
    clock.advance(60 * MINUTE);
    await silentPhones();
    const attempts = (n: string) =>
      jobs.app.fake.callsTo('chat.postMessage').filter((c) => String(c.args.text).includes(n) && !c.args.thread_ts);
    for (const n of [bad1, bad2, bad3]) expect(attempts(n)).toHaveLength(3);

    const given = await jobs.app.context.models.OutboxMessage.find({ kind: 'incident.message', state: 'given_up' }).lean();
    expect(given.map((g) => g.lastError).sort()).toEqual(['channel_not_found', 'is_archived', 'not_in_channel']);
    const { samples } = await scrape(jobs.app.baseUrl);
    expect(sampleValue(samples, 'phonekeys_slack_outbox_given_up_total', { kind: 'incident.message', error: 'not_in_channel' })).toBe(1);
    expect(sampleValue(samples, 'phonekeys_slack_outbox_messages_total', { kind: 'incident.message', outcome: 'given_up' })).toBe(3);

    // Each admin is told once, with the fix.
    for (const admin of ['UADMIN', 'UOPS']) {
      const dms = jobs.app.fake.messagesIn(admin);
      expect(dms).toHaveLength(1);
      expect(dms[0]!.text).toContain('/invite @phonekeys');
      expect(dms[0]!.text).toContain(`<#${ALERT_CHANNEL}>`);
    }
  });

  test('the channel is read from the configuration when posting: fixing ALERT_CHANNEL_ID delivers alerts owed to the old one', async () => {
    const { testDatabaseUri } = await import('../support/database.js');
    const uri = testDatabaseUri('outbox_channel_fixed');
    const shared = testClock(T0);
    const wrong = await startTestApp({
      clock: shared.now,
      mongodbUri: uri,
      fake: jobs.app.fake,
      env: { ALERT_CHANNEL_ID: 'C0GONE', ...SINGLE_ALERTS },
    });
    let numbers: string[];
    try {
      ({ numbers } = await keyWithPhones(wrong.context, 'gw-moved', 2));
      for (const n of numbers) await heartbeat(wrong.context, n);
      shared.advance(31 * MINUTE);
      jobs.app.fake.setChannel('C0GONE', { exists: false });
      expect((await runJob('silent-phones', wrong.context)).summary).toMatchObject({ detected: 2, posted: 0, slackFailures: 2 });
      expect(await wrong.context.alertChannel.status()).toMatchObject({ state: 'broken', error: 'channel_not_found' });
    } finally {
      await wrong.close();
    }
    // The operator sets ALERT_CHANNEL_ID right and restarts: same database, new configuration.
    const fixed = await startTestApp({ clock: shared.now, mongodbUri: uri, fake: jobs.app.fake, env: SINGLE_ALERTS });
    try {
      shared.advance(MINUTE);
      await runJob('silent-phones', fixed.context);
      await fixed.context.slackOutbox.drain(); // the start-up pass may have taken them meanwhile: either way, once
      const posted = alerts();
      expect(posted).toHaveLength(2);
      for (const n of numbers) expect(posted.some((m) => m.text?.includes(n))).toBe(true);
      expect(jobs.app.fake.messagesIn('C0GONE')).toHaveLength(0);
    } finally {
      await fixed.close();
    }
  });
});

describe('rate limits', () => {
  test('a 429 with Retry-After: 20 on chat.postMessage: the run does not wait, /keys create opens its modal at once, the alert goes out after 20 s', async () => {
    const [number] = (await silentPhonesOf('gw-limited', 1)) as [string];
    jobs.app.fake.failNext('chat.postMessage', { status: 429, retryAfter: 20 });

    const started = performance.now();
    const run = silentPhones();
    const triggerId = newTriggerId();
    const opened = jobs.app.slack.command('create gw-during-limit', { triggerId, userId: 'UADMIN' });
    const modal = await jobs.app.fake.waitFor('views.open', (c) => c.args.trigger_id === triggerId, 3000);
    expect(modal.response?.body.ok).toBe(true);
    expect((await opened).status).toBe(200);
    expect((await run).summary).toMatchObject({ detected: 1, posted: 0, slackFailures: 1 });
    // No sleeping through Retry-After anywhere: both were done long before 20 s.
    expect(performance.now() - started).toBeLessThan(3000);
    expect(alerts()).toHaveLength(0);

    clock.advance(19_000);
    await silentPhones();
    expect(alerts()).toHaveLength(0);
    clock.advance(1_000);
    await silentPhones();
    expect(alerts().map((m) => m.text)).toEqual([expect.stringContaining(number)]);
    expect(jobs.app.fake.callsTo('chat.postMessage').filter((c) => !c.args.thread_ts)).toHaveLength(2);
  });

  test("a rate limit holds back only its method's messages: an alert update goes out while posts wait", async () => {
    const [back] = (await silentPhonesOf('gw-update-while-limited', 1)) as [string];
    await silentPhones();
    const [alert] = alerts();
    const newcomer = (await keyWithPhones(jobs.app.context, 'gw-newcomer')).numbers[0]!;
    await heartbeat(jobs.app.context, newcomer);
    clock.advance(31 * MINUTE);
    await heartbeat(jobs.app.context, back); // back: its message is updated (chat.update) and a reply posted
    jobs.app.fake.failNext('chat.postMessage', { status: 429, retryAfter: 60 });
    await silentPhones(); // the newcomer's alert and the reply are posts: one meets the limit, both wait
    expect(jobs.app.fake.message(ALERT_CHANNEL, alert!.ts)!.text).toMatch(/Resolved/);
    expect(alerts().some((m) => m.text?.includes(newcomer))).toBe(false);
    expect(jobs.app.fake.threadReplies(ALERT_CHANNEL, alert!.ts)).toHaveLength(0);
    expect(jobs.app.fake.callsTo('chat.postMessage')).toHaveLength(2); // the first post, and the one refused

    clock.advance(59_000);
    await silentPhones();
    expect(jobs.app.fake.callsTo('chat.postMessage')).toHaveLength(2);
    clock.advance(1_000);
    await silentPhones();
    expect(alerts().some((m) => m.text?.includes(newcomer))).toBe(true);
    expect(jobs.app.fake.threadReplies(ALERT_CHANNEL, alert!.ts)).toHaveLength(1);
  });

  test('an interactive call that is rate limited fails at once instead of sleeping (views.open)', async () => {
    jobs.app.fake.failNext('views.open', { status: 429, retryAfter: 30 });
    const started = performance.now();
    const url = jobs.app.fake.responseUrl();
    const res = await jobs.app.slack.command('create gw-limited-modal', { userId: 'UADMIN', responseUrl: url });
    expect(res.status).toBe(200);
    const answer = await jobs.app.fake.waitForResponse((r) => r.id === url.split('/').pop(), 3000);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(JSON.stringify(answer.body)).toMatch(/went wrong|try again/i);
  });
});

describe('unknown outcomes', () => {
  test('Slack answers 500 after accepting a post: the next attempt finds it (metadata) and does not post again', async () => {
    const [number] = (await silentPhonesOf('gw-lost-answer', 1)) as [string];
    jobs.app.fake.failNext('chat.postMessage', { status: 500, afterAccepting: true });
    expect((await silentPhones()).summary).toMatchObject({ detected: 1, posted: 0, slackFailures: 1 });
    expect(alerts()).toHaveLength(1); // Slack did post it

    clock.advance(MINUTE);
    await silentPhones();
    await silentPhones();
    expect(alerts()).toHaveLength(1);
    expect(jobs.app.fake.callsTo('conversations.history').length).toBeGreaterThan(0);
    const [alert] = alerts();
    expect(alert!.metadata).toMatchObject({ event_type: 'phonekeys_outbox' });

    // Found means recorded: its recovery goes in its thread.
    await heartbeat(jobs.app.context, number);
    await silentPhones();
    expect(jobs.app.fake.threadReplies(ALERT_CHANNEL, alert!.ts)).toHaveLength(1);
    expect(jobs.app.fake.message(ALERT_CHANNEL, alert!.ts)!.text).toMatch(/Resolved/);
  });

  test('a thread reply whose answer was lost is looked up in the thread, not posted twice', async () => {
    const [number] = (await silentPhonesOf('gw-lost-reply', 1)) as [string];
    await silentPhones();
    const [alert] = alerts();
    await heartbeat(jobs.app.context, number);
    jobs.app.fake.failNext('chat.postMessage', { status: 502, afterAccepting: true, match: (a) => Boolean(a.thread_ts) });
    await silentPhones();
    await silentPhones();
    expect(jobs.app.fake.threadReplies(ALERT_CHANNEL, alert!.ts)).toHaveLength(1);
    expect(jobs.app.fake.callsTo('conversations.replies').length).toBeGreaterThan(0);
  });

  test('a rotation notice whose answer was lost is posted once (a batch is retried as the same message)', async () => {
    for (let i = 0; i < 3; i++)
      await jobs.app.context.domain.keys.create({ name: `gw-batch-${i}`, ipLock: { mode: 'off' }, actor: CREATOR });
    clock.advance(91 * 24 * 60 * MINUTE);
    jobs.app.fake.failNext('chat.postMessage', { status: 500, afterAccepting: true, match: (a) => a.channel === ALERT_CHANNEL });
    await runJob('key-rotation', jobs.app.context);
    clock.advance(MINUTE);
    await runJob('key-rotation', jobs.app.context);
    const notices = jobs.app.fake.messagesIn(ALERT_CHANNEL);
    expect(notices).toHaveLength(1);
    expect(notices[0]!.text).toContain('3 phone keys');
    expect(await jobs.app.context.models.OutboxMessage.countDocuments({ kind: 'rotation.notice', state: 'sent' })).toBe(3);
  });
});

describe('a revoked key', () => {
  test('/keys delete of a key whose phone is silent: no alert, then or later', async () => {
    const { keyId, numbers } = await keyWithPhones(jobs.app.context, 'gw-deleted-silent');
    await heartbeat(jobs.app.context, numbers[0]!);
    clock.advance(31 * MINUTE); // silent, not yet alerted
    const answer = await pressInEphemeral(jobs.app, ActionId.deleteKey, keyId, { userId: 'UADMIN' });
    expect(JSON.stringify(answer)).toMatch(/revoked|deleted/i);
    await silentPhones();
    clock.advance(3 * 60 * MINUTE);
    await silentPhones();
    expect(alerts()).toHaveLength(0);
    expect(await jobs.app.context.models.Alert.countDocuments()).toBe(0);
    expect(await jobs.app.context.models.Phone.findOne({ number: numbers[0] }).lean()).toMatchObject({ state: 'down', alertId: null });
  });

  test('deleting a key whose phone has an open alert resolves it as "key deleted" at once; no reminder follows', async () => {
    const { keyId, numbers } = await keyWithPhones(jobs.app.context, 'gw-deleted-alerted');
    await heartbeat(jobs.app.context, numbers[0]!);
    clock.advance(31 * MINUTE);
    await silentPhones();
    const [alert] = alerts();
    expect(alert!.text).toContain(numbers[0]);

    await pressInEphemeral(jobs.app, ActionId.deleteKey, keyId, { userId: 'UADMIN' });
    const replies = () => jobs.app.fake.threadReplies(ALERT_CHANNEL, alert!.ts);
    // The delete kicks an outbox pass in the background; passes of our own meet it there.
    await expect
      .poll(async () => {
        await jobs.app.context.slackOutbox.drain();
        return replies().map((r) => r.text);
      })
      .toEqual([expect.stringContaining('no longer watched')]);
    expect(replies()[0]!.text).toContain('was deleted by <@UADMIN>');
    expect(jobs.app.fake.message(ALERT_CHANNEL, alert!.ts)!.text).toMatch(/Resolved: key .* was deleted by <@UADMIN> at/);

    clock.advance(5 * 60 * MINUTE); // reminders would be due every hour
    await silentPhones();
    expect(replies()).toHaveLength(1);
    expect(alerts()).toHaveLength(1);
  });
});

describe('two app instances', () => {
  const shared = testClock(T0);
  const two = useTwoInstances('outbox_two_instances', shared.now, SINGLE_ALERTS);

  test('share the outbox: every message once, whichever drains it', async () => {
    const { a, b } = two;
    const drainBoth = () =>
      Promise.all([
        a.context.slackOutbox.drain(),
        b.context.slackOutbox.drain(),
        a.context.slackOutbox.drain(),
        b.context.slackOutbox.drain(),
      ]);
    const { numbers } = await keyWithPhones(a.context, 'gw-two-outboxes', 8);
    for (const n of numbers) await heartbeat(a.context, n);
    shared.advance(31 * MINUTE);
    await a.context.domain.monitor.detectSilent();
    await drainBoth();
    for (const n of numbers) await heartbeat(a.context, n);
    await b.context.domain.monitor.resolveRecovered();
    await drainBoth();
    const posted = a.fake.messagesIn(ALERT_CHANNEL).filter((m) => !m.thread_ts && numbers.some((n) => m.text?.includes(n)));
    expect(posted).toHaveLength(8);
    for (const m of posted) expect(a.fake.threadReplies(ALERT_CHANNEL, m.ts)).toHaveLength(1);
    expect(a.fake.callsTo('chat.update').filter((c) => posted.some((m) => m.ts === c.args.ts))).toHaveLength(8);
  });
});
