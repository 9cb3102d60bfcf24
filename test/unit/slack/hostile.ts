/**
 * Large and hostile data for the Block Kit builders: many keys and phones, long names, 100 IP
 * entries, and Slack markup (`<!channel>`, mentions, links, `&`) wherever someone else's text
 * can reach a message. Plain objects shaped like the domain's views: no database.
 */
import { Types } from 'mongoose';
import type { ApiTokenView } from '../../../src/domain/apiTokens.js';
import type { AuditEntryView } from '../../../src/domain/auditPages.js';
import type { KeyView } from '../../../src/domain/keyView.js';
import { type Overview, planGroups, TROUBLE_FIRST } from '../../../src/domain/overview.js';
import type { PhoneView } from '../../../src/domain/phones.js';
import type { RotationKey } from '../../../src/domain/rotation.js';
import type { AlertRecord, IncidentRecord } from '../../../src/models/index.js';
import { HOME_LIMITS } from '../../../src/slack/blocks/home.js';

export const NOW = new Date('2026-11-22T10:00:00Z');
const DAY = 24 * 60 * 60_000;

/** Markup that must never reach Slack unescaped. */
export const HOSTILE = '<!channel> <@U0BOSS> <https://evil.example|click> &amp; R&D *bold* _it_ `code`';

/** A name far longer than the domain allows (64), full of markup: builders must hold even so. */
export const hostileName = (i = 0): string => `${HOSTILE} key ${i} `.repeat(4).slice(0, 300);

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** A distinct 8-character base32 key id per i. */
const keyId = (i: number): string => [...i.toString(32).padStart(8, '0')].map((c) => BASE32[Number.parseInt(c, 32)]).join('');

export const ipEntries = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => (i % 2 ? `2001:db8:${i.toString(16)}::/48` : `10.${i % 256}.${(i * 7) % 256}.0/24`));

export const phoneNumber = (i: number): string => `+2348${String(100000000 + i).slice(-9)}`;

export function hostileKey(i = 0, overrides: Partial<KeyView> = {}): KeyView {
  const id = keyId(i);
  return {
    keyId: id,
    publicId: `pk_${id}`,
    name: hostileName(i),
    description: `${HOSTILE}\n`.repeat(40).slice(0, 2000),
    createdBy: i % 2 ? 'U0CREATOR' : `api:${HOSTILE}`,
    createdAt: new Date(NOW.getTime() - (i + 100) * DAY),
    lastUsedAt: i % 3 ? new Date(NOW.getTime() - i * 60_000) : null,
    timesUsed: 1_000_000 + i,
    status: (['active', 'rotating', 'revoked'] as const)[i % 3]!,
    ipLock: { mode: 'list', entries: ipEntries(100), firstIp: null },
    scopes: ['heartbeat', 'messages', 'sends'],
    environment: i % 2 ? 'test' : 'live',
    algorithm: i % 2 ? 'ed25519' : 'hmac',
    phoneNumbers: Array.from({ length: 100 }, (_, n) => phoneNumber(i * 1000 + n)),
    phoneCount: 5_000, // a view lists the first 100 numbers of all those linked
    rotationDue: i % 2 === 0,
    graceEndsAt: new Date(NOW.getTime() + DAY),
    rotatedTo: i % 3 === 1 ? keyId(i + 1) : null,
    rotatedFrom: null,
    ...overrides,
  };
}

export const hostileKeys = (n: number): KeyView[] => Array.from({ length: n }, (_, i) => hostileKey(i));

export function hostilePhones(n: number): PhoneView[] {
  return Array.from({ length: n }, (_, i) => ({
    number: phoneNumber(i),
    keyId: i % 5 ? keyId(i) : null,
    publicId: i % 5 ? `pk_${keyId(i)}` : null,
    keyName: i % 5 ? hostileName(i) : null,
    environment: i % 5 ? 'live' : null,
    status: (['online', 'silent', 'never seen', 'paused', 'failing'] as const)[i % 5]!,
    lastHeartbeatAt: i % 4 === 2 ? null : new Date(NOW.getTime() - i * 60_000),
    charging: i % 3 === 0 ? null : i % 3 === 1,
    battery: i % 7 === 0 ? null : i % 101,
    pausedUntil: i % 4 === 3 ? new Date(NOW.getTime() + DAY) : null,
    pausedBy: i % 4 === 3 ? 'U0ADMIN' : null,
    downSince: null,
    openAlerts: (['silent', 'failing', 'battery'] as const).filter((_, k) => (i >> k) % 2 === 1),
    sendFailures: i % 9,
  }));
}

export const hostileTokens = (n: number): ApiTokenView[] =>
  Array.from({ length: n }, (_, i) => ({
    tokenId: keyId(i),
    publicId: `mk_${keyId(i)}`,
    name: hostileName(i),
    scope: i % 2 ? 'read' : 'write',
    createdBy: i % 2 ? 'U0ADMIN' : `api:${HOSTILE}`,
    createdAt: new Date(NOW.getTime() - i * DAY),
    lastUsedAt: i % 3 ? NOW : null,
    status: 'active',
  }));

/** Every action the product audits, and one it does not know, each with hostile details. */
export const AUDIT_ACTIONS = [
  'key.created',
  'key.created_by_rotation',
  'key.rotated',
  'key.rotation_cancelled',
  'key.rotation_handed_on',
  'key.rotation_due',
  'key.revoked',
  'key.edited',
  'key.locked',
  'key.unlocked',
  'key.ip_locked_on_first_use',
  'key.revealed',
  'key.reveal_redacted',
  'token.created',
  'token.revoked',
  'token.revealed',
  'token.reveal_redacted',
  'phone.linked',
  'phone.unlinked',
  'phone.paused',
  'phone.resumed',
  'alert.acknowledged',
  `key.${HOSTILE}`,
];

/** Audit entries newest first, one action after another, by people, API tokens, jobs and phones (some of them hostile). */
export function hostileAudit(n: number): AuditEntryView[] {
  const actors = ['U0ADMIN', `api:${HOSTILE}`, `system:${HOSTILE}`, `phone:${HOSTILE}`, HOSTILE];
  return Array.from({ length: n }, (_, i) => ({
    at: new Date(NOW.getTime() - i * 60_000),
    actor: actors[i % actors.length]!,
    action: AUDIT_ACTIONS[i % AUDIT_ACTIONS.length]!,
    keyId: keyId(i),
    phoneNumber: phoneNumber(i),
    details: {
      changes: { name: { from: hostileName(i), to: hostileName(i + 1) }, scopes: { from: [HOSTILE], to: [] } },
      successor: `pk_${keyId(i + 1)}`,
      from: `pk_${keyId(i + 2)}`,
      name: hostileName(i),
      token: HOSTILE,
      reason: HOSTILE,
      ip: HOSTILE,
      mode: i % 2 ? 'list' : 'first',
      entries: [...ipEntries(100), HOSTILE],
      note: HOSTILE.repeat(50),
      at: NOW,
      none: null,
      empty: [],
    },
  }));
}

/** The names of the keys hostileAudit(n) mentions: every one of them hostile. */
export const hostileKeyNames = (n: number): Map<string, string> =>
  new Map(Array.from({ length: n + 2 }, (_, i) => [keyId(i), hostileName(i)]));

export function alert(overrides: Partial<AlertRecord> = {}, i = 1): AlertRecord {
  const since = new Date(NOW.getTime() - (31 + i) * 60_000);
  return {
    _id: new Types.ObjectId(),
    kind: 'silent',
    phoneNumber: phoneNumber(i),
    keyId: keyId(i),
    since,
    detectedAt: NOW,
    incidentId: new Types.ObjectId(),
    resolvedAt: null,
    resolution: null,
    lastSilentSince: since,
    reopens: 0,
    lastResolvedAt: null,
    details: {},
    createdAt: NOW,
    updatedAt: NOW,
    ...overrides,
  };
}

export function incident(overrides: Partial<IncidentRecord> = {}): IncidentRecord {
  return {
    _id: new Types.ObjectId(),
    kind: 'silent',
    size: 1,
    detectedAt: NOW,
    resolvedAt: null,
    ackedAt: null,
    ackedBy: null,
    pausedUntil: null,
    pausedBy: null,
    version: 1,
    remindFrom: NOW,
    remindedSlot: 0,
    createdAt: NOW,
    updatedAt: NOW,
    ...overrides,
  };
}

/** Names for the keys of `alerts`, all hostile. */
export const alertKeys = (alerts: AlertRecord[]) => new Map(alerts.map((a, i) => [a.keyId, { keyId: a.keyId, name: hostileName(i) }]));

export const rotationKeys = (n: number): RotationKey[] =>
  hostileKeys(n).map((k) => ({ keyId: k.keyId, name: k.name, createdBy: k.createdBy, createdAt: k.createdAt, rotationFlaggedAt: NOW }));

/**
 * What App Home is given for a fleet of these keys and phones, as the domain reads it (planGroups):
 * the phones in trouble first, `HOME_LIMITS` of each list, with `alerts` open alerts in all.
 */
export function hostileOverview(keys: KeyView[], phones: PhoneView[], alerts = 0): Overview {
  const counts = Object.fromEntries(
    TROUBLE_FIRST.map((s) => [s, phones.filter((p) => p.status === s).length]),
  ) as Overview['phones']['counts'];
  const groups = planGroups(counts, HOME_LIMITS.phones).map(({ status, take }) => ({
    status,
    count: counts[status],
    phones: phones.filter((p) => p.status === status).slice(0, take),
  }));
  const shownAlerts = Array.from({ length: Math.min(alerts, HOME_LIMITS.alerts) }, (_, i) => ({
    kind: (['silent', 'failing', 'battery'] as const)[i % 3]!,
    phoneNumber: phoneNumber(i),
    keyId: keyId(i),
    publicId: `pk_${keyId(i)}`,
    keyName: i % 4 ? hostileName(i) : null,
    since: new Date(NOW.getTime() - i * DAY),
    detectedAt: NOW,
  }));
  const due = keys.filter((k) => k.rotationDue);
  return {
    openAlerts: { alerts: shownAlerts, count: alerts },
    keys: { shown: [...due, ...keys.filter((k) => !k.rotationDue)].slice(0, HOME_LIMITS.keys), count: keys.length, due: due.length },
    phones: { groups, counts },
  };
}
