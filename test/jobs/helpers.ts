import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { AppContext } from '../../src/context.js';
import type { OutboxItem } from '../../src/domain/outbox.js';
import { incidentMessageRef } from '../../src/domain/outboxRefs.js';
import type { AlertKind } from '../../src/models/index.js';
import { startTestApp, type TestApp, type TestClock, testClock } from '../support/testApp.js';

/** A Slack admin who creates the test keys. */
export const CREATOR = 'UCREATOR';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/**
 * What an accepted heartbeat does (the webhook receiver's contract with the jobs): `$set`
 * lastHeartbeatAt (server time), charging, battery and state 'up' — never alertId — and one
 * PhoneEvent per heartbeat.
 */
export async function heartbeat(context: AppContext, number: string, at: Date = context.clock()): Promise<void> {
  const phone = await context.models.Phone.findOneAndUpdate(
    { number },
    { $set: { lastHeartbeatAt: at, charging: true, battery: 80, state: 'up' } },
    { returnDocument: 'after' },
  ).lean();
  if (!phone) throw new Error(`heartbeat: no phone ${number}`);
  await context.models.PhoneEvent.create({
    keyId: phone.keyId ?? 'unknown',
    webhookId: `msg_${randomBytes(8).toString('hex')}`,
    type: 'phone.heartbeat',
    phoneNumber: number,
    phoneNumbers: [number],
    data: { phone_numbers: [number], charging: true, battery: 80 },
    occurredAt: at,
    receivedAt: at,
  });
}

let phoneCounter = 0;
/** A fresh E.164 number per call, so tests never share phones. */
export function newNumber(): string {
  phoneCounter += 1;
  return `+23480${String(process.pid % 1000).padStart(3, '0')}${String(phoneCounter).padStart(5, '0')}`;
}

/** A key (named `name`) with `count` phones linked to it, never heard from (state 'new'). */
export async function keyWithPhones(
  context: AppContext,
  name: string,
  count = 1,
): Promise<{ keyId: string; publicId: string; numbers: string[] }> {
  const { view } = await context.domain.keys.create({ name, ipLock: { mode: 'off' }, actor: CREATOR });
  const numbers = Array.from({ length: count }, () => newNumber());
  await context.domain.keys.linkPhones(view.keyId, numbers, `phone:${view.publicId}`);
  return { keyId: view.keyId, publicId: view.publicId, numbers };
}

/** The outbox item of the Slack message showing a phone's (latest) alert of a kind: where it was posted, its state. */
export async function alertMessageOf(context: AppContext, number: string, kind: AlertKind = 'silent'): Promise<OutboxItem | null> {
  const alert = await context.models.Alert.findOne({ phoneNumber: number, kind }).sort({ since: -1 }).lean();
  return alert ? context.domain.outbox.find(incidentMessageRef(alert.incidentId)) : null;
}

/** Empties what the jobs read and write, between tests sharing one database. */
export async function wipe(context: AppContext): Promise<void> {
  const { Key, Phone, PhoneEvent, Alert, Incident, OutboxMessage, SlackChannel, SlackRateLimit, JobLease, AuditEntry } = context.models;
  await Promise.all(
    [Key, Phone, PhoneEvent, Alert, Incident, OutboxMessage, SlackChannel, SlackRateLimit, JobLease, AuditEntry].map(
      (model: { deleteMany(filter: object): PromiseLike<unknown> }) => model.deleteMany({}),
    ),
  );
}

/**
 * One app for a test file (started once), its clock reset to `start` and its data and
 * fake Slack emptied before each test. Registers the vitest hooks; read `.app` inside tests.
 */
export function useJobsApp(env: Record<string, string> = {}, start = '2026-11-22T10:00:00Z'): { clock: TestClock; readonly app: TestApp } {
  const clock = testClock(start);
  let app: TestApp | undefined;
  beforeAll(async () => {
    app = await startTestApp({ clock: clock.now, env });
  });
  afterAll(async () => {
    await app?.close();
  });
  beforeEach(async () => {
    clock.set(start);
    await wipe(app!.context);
    app!.fake.reset();
  });
  return {
    clock,
    get app() {
      if (!app) throw new Error('the test app is not started yet');
      return app;
    },
  };
}
