/**
 * What the batched ingest writes for accepted phone events: the event documents and the
 * updates they cause, built as plain driver operations (no database access here).
 */
import { Types } from 'mongoose';

/** A verified, well-formed webhook, ready to be recorded. */
export interface IncomingPhoneEvent {
  /** The signing key (bare id). */
  keyId: string;
  webhookId: string;
  type: string;
  /** The phone numbers it is about; each must be linked to the key (except for a registration, which links them). */
  phoneNumbers: string[];
  /** The event's `data`, extra fields included. */
  data: Record<string, unknown>;
  /** The payload's own timestamp. */
  occurredAt: Date;
  /** Server receive time: a heartbeat's `lastHeartbeatAt`, the key's `lastUsedAt`. */
  receivedAt: Date;
  ip: string;
}

export type EventDoc = {
  _id: Types.ObjectId;
  keyId: string;
  webhookId: string;
  type: string;
  phoneNumber: string | null;
  phoneNumbers: string[];
  data: Record<string, unknown>;
  occurredAt: Date;
  receivedAt: Date;
  ip: string | null;
  expiresAt: Date;
};

const HEARTBEAT = 'phone.heartbeat';

/** The stored event; the TTL index deletes it `retentionMs` after it arrived. */
export function eventDoc(event: IncomingPhoneEvent, retentionMs: number): EventDoc {
  return {
    _id: new Types.ObjectId(),
    keyId: event.keyId,
    webhookId: event.webhookId,
    type: event.type,
    phoneNumber: event.phoneNumbers[0] ?? null,
    phoneNumbers: event.phoneNumbers,
    data: event.data,
    occurredAt: event.occurredAt,
    receivedAt: event.receivedAt,
    ip: event.ip || null,
    expiresAt: new Date(event.receivedAt.getTime() + retentionMs),
  };
}

/**
 * One update per phone: its heartbeats of the batch applied in order (later fields win).
 * A plain $set of state 'up' — the silent-phones job resolves an open alert (alertId) itself.
 * `keyId` in the filter: a number unlinked meanwhile is not touched.
 */
export function heartbeatUpdates(events: IncomingPhoneEvent[]) {
  const perPhone = new Map<string, { keyId: string; set: Record<string, unknown> }>();
  for (const event of events) {
    if (event.type !== HEARTBEAT) continue;
    for (const number of event.phoneNumbers) {
      const entry = perPhone.get(number) ?? { keyId: event.keyId, set: {} };
      entry.keyId = event.keyId;
      Object.assign(entry.set, { lastHeartbeatAt: event.receivedAt, state: 'up', updatedAt: event.receivedAt });
      if (typeof event.data.charging === 'boolean') entry.set.charging = event.data.charging;
      if (typeof event.data.battery === 'number') entry.set.battery = event.data.battery;
      perPhone.set(number, entry);
    }
  }
  return [...perPhone].map(([number, { keyId, set }]) => ({ updateOne: { filter: { number, keyId }, update: { $set: set } } }));
}

/** One update per key: when it was last used, and how many stored events used it. */
export function usageUpdates(events: IncomingPhoneEvent[]) {
  const perKey = new Map<string, { count: number; last: Date }>();
  for (const event of events) {
    const entry = perKey.get(event.keyId) ?? { count: 0, last: event.receivedAt };
    entry.count++;
    if (event.receivedAt.getTime() >= entry.last.getTime()) entry.last = event.receivedAt;
    perKey.set(event.keyId, entry);
  }
  return [...perKey].map(([keyId, { count, last }]) => ({
    updateOne: { filter: { keyId }, update: { $set: { lastUsedAt: last, updatedAt: last }, $inc: { timesUsed: count } } },
  }));
}
