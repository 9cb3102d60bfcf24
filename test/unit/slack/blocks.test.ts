/**
 * Every Block Kit builder, fed large and hostile data, passes the strict check of Slack's
 * documented limits (test/support/blockKit.ts), and lets no one else's markup through.
 */
import { describe, expect, it } from 'vitest';
import { parseKeysCommand } from '../../../src/bot/commandParser.js';
import { encodeMetadata } from '../../../src/bot/metadata.js';
import { groupAutomaticPhoneChanges } from '../../../src/domain/auditPages.js';
import type { AlertRecord, IncidentRecord } from '../../../src/models/index.js';
import { closedReply, recoveredReply, reminderReply, reopenedReply } from '../../../src/slack/blocks/alertReplies.js';
import { GROUP_LINES_SHOWN, type IncidentData, incidentMessage } from '../../../src/slack/blocks/alerts.js';
import * as answers from '../../../src/slack/blocks/answers.js';
import { auditListPage, decodeAuditPage } from '../../../src/slack/blocks/auditList.js';
import { alertChannelBrokenDm, alertChannelFix, phoneTakeoverNotice } from '../../../src/slack/blocks/channelNotices.js';
import { createKeyModal } from '../../../src/slack/blocks/createKeyModal.js';
import { deleteConfirmation } from '../../../src/slack/blocks/deleteConfirmation.js';
import { fleetReportMessage } from '../../../src/slack/blocks/fleetReport.js';
import { homeView } from '../../../src/slack/blocks/home.js';
import { decodeKeysPage, KEYS_PER_PAGE, keyListPage } from '../../../src/slack/blocks/keyList.js';
import { lockKeyModal } from '../../../src/slack/blocks/lockKeyModal.js';
import { noticeModal } from '../../../src/slack/blocks/noticeModal.js';
import { decodePhonesPage, PHONES_PER_PAGE, phoneListPage } from '../../../src/slack/blocks/phoneList.js';
import {
  redactedRevealMessage,
  redactedTokenRevealMessage,
  revealMessage,
  tokenRevealMessage,
} from '../../../src/slack/blocks/revealMessage.js';
import { KEYS_PER_ROTATION_NOTICE, rotationDm, rotationNotice, rotationWarningDm } from '../../../src/slack/blocks/rotationNotices.js';
import { tokenCreated, tokenList, tokenRevoked } from '../../../src/slack/blocks/tokens.js';
import { unlinkPhoneModal } from '../../../src/slack/blocks/unlinkPhoneModal.js';
import { usageMessage } from '../../../src/slack/blocks/usage.js';
import type { SlackMessage } from '../../../src/slack/kit.js';
import { checkMessage, strayMarkup, viewProblems } from '../../support/blockKit.js';
import {
  alert,
  alertKeys,
  HOSTILE,
  hostileAudit,
  hostileKey,
  hostileKeyNames,
  hostileKeys,
  hostileName,
  hostileOverview,
  hostilePhones,
  hostileTokens,
  incident,
  ipEntries,
  NOW,
  phoneNumber,
  rotationKeys,
} from './hostile.js';

/** Slack would post it, and nobody else's text turned into markup. */
function expectSlackAccepts(message: SlackMessage): void {
  expect(checkMessage(message)?.problems ?? []).toEqual([]);
  expect(strayMarkup(message)).toEqual([]);
}

function expectViewAccepted(view: object): void {
  expect(viewProblems(view)).toEqual([]);
  expect(strayMarkup(view)).toEqual([]);
}

const metadata = encodeMetadata({
  keyId: 'abcd2345',
  responseUrl: `https://hooks.slack.com/commands/T0001/${'1'.repeat(13)}/${'x'.repeat(24)}`,
  channelId: 'C0123456789',
});

describe('/keys answers', () => {
  it('usage, with any error the parser can produce from what was typed', () => {
    expectSlackAccepts(usageMessage());
    for (const typed of [`${HOSTILE} now`, 'pause +2348012345678 <!channel>', HOSTILE.repeat(200)]) {
      const parsed = parseKeysCommand(typed);
      expect(parsed.kind).toBe('invalid');
      if (parsed.kind === 'invalid') expectSlackAccepts(usageMessage(parsed.error));
    }
  });

  it('/keys list: every page of 500 keys, each with 100 IPs and 100 phones, its "Next page" value; empty pages', () => {
    const keys = hostileKeys(500);
    const cursor = 'MTc2NDQ5NjAwMDAwMC42NTRhMmIzYzRkNWU2ZjcwODE5MmEzYjRj';
    for (let page = 1; (page - 1) * KEYS_PER_PAGE < keys.length; page++) {
      const shown = keys.slice((page - 1) * KEYS_PER_PAGE, page * KEYS_PER_PAGE);
      const next = page * KEYS_PER_PAGE < keys.length ? { cursor } : null;
      const message = keyListPage({ keys: shown, next, page });
      expectSlackAccepts(message);
      expect(message.text).toBe(`Phone keys (page ${page})`);
      const pager = message.blocks!.at(-1) as { block_id?: string; elements: { action_id: string; value: string }[] };
      if (next) expect(decodeKeysPage(pager.elements[0]!.value)).toEqual({ cursor, page: page + 1 });
      else expect(pager.block_id).not.toBe('keys_pager');
    }
    expect(keyListPage({ keys: [], next: null }).text).toContain('No phone keys yet');
    expect(keyListPage({ keys: [], next: null, page: 4 }).text).toContain('No more keys');
    // A value from the user's client: only a string cursor and a page from 1 survive; an offset-paged value is the first page.
    expect(decodeKeysPage('{"cursor":{"$gt":""},"page":0}')).toEqual({});
    expect(decodeKeysPage('3')).toEqual({});
  });

  it("a paging button never carries more than Slack's 2,000 characters", () => {
    expect(() => keyListPage({ keys: hostileKeys(1), next: { cursor: 'x'.repeat(2000) } })).toThrow(/2000/);
  });

  it('/keys phones: 1,000 phones with hostile key names', () => {
    for (const n of [0, 1, PHONES_PER_PAGE]) expectSlackAccepts(phoneListPage({ phones: hostilePhones(n), next: null }));
    const next = { status: 'never-seen', cursor: 'x'.repeat(40) };
    const paged = phoneListPage({ phones: hostilePhones(PHONES_PER_PAGE), next, title: 'Never seen phones', page: 3 });
    expectSlackAccepts(paged);
    expect(paged.text).toBe('Never seen phones (page 3)');
    const pager = paged.blocks!.at(-1) as { elements: { action_id: string; value: string }[] };
    expect(decodePhonesPage(pager.elements[0]!.value)).toEqual({ ...next, page: 4 });
    expect(phoneListPage({ phones: [], next: null, title: 'Silent phones' }).text).toBe('No silent phones.');
    expect(phoneListPage({ phones: [], next: null, title: 'Phones of *gw* (`pk_abcd2345`)' }).text).toBe(
      'No phones of *gw* (`pk_abcd2345`).',
    );
  });

  it('/keys audit: every action with hostile actors, key names and details; a page with filters and "Older"', () => {
    const entries = hostileAudit(60);
    const items = groupAutomaticPhoneChanges(entries);
    const keyNames = hostileKeyNames(60);
    expectSlackAccepts(auditListPage({ items, keyNames, next: null }));
    expectSlackAccepts(auditListPage({ items, keyNames: new Map(), next: null }));
    const next = { keyId: 'abcd2345', actor: `api:${HOSTILE}`, cursor: 'MTc2.YWJj' };
    const paged = auditListPage({ items, keyNames, key: { keyId: 'abcd2345', name: hostileName() }, actor: next.actor, next, page: 2 });
    expectSlackAccepts(paged);
    const pager = paged.blocks!.at(-1) as { elements: { action_id: string; value: string; text: { text: string } }[] };
    expect(pager.elements[0]!.text.text).toBe('Older');
    expect(decodeAuditPage(pager.elements[0]!.value)).toEqual({ ...next, page: 3 });
    // A value from the user's client is trusted for nothing: only well-typed fields survive.
    expect(decodeAuditPage('{"page":-1,"actor":5,"keyId":"abcd2345","cursor":"x","$where":"1"}')).toEqual({
      keyId: 'abcd2345',
      cursor: 'x',
    });
    for (const junk of ['not json', 'null', '"a"', undefined]) expect(decodeAuditPage(junk)).toEqual({});
    expectSlackAccepts(auditListPage({ items: [], keyNames, key: { keyId: 'abcd2345', name: hostileName() }, actor: HOSTILE, next: null }));
  });

  it('/keys audit: a run of 1,000 phone registrations is one line within the limits, on one key or on 1,000', () => {
    const run = hostileAudit(1000).map((entry) => ({ ...entry, actor: `phone:${HOSTILE}`, action: 'phone.linked' }));
    for (const entries of [run, run.map((entry) => ({ ...entry, keyId: 'abcd2345' }))]) {
      const items = groupAutomaticPhoneChanges(entries);
      expect(items).toHaveLength(1);
      expectSlackAccepts(auditListPage({ items, keyNames: hostileKeyNames(1000), next: null }));
    }
  });

  it('/keys delete: the question, also for a key in its grace and a rotation’s successor', () => {
    for (const key of hostileKeys(3)) expectSlackAccepts(deleteConfirmation({ key, predecessor: null }));
    expectSlackAccepts(deleteConfirmation({ key: hostileKey(0, { phoneNumbers: [] }), predecessor: null }));
    const inGrace = hostileKey(1, { status: 'rotating', graceEndsAt: NOW, rotatedTo: 'abcd2345' });
    const successor = hostileKey(2, { rotatedFrom: inGrace.keyId });
    expectSlackAccepts(deleteConfirmation({ key: inGrace, predecessor: null }));
    expectSlackAccepts(deleteConfirmation({ key: successor, predecessor: { view: inGrace, outcome: { kind: 'reactivated' } } }));
    expectSlackAccepts(
      deleteConfirmation({ key: successor, predecessor: { view: inGrace, outcome: { kind: 'handed_on', to: 'abcd2346' } } }),
    );
  });

  it('what every change answers, and every refusal', () => {
    const key = hostileKey(0);
    const messages = [
      answers.keyCreated(key, true),
      answers.keyCreated(key, false),
      answers.keyCreated({ ...key, ipLock: { mode: 'first', entries: [], firstIp: '203.0.113.7' } }, true),
      answers.keyRotated(hostileKey(1), key, true),
      answers.keyRotated(hostileKey(1), key, false),
      answers.ipLockSet(key),
      answers.ipLockSet({ ...key, ipLock: { mode: 'off', entries: [], firstIp: null } }),
      answers.phoneUnlinked(key, phoneNumber(1)),
      answers.keyDeleted({ view: key, predecessor: null }),
      answers.keyDeleted({ view: key, predecessor: { view: hostileKey(1), outcome: { kind: 'reactivated' } } }),
      answers.keyDeleted({ view: key, predecessor: { view: hostileKey(1), outcome: { kind: 'handed_on', to: 'abcd2346' } } }),
      answers.phonePaused(phoneNumber(1), NOW),
      answers.phoneResumed(phoneNumber(1)),
      answers.alreadyRevoked(key),
      answers.keyIsRevoked(key),
      answers.noPhonesLinked(key),
      answers.refused(`No key called "${HOSTILE}".`),
      { text: answers.notAllowed(Array.from({ length: 200 }, (_, i) => `U0ADMIN${i}`)) },
      { text: answers.DATABASE_UNAVAILABLE },
      { text: answers.SOMETHING_WENT_WRONG },
    ];
    for (const message of messages) expectSlackAccepts(message);
  });
});

describe('/keys token', () => {
  it('the list of 150 tokens with hostile names and creators, and what create and revoke answer', () => {
    const tokens = hostileTokens(150);
    for (const n of [0, 1, 100, 150]) expectSlackAccepts(tokenList(tokens.slice(0, n)));
    for (const token of tokens.slice(0, 2)) {
      expectSlackAccepts(tokenCreated(token, true));
      expectSlackAccepts(tokenCreated(token, false));
      expectSlackAccepts(tokenRevoked(token));
    }
  });

  it('the token reveal DM holds the token in its blocks only; its redacted form holds none', () => {
    const token = hostileTokens(1)[0]!;
    const fullToken = `mk_${token.tokenId}_${'B'.repeat(64)}`;
    const reveal = tokenRevealMessage(token, fullToken, 15 * 60_000);
    expectSlackAccepts(reveal);
    expect(reveal.text).not.toContain(fullToken);
    expect(JSON.stringify(reveal.blocks)).toContain(fullToken);
    const redacted = redactedTokenRevealMessage(token);
    expectSlackAccepts(redacted);
    expect(JSON.stringify(redacted)).not.toContain(fullToken);
  });
});

describe('modals and App Home', () => {
  it('create: prefilled with anything typed after /keys create', () => {
    expectViewAccepted(createKeyModal({ name: '', privateMetadata: metadata }));
    expectViewAccepted(createKeyModal({ name: hostileName().repeat(3), privateMetadata: metadata }));
  });

  it('lock: prefilled with 100 entries, or a first-IP lock', () => {
    expectViewAccepted(lockKeyModal(hostileKey(0), metadata));
    expectViewAccepted(lockKeyModal(hostileKey(1, { ipLock: { mode: 'first', entries: [], firstIp: '2001:db8::1' } }), metadata));
    expectViewAccepted(lockKeyModal(hostileKey(2, { ipLock: { mode: 'off', entries: ipEntries(3), firstIp: null } }), metadata));
  });

  it('unlink: a key with more numbers than a select can hold', () => {
    const view = unlinkPhoneModal(hostileKey(0, { phoneNumbers: Array.from({ length: 150 }, (_, i) => phoneNumber(i)) }), metadata);
    expectViewAccepted(view);
    expectViewAccepted(unlinkPhoneModal(hostileKey(0, { phoneNumbers: [phoneNumber(1)] }), metadata));
  });

  it('a notice in place of a form, however long its text', () => {
    expectViewAccepted(noticeModal('Not allowed', answers.notAllowed(Array.from({ length: 500 }, (_, i) => `U0ADMIN${i}`))));
    expectViewAccepted(noticeModal('Key not created', answers.refused(HOSTILE.repeat(100)).text));
  });

  it('App Home: 500 keys, 1,000 phones and 1,234 open alerts', () => {
    const overview = hostileOverview(hostileKeys(500), hostilePhones(1000), 1234);
    const full = homeView({ overview, now: NOW });
    expectViewAccepted(full);
    // Every cut list says how many more there are and where they are; nothing is cut off the end.
    const text = JSON.stringify(full.blocks);
    expect(text).toContain('… and 1,204 more: `/keys phones silent`');
    expect(text).toContain('… and 460 more: `/keys list`.');
    expect(text).toContain('_… and 170 more silent:_ `/keys phones silent`');
    expect(text).toContain('_… 200 online:_ `/keys phones online`');
    expect(text).toContain('_… 200 paused:_ `/keys phones paused`');
    const shares = new Map(hostilePhones(1000).map((p, i) => [p.number, i % 3 === 0 ? null : i / 1000]));
    expectViewAccepted(homeView({ overview, now: NOW, onlineShares: shares }));
    expectViewAccepted(homeView({ overview: hostileOverview([], []), now: NOW }));
    const broken = {
      channel: 'C0ALERTS',
      state: 'broken' as const,
      error: HOSTILE,
      since: NOW,
      checkedAt: NOW,
      fix: alertChannelFix(HOSTILE),
    };
    const home = homeView({ overview, now: NOW, alertChannel: broken });
    expectViewAccepted(home);
    expect(JSON.stringify(home.blocks[0])).toContain('Alerts cannot be posted in <#C0ALERTS>');
  });
});

describe('the reveal DM', () => {
  it('holds the key in its blocks only, and its redacted form holds none', () => {
    const key = hostileKey(0);
    const fullKey = `pk_${key.keyId}_${'A'.repeat(64)}`;
    const reveal = revealMessage(key, fullKey, {
      ttlMs: 15 * 60_000,
      reason: 'created',
      webhookUrl: 'https://phonekeys.example.com/webhooks/phone',
    });
    expectSlackAccepts(reveal);
    expect(reveal.text).not.toContain(fullKey);
    expect(JSON.stringify(reveal.blocks)).toContain(fullKey);
    expectSlackAccepts(revealMessage(key, fullKey, { ttlMs: 90 * 24 * 60 * 60_000, reason: 'rotated', webhookUrl: undefined }));
    const redacted = redactedRevealMessage(key);
    expectSlackAccepts(redacted);
    expect(JSON.stringify(redacted)).not.toContain(fullKey);
  });
});

describe('job messages', () => {
  const keyRef = { keyId: 'abcd2345', name: hostileName() };

  const data = (alerts: AlertRecord[], incidentOverrides: Partial<IncidentRecord> = {}, now = NOW): IncidentData => ({
    incident: incident({ size: alerts.length, ...incidentOverrides }),
    alerts,
    keys: alertKeys(alerts),
    now,
  });
  const later = new Date(NOW.getTime() + 400 * 24 * 60 * 60_000);

  it('every alert kind, in every state (open, acknowledged, paused, reopened, resolved, key deleted, unlinked), and its thread replies', () => {
    const failing = { kind: 'failing' as const, details: { failures: 5, reasons: [HOSTILE, HOSTILE.repeat(20), 'expired'] } };
    const battery = { kind: 'battery' as const, details: { battery: 9, charging: false } };
    const acked = { ackedAt: NOW, ackedBy: 'U0ONCALL', pausedUntil: later, pausedBy: 'U0ADMIN' };
    const kinds: Partial<AlertRecord>[] = [{}, failing, battery];
    for (const kind of kinds) {
      const open = alert(kind);
      const resolved = alert({
        ...kind,
        resolvedAt: NOW,
        resolution: 'recovered',
        details: { ...(kind.details ?? {}), lost: 7, batteryAtEnd: 40, chargingAtEnd: true },
      });
      const deleted = alert({ ...kind, resolvedAt: NOW, resolution: 'key deleted', resolvedBy: 'U0ADMIN' });
      const unlinked = alert({ ...kind, resolvedAt: NOW, resolution: 'unlinked', resolvedBy: `api:${hostileName()}` });
      for (const message of [
        incidentMessage(data([open])),
        incidentMessage(data([open], acked, later)),
        incidentMessage(data([alert({ ...kind, reopens: 2, lastResolvedAt: NOW })])),
        incidentMessage(data([resolved], { resolvedAt: NOW })),
        incidentMessage(data([deleted], { resolvedAt: NOW })),
        recoveredReply(data([resolved]), resolved),
        closedReply(data([deleted]), deleted),
        incidentMessage(data([unlinked], { resolvedAt: NOW })),
        closedReply(data([unlinked]), unlinked),
        reopenedReply(alert({ ...kind, reopens: 1, lastResolvedAt: NOW })),
        reminderReply(data([open], {}, later)),
      ])
        expectSlackAccepts(message);
    }
  });

  it('every open alert, whatever its kind, has Acknowledge and Pause 1 h; acknowledged, only Pause; resolved, none', () => {
    const buttons = (message: SlackMessage) => JSON.stringify(message.blocks).match(/"action_id":"alert_(ack|pause)"/g) ?? [];
    for (const kind of ['silent', 'failing', 'battery'] as const) {
      expect(buttons(incidentMessage(data([alert({ kind })])))).toEqual(['"action_id":"alert_ack"', '"action_id":"alert_pause"']);
      expect(buttons(incidentMessage(data([alert({ kind })], { ackedAt: NOW, ackedBy: 'U0ONCALL' })))).toEqual([
        '"action_id":"alert_pause"',
      ]);
      expect(buttons(incidentMessage(data([alert({ kind, resolvedAt: NOW, resolution: 'recovered' })], { resolvedAt: NOW })))).toEqual([]);
    }
  });

  it('a storm: 1,000 phones silent in one run make one message within Slack’s limits, in every state', () => {
    const alerts = Array.from({ length: 1000 }, (_, i) => alert({}, i));
    const halfBack = alerts.map((a, i) => (i % 2 ? { ...a, resolvedAt: NOW, resolution: 'recovered' as const } : a));
    const allBack = alerts.map((a) => ({ ...a, resolvedAt: NOW, resolution: 'recovered' as const }));
    // A third unlinked by someone whose actor name came from a token's name (escaped), the rest back.
    const someGone = allBack.map((a, i) => (i % 3 ? a : { ...a, resolution: 'unlinked' as const, resolvedBy: `api:${hostileName()}` }));
    for (const message of [
      incidentMessage(data(alerts)),
      incidentMessage(data(halfBack, { ackedAt: NOW, ackedBy: 'U0ONCALL' })),
      incidentMessage(data(allBack, { resolvedAt: NOW })),
      incidentMessage(data(someGone, { resolvedAt: NOW })),
      closedReply(data(someGone), someGone[0]!),
      recoveredReply(data(halfBack), halfBack[1]!),
      reminderReply(data(halfBack, {}, later)),
    ])
      expectSlackAccepts(message);
    const text = JSON.stringify(incidentMessage(data(alerts)));
    expect(text).toContain('1000 phones are silent');
    expect(text).toContain(alerts[GROUP_LINES_SHOWN - 1]!.phoneNumber);
    expect(text).not.toContain(alerts[GROUP_LINES_SHOWN]!.phoneNumber);
    expect(text).toContain(`and ${1000 - GROUP_LINES_SHOWN} more`);
  });

  it('what a phone or a person typed reaches Slack escaped: key names, failure reasons', () => {
    const failing = alert({ kind: 'failing', details: { failures: 5, reasons: ['<!channel> <https://x.test|click>'] } });
    const posted = JSON.stringify(
      incidentMessage({ ...data([failing]), keys: new Map([[failing.keyId, { keyId: failing.keyId, name: '<!channel> gw' }]]) }),
    );
    expect(posted).toContain('&lt;!channel&gt; gw');
    expect(posted).toContain('&lt;!channel&gt; &lt;https://x.test|click&gt;');
    expect(posted).not.toContain('<!channel>');
    expect(posted).not.toContain('<https://x.test');
  });

  it('the admin DM about the alert channel, and the phone takeover notice', () => {
    for (const error of ['not_in_channel', 'channel_not_found', 'is_archived', 'missing_scope', HOSTILE]) {
      expectSlackAccepts(alertChannelBrokenDm('C0ALERTS', error, NOW));
      expectSlackAccepts(alertChannelBrokenDm('C0ALERTS', error, NOW, true));
    }
    expect(alertChannelBrokenDm('C0ALERTS', 'not_in_channel', NOW).text).toContain('/invite @phonekeys');
    const notice = phoneTakeoverNotice(phoneNumber(1), keyRef, { keyId: 'efgh2345', name: hostileName(2) }, NOW);
    expectSlackAccepts(notice);
    expect(JSON.stringify(notice)).not.toContain('<!channel>');
  });

  it('rotation: the DM, and a channel notice of as many keys as fit in one message', () => {
    const keys = rotationKeys(KEYS_PER_ROTATION_NOTICE + 5);
    expectSlackAccepts(rotationDm(keys[0]!, NOW, 90));
    expectSlackAccepts(rotationWarningDm(keys[0]!, new Date(NOW.getTime() + 7 * 24 * 60 * 60_000), NOW));
    expect(JSON.stringify(rotationWarningDm({ ...keys[0]!, name: '<!here>' }, NOW, NOW))).not.toContain('<!here>');
    expectSlackAccepts(rotationNotice(keys.slice(0, 1), NOW, 90));
    expectSlackAccepts(rotationNotice(keys, NOW, 0.5));
    const dm = JSON.stringify(rotationDm({ ...keys[0]!, name: '<!here>' }, NOW, 90));
    expect(dm).not.toContain('<!here>');
  });
});

describe('the fleet report', () => {
  const HOUR = 3_600_000;
  const week = { start: new Date('2026-11-23T00:00:00Z'), end: new Date('2026-11-30T00:00:00Z') };
  const phone = (i: number, onlineHours: number) => ({
    number: phoneNumber(i),
    keyId: 'abcd2345',
    keyName: hostileName(i),
    spanMs: 168 * HOUR,
    onlineMs: onlineHours * HOUR,
    onlineShare: onlineHours / 168,
    heartbeats: 300,
    sent: 20,
    delivered: 15,
    failed: i % 4,
    expired: i % 2,
    received: 3,
  });
  const report = (phones: ReturnType<typeof phone>[]) => ({
    ...week,
    phones,
    onlineShare: 0.97,
    totals: { heartbeats: 0, sent: 0, delivered: 15_000, failed: 1_500, expired: 500, received: 0, onlineMs: 0 },
    neverSeen: [phoneNumber(9999)],
  });

  it("a fleet of 1,000 phones with hostile key names: one short message, nobody else's markup", () => {
    const message = fleetReportMessage(report(Array.from({ length: 1000 }, (_, i) => phone(i, 100 + (i % 68)))), {
      silentAfterMs: 30 * 60_000,
    });
    expectSlackAccepts(message);
    expect(message.blocks!.length).toBeLessThan(10);
    expect(message.text).toContain('15,000 delivered, 1,500 failed, 500 expired');
  });

  it('says so when every phone was online all the time, and when no phone has heartbeated yet', () => {
    const allOnline = fleetReportMessage(report([phone(1, 168), phone(2, 168)]), { silentAfterMs: 30 * 60_000 });
    expectSlackAccepts(allOnline);
    expect(JSON.stringify(allOnline.blocks)).toContain('Every live phone was online the whole time.');
    const empty = fleetReportMessage(report([]), { silentAfterMs: 30 * 60_000 });
    expectSlackAccepts(empty);
    expect(empty.text).toContain('no live phone has sent a heartbeat yet');
  });
});
