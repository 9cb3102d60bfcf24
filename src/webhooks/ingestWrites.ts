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

/** Sends that reached the network, and sends that did not. */
const SEND_OK = new Set(['message.phone.sent', 'message.phone.delivered']);
const SEND_FAILED = new Set(['message.send.failed', 'message.send.expired']);
/** Reasons kept on the phone for the failing alert (the newest). */
export const FAILURE_REASONS_KEPT = 3;
/** A failure reason is the phone's text: kept short. */
const MAX_REASON_LENGTH = 200;

export interface PhoneHealthOptions {
  /** A heartbeat at or below this battery, not charging, is low (0: off). */
  batteryLowPercent?: number;
}

type BatteryLevel = 'low' | 'ok' | 'neither';
type PhoneUpdate = {
  set: Record<string, unknown>;
  unset: Record<string, 1>;
  inc: Record<string, number>;
  min: Record<string, Date>;
  push: Record<string, unknown>;
};

/**
 * One update per phone for a batch's stored events, applied in arrival order (later fields win):
 * - heartbeats: a plain $set of lastHeartbeatAt, charging, battery and state 'up' (the
 *   silent-phones job resolves an open alert itself), and the battery run the phone-health job
 *   reads (`batteryLowSince` / `batteryOkSince`: the first heartbeat of the current low or ok run);
 * - sends: the streak of failed or expired sends since the last sent or delivered one
 *   (`sendFailures`, `firstFailedSendAt`, the last reasons), and `lastSendOkAt`.
 * Runs that began before this batch continue through `$inc`, `$min` and `$push` (no read needed);
 * a run that began within it is `$set`. `keyId` in the filter: a number unlinked meanwhile is not touched.
 */
export function phoneUpdates(events: IncomingPhoneEvent[], options: PhoneHealthOptions = {}) {
  const perPhone = new Map<string, { keyId: string; heartbeats: IncomingPhoneEvent[]; sends: IncomingPhoneEvent[] }>();
  for (const event of events) {
    const heartbeat = event.type === HEARTBEAT;
    if (!heartbeat && !SEND_OK.has(event.type) && !SEND_FAILED.has(event.type)) continue;
    for (const number of event.phoneNumbers) {
      const entry = perPhone.get(number) ?? { keyId: event.keyId, heartbeats: [], sends: [] };
      entry.keyId = event.keyId;
      (heartbeat ? entry.heartbeats : entry.sends).push(event);
      perPhone.set(number, entry);
    }
  }
  const updates = [];
  for (const [number, { keyId, heartbeats, sends }] of perPhone) {
    const update: PhoneUpdate = { set: {}, unset: {}, inc: {}, min: {}, push: {} };
    applyHeartbeats(update, heartbeats, options.batteryLowPercent ?? 0);
    applySends(update, sends);
    const doc: Record<string, unknown> = {};
    for (const [operator, fields] of Object.entries({
      $set: update.set,
      $unset: update.unset,
      $inc: update.inc,
      $min: update.min,
      $push: update.push,
    })) {
      if (Object.keys(fields).length > 0) doc[operator] = fields;
    }
    updates.push({ updateOne: { filter: { number, keyId }, update: doc } });
  }
  return updates;
}

function applyHeartbeats(update: PhoneUpdate, heartbeats: IncomingPhoneEvent[], lowPercent: number): void {
  const levels: { level: BatteryLevel; at: Date }[] = [];
  for (const event of heartbeats) {
    Object.assign(update.set, { lastHeartbeatAt: event.receivedAt, state: 'up', updatedAt: event.receivedAt });
    if (typeof event.data.charging === 'boolean') update.set.charging = event.data.charging;
    if (typeof event.data.battery === 'number') update.set.battery = event.data.battery;
    levels.push({ level: batteryLevel(event.data, lowPercent), at: event.receivedAt });
  }
  const decided = levels.filter((l) => l.level !== 'neither');
  const last = decided[decided.length - 1];
  if (!last) return;
  // The current run: the trailing heartbeats of the last one's level; it began here if the other level came before it.
  let first = decided.length - 1;
  while (first > 0 && decided[first - 1]!.level === last.level) first--;
  const [field, other] =
    last.level === 'low' ? (['batteryLowSince', 'batteryOkSince'] as const) : (['batteryOkSince', 'batteryLowSince'] as const);
  if (first > 0) update.set[field] = decided[first]!.at;
  else update.min[field] = decided[first]!.at;
  update.unset[other] = 1;
}

/** Low: at or below the threshold and not charging; ok: charging, or at the threshold + 10 or above. */
function batteryLevel(data: Record<string, unknown>, lowPercent: number): BatteryLevel {
  if (lowPercent <= 0) return 'neither';
  if (data.charging === true) return 'ok';
  if (typeof data.battery !== 'number') return 'neither';
  if (data.battery <= lowPercent) return 'low';
  return data.battery >= lowPercent + 10 ? 'ok' : 'neither';
}

function applySends(update: PhoneUpdate, sends: IncomingPhoneEvent[]): void {
  if (sends.length === 0) return;
  let lastOk = -1;
  sends.forEach((event, index) => {
    if (SEND_OK.has(event.type)) lastOk = index;
  });
  const failures = sends.slice(lastOk + 1);
  const reasons = failures.map(failureReason).slice(-FAILURE_REASONS_KEPT);
  if (lastOk >= 0) {
    update.set.lastSendOkAt = sends[lastOk]!.receivedAt;
    update.set.sendFailures = failures.length;
    if (failures.length > 0) {
      update.set.firstFailedSendAt = failures[0]!.receivedAt;
      update.set.recentFailureReasons = reasons;
    } else {
      update.unset.firstFailedSendAt = 1;
      update.unset.recentFailureReasons = 1;
    }
    return;
  }
  update.inc.sendFailures = failures.length;
  update.min.firstFailedSendAt = failures[0]!.receivedAt;
  update.push.recentFailureReasons = { $each: reasons, $slice: -FAILURE_REASONS_KEPT };
}

function failureReason(event: IncomingPhoneEvent): string {
  if (event.type === 'message.send.expired') return 'expired';
  const reason = typeof event.data.reason === 'string' ? event.data.reason.trim() : '';
  return (reason || 'failed').slice(0, MAX_REASON_LENGTH);
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
