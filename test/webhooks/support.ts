/** Shared by the webhook receiver tests: keys, phones, signed posts on a moved clock, and "nothing changed" checks. */
import { expect } from 'vitest';
import type { IpLockInput } from '../../src/domain/keys.js';
import {
  keyIdOf,
  type PhoneWebhookResponse,
  type PostPhoneWebhookOptions,
  phoneEvent,
  postPhoneWebhook,
} from '../support/phoneRequests.js';
import type { TestApp, TestClock } from '../support/testApp.js';

let names = 0;

export interface TestKey {
  key: string;
  /** `pk_<id>` */
  publicId: string;
  /** the bare id, as stored */
  keyId: string;
}

export async function createKey(app: TestApp, ipLock: IpLockInput = { mode: 'off' }): Promise<TestKey> {
  const { key, view } = await app.context.domain.keys.create({ name: `gw-${process.pid}-${++names}`, ipLock, actor: 'UADMIN' });
  return { key, publicId: view.publicId, keyId: view.keyId };
}

/** Posts on the app's clock (the receiver judges timestamps by it). */
export function post(app: TestApp, clock: TestClock, opts: PostPhoneWebhookOptions): Promise<PhoneWebhookResponse> {
  return postPhoneWebhook(app.baseUrl, { timestamp: clock.now(), ...opts });
}

export function heartbeatEvent(clock: TestClock, numbers: string[], extra: Record<string, unknown> = {}) {
  return phoneEvent('phone.heartbeat', { phone_numbers: numbers, charging: true, battery: 81, ...extra }, clock.now());
}

export async function register(app: TestApp, clock: TestClock, key: TestKey, numbers: string[]): Promise<PhoneWebhookResponse> {
  const response = await post(app, clock, { key: key.key, event: phoneEvent('phone.registered', { phone_numbers: numbers }, clock.now()) });
  expect(response.status, JSON.stringify(response.body)).toBe(202);
  return response;
}

let nextNumber = 2348012300000 + (process.pid % 1000) * 100;
export const newNumber = (): string => `+${nextNumber++}`;

/** What a refused request must leave untouched. */
export async function stateOf(app: TestApp, key: TestKey, numbers: string[] = []) {
  const { Key, Phone, PhoneEvent } = app.context.models;
  const keyDoc = await Key.findOne({ keyId: key.keyId }, { timesUsed: 1, lastUsedAt: 1, ipLock: 1, status: 1 }).lean();
  const phones = await Phone.find(
    { number: { $in: numbers } },
    { _id: 0, number: 1, keyId: 1, lastHeartbeatAt: 1, charging: 1, battery: 1, state: 1 },
  )
    .sort({ number: 1 })
    .lean();
  return {
    timesUsed: keyDoc?.timesUsed,
    lastUsedAt: keyDoc?.lastUsedAt?.toISOString() ?? null,
    ipLock: keyDoc?.ipLock,
    events: await PhoneEvent.countDocuments({}),
    phones: phones.map((p) => ({ ...p, lastHeartbeatAt: p.lastHeartbeatAt?.toISOString() ?? null })),
  };
}

export { keyIdOf, phoneEvent };
