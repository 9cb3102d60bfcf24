/**
 * Test keys: their phones are ingested like any other and shown as silent when they are, but
 * never page on-call, while a live phone beside them is alerted, once. Phones register and
 * heartbeat through real signed webhooks.
 */
import { describe, expect, test } from 'vitest';
import { runJob } from '../../src/jobs/index.js';
import { ALERT_CHANNEL } from '../support/testApp.js';
import { heartbeatEvent, post, register, type TestKey } from '../webhooks/support.js';
import { CREATOR, MINUTE, newNumber, useJobsApp } from './helpers.js';

const jobs = useJobsApp({ SILENT_AFTER_MINUTES: '30' });
const { clock } = jobs;

async function key(name: string, environment: 'live' | 'test'): Promise<TestKey> {
  const { key, view } = await jobs.app.context.domain.keys.create({ name, ipLock: { mode: 'off' }, environment, actor: CREATOR });
  return { key, publicId: view.publicId, keyId: view.keyId };
}

const alerts = () => jobs.app.fake.messagesIn(ALERT_CHANNEL);

describe('test environment', () => {
  test("a test key's silent phone is never alerted, while a live one beside it is, once", async () => {
    const live = await key('lagos-live', 'live');
    const sandbox = await key('lagos-sandbox', 'test');
    const liveNumber = newNumber();
    const testNumber = newNumber();
    await register(jobs.app, clock, live, [liveNumber]);
    await register(jobs.app, clock, sandbox, [testNumber]);
    for (const [k, n] of [
      [live, liveNumber],
      [sandbox, testNumber],
    ] as const) {
      expect((await post(jobs.app, clock, { key: k.key, event: heartbeatEvent(clock, [n]) })).status).toBe(202);
    }
    expect(await jobs.app.context.models.Phone.findOne({ number: testNumber }).lean()).toMatchObject({ environment: 'test', state: 'up' });

    // Both fall silent; the job runs several times.
    for (let i = 0; i < 4; i++) {
      clock.advance(16 * MINUTE);
      expect((await runJob('silent-phones', jobs.app.context)).outcome).toBe('ok');
    }
    const posted = alerts();
    expect(posted.filter((m) => !m.thread_ts)).toHaveLength(1);
    expect(posted[0]!.text).toContain(liveNumber);
    expect(JSON.stringify(posted)).not.toContain(testNumber);
    expect(await jobs.app.context.models.Alert.countDocuments({ phoneNumber: testNumber })).toBe(0);

    // Shown as silent wherever phones are listed, and marked test.
    const { phones } = await jobs.app.context.domain.phones.page({});
    expect(phones.find((p) => p.number === testNumber)).toMatchObject({ status: 'silent', environment: 'test' });
    expect(phones.find((p) => p.number === liveNumber)).toMatchObject({ status: 'silent', environment: 'live' });

    // It comes back and falls silent again: still nothing for on-call.
    expect((await post(jobs.app, clock, { key: sandbox.key, event: heartbeatEvent(clock, [testNumber]) })).status).toBe(202);
    expect((await jobs.app.context.domain.phones.page({})).phones.find((p) => p.number === testNumber)?.status).toBe('online');
    clock.advance(45 * MINUTE);
    await runJob('silent-phones', jobs.app.context);
    expect(JSON.stringify(alerts())).not.toContain(testNumber);
    expect(await jobs.app.context.models.Alert.countDocuments({ phoneNumber: testNumber })).toBe(0);
  });

  test('a number that moves from a test key to a live key pages on-call again', async () => {
    const sandbox = await key('moving-sandbox', 'test');
    const live = await key('moving-live', 'live');
    const number = newNumber();
    await register(jobs.app, clock, sandbox, [number]);
    await register(jobs.app, clock, live, [number]);
    expect((await post(jobs.app, clock, { key: live.key, event: heartbeatEvent(clock, [number]) })).status).toBe(202);
    clock.advance(31 * MINUTE);
    await runJob('silent-phones', jobs.app.context);
    expect(alerts().filter((m) => !m.thread_ts && m.text?.includes(number))).toHaveLength(1);
  });
});
