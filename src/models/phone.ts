import { type Connection, type HydratedDocument, type InferSchemaType, type Model, Schema } from 'mongoose';
import { KEY_ENVIRONMENTS } from './key.js';

/**
 * `new`: linked but never heard from (never alerted); `up`: heartbeats arriving;
 * `down`: silent (with an open alert unless nobody is to be paged: a test or revoked key).
 * Paused is not a state: it is `pausedUntil` in the future, so a pause ending needs no job
 * to flip it back.
 */
export const PHONE_STATES = ['new', 'up', 'down'] as const;
export type PhoneState = (typeof PHONE_STATES)[number];

/** A gateway phone number (E.164) and its health: the whole monitor state machine. */
const phoneSchema = new Schema(
  {
    number: { type: String, required: true },
    /** The key this number is linked to, or null when unlinked. */
    keyId: { type: String, default: null },
    /**
     * The linked key's environment, copied when the number is linked (a key's environment never
     * changes), so the silent-phone query can leave `test` phones out through its index.
     */
    environment: { type: String, enum: KEY_ENVIRONMENTS, default: 'live' },
    linkedAt: { type: Date, default: null },
    /** When the number was first linked to any key (the app's clock; absent on phones older than the field): the fleet report counts its time from here. */
    firstLinkedAt: { type: Date },
    registeredAt: { type: Date, default: null },
    device: { type: Schema.Types.Mixed, default: null },
    lastHeartbeatAt: { type: Date, default: null },
    charging: { type: Boolean, default: null },
    battery: { type: Number, default: null },
    state: { type: String, enum: PHONE_STATES, default: 'new', required: true },
    /** When the current outage began (the last heartbeat before silence). */
    downSince: { type: Date, default: null },
    /** The open silent Alert while `down`. */
    alertId: { type: Schema.Types.ObjectId, default: null },
    /** The last silent alert and when it was resolved: a silence soon after reopens it (SILENT_REOPEN_MINUTES). */
    lastAlertId: { type: Schema.Types.ObjectId, default: null },
    lastRecoveredAt: { type: Date, default: null },
    /**
     * Set by the up → down transition and unset once its Alert exists: only
     * present if a job crashed between the two writes, so the next run can finish it.
     */
    alertPendingSince: { type: Date },
    pausedUntil: { type: Date, default: null },
    pausedBy: { type: String, default: null },

    // Kept by the webhook receiver in its batched writes (src/webhooks/ingestWrites.ts), so the
    // phone-health job reads only phones in trouble. No defaults: `$min` and `$inc` need them absent.
    /** Sends in a row that ended failed or expired (0 after a sent or delivered one). */
    sendFailures: { type: Number },
    /** The first failed send of the current streak (unset by a sent or delivered one). */
    firstFailedSendAt: { type: Date },
    /** The streak's last failure reasons, newest last (as the phone sent them: escaped when shown). */
    recentFailureReasons: { type: [String], default: undefined },
    lastSendOkAt: { type: Date },
    /** The first heartbeat of the current run at or below BATTERY_LOW_PERCENT, not charging. */
    batteryLowSince: { type: Date },
    /** The first heartbeat of the current run charging or at the threshold + 10 or above. */
    batteryOkSince: { type: Date },
    /** The open failing and battery Alerts. */
    failingAlertId: { type: Schema.Types.ObjectId, default: null },
    batteryAlertId: { type: Schema.Types.ObjectId, default: null },
  },
  { timestamps: true, collection: 'phones' },
);

phoneSchema.index({ number: 1 }, { unique: true });
// A key's numbers, in order (key views), and its link checks.
phoneSchema.index({ keyId: 1, number: 1 });
/**
 * The silent-phone check: linked phones that are up, of one environment (live phones are alerted,
 * test phones only marked silent), without an open alert, oldest heartbeat first; pausedUntil in
 * the key so paused phones are passed over without reading them. Unlinked phones are not in it at
 * all (partial), so they are never re-read run after run. Also counts the phones by status for
 * /metrics, in one pass over the linked ones.
 */
export const SILENT_CHECK_INDEX = { state: 1, environment: 1, alertId: 1, lastHeartbeatAt: 1, pausedUntil: 1 } as const;
export const LINKED = { keyId: { $type: 'string' } } as const;
phoneSchema.index(SILENT_CHECK_INDEX, { partialFilterExpression: LINKED });
// /keys phones <status>: the phones in one state, in number order (a page at a time).
phoneSchema.index({ state: 1, number: 1 });
// /keys phones online | never-seen: the state, not failing, in number order.
phoneSchema.index({ state: 1, failingAlertId: 1, number: 1 });
// Recovered phones whose alert is still open (the heartbeat sets state 'up'; the job resolves the alert).
phoneSchema.index({ state: 1, alertId: 1 });
// Transitions whose alert was not yet written (a crash between two writes): tiny, sparse.
phoneSchema.index({ alertPendingSince: 1 }, { sparse: true });
// phone-health: phones failing or low on battery without an alert yet, and those with one open.
phoneSchema.index({ failingAlertId: 1, environment: 1, sendFailures: 1 });
phoneSchema.index({ batteryAlertId: 1, environment: 1, batteryLowSince: 1 });

export type PhoneFields = InferSchemaType<typeof phoneSchema>;
export type PhoneDocument = HydratedDocument<PhoneFields>;
export type PhoneModel = Model<PhoneFields>;

export const definePhoneModel = (connection: Connection): PhoneModel => connection.model<PhoneFields>('Phone', phoneSchema);
