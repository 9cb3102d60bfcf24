/**
 * `/keys create` end to end: the modal, inline validation, the reveal-once DM
 * (key + QR code), where the key must never appear, and the DM's redaction by
 * its button and by REVEAL_TTL_MINUTES.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptKey } from '../../src/domain/keyMaterial.js';
import { CLAIM_MS } from '../../src/domain/outbox.js';
import { redactExpiredReveals, redactReveal } from '../../src/slack/reveal.js';
import { decodeQrPng } from '../support/qr.js';
import { startTestApp, type TestApp, testClock } from '../support/testApp.js';
import { createThroughModal, FULL_KEY, FULL_KEY_EXACT, openCreateModal, responseAt, submit, textOf } from './helpers.js';

const MINUTE = 60_000;
const clock = testClock();
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ clock: clock.now, env: { ADMIN_USER_IDS: 'UADMIN', REVEAL_TTL_MINUTES: '15' } });
});
afterAll(async () => {
  await app?.close();
});

/** Every document of every collection, as JSON. */
async function everyDocumentAsJson(): Promise<string> {
  const db = app.context.database.connection.db!;
  const collections = await db.listCollections().toArray();
  const dumps = await Promise.all(collections.map(async (c) => JSON.stringify(await db.collection(c.name).find({}).toArray())));
  return dumps.join('\n');
}

describe('create through the modal', () => {
  let key: string;
  let keyId: string;
  let dmTs: string;

  it('/keys create <name> opens the create modal with the name prefilled', async () => {
    const { call } = await openCreateModal(app, 'gw-prefill');
    expect(call.args.view.callback_id).toBe('key_create');
    const nameBlock = call.args.view.blocks.find((b: { block_id?: string }) => b.block_id === 'name');
    expect(nameBlock.element.initial_value).toBe('gw-prefill');
    expect(call.args.view.blocks.map((b: { block_id?: string }) => b.block_id)).toEqual(
      expect.arrayContaining(['name', 'description', 'ip_mode', 'ip_list']),
    );
  });

  it('creates the key and reveals it once, by DM to the creator, with a QR code', async () => {
    const created = await createThroughModal(app, 'gw-lagos', {
      description: 'Lagos office gateway',
      ip_mode: 'list',
      ip_list: '203.0.113.7\n10.0.0.0/24',
    });
    ({ key, keyId } = created);
    expect(key).toMatch(FULL_KEY_EXACT);
    expect(created.dm.args.channel).toBe('DUADMIN');
    // The notification text carries no key: only the blocks do.
    expect(created.dm.args.text).not.toContain(key);
    dmTs = created.dm.response!.body.ts;
    const dm = app.fake.message('DUADMIN', dmTs)!;
    expect(textOf(dm)).toContain(key);
    const hide = dm
      .blocks!.flatMap((b) => (b as { elements?: { action_id?: string; value?: string }[] }).elements ?? [])
      .find((e) => e.action_id === 'reveal_hide');
    expect(hide).toMatchObject({ value: keyId });

    // The answer where /keys create was typed names the key, not its secret.
    const answer = await responseAt(app, created.responseUrl);
    expect(answer.text).toContain(`pk_${keyId}`);
    expect(answer.response_type).toBe('ephemeral');

    // The QR code: the same PNG qrcode makes of the key, uploaded into the DM.
    const complete = await app.fake.waitFor('files.completeUploadExternal', (c) => c.args.channel_id === 'DUADMIN');
    const fileId = complete.args.files[0].id;
    const upload = app.fake.files.get(fileId)!;
    // Without PUBLIC_URL it holds the key and its algorithm (docs/phone-keys.md); the DM says what to set.
    expect(JSON.parse(decodeQrPng(upload.bytes!)!)).toEqual({ phonekeys: 1, key, algorithm: 'hmac' });
    expect(textOf(dm)).toContain('set `PUBLIC_URL`');
    expect(app.fake.files.get(fileId)).toMatchObject({ channel_id: 'DUADMIN', completed: true, deleted: false });

    // Stored: hash and ciphertext, the reveal's whereabouts, the lock as given.
    const stored = (await app.context.models.Key.findOne({ keyId }).lean())!;
    expect(stored.hash).toBe(createHash('sha256').update(key).digest('hex'));
    expect(decryptKey(stored.cipher!, keyId, app.context.config.encryptionKey)).toBe(key);
    expect(stored).toMatchObject({ name: 'gw-lagos', description: 'Lagos office gateway', createdBy: 'UADMIN', status: 'active' });
    expect(stored.ipLock).toMatchObject({ mode: 'list', entries: ['203.0.113.7', '10.0.0.0/24'] });
    await expect.poll(async () => (await app.context.models.Key.findOne({ keyId }).lean())!.reveal.fileId).toBe(fileId);
    expect(stored.reveal).toMatchObject({ userId: 'UADMIN', channel: 'DUADMIN', ts: dmTs, redactedAt: null });
    expect(stored.reveal.expiresAt!.getTime()).toBe(clock.now().getTime() + 15 * MINUTE);

    const audit = await app.context.models.AuditEntry.find({ keyId }).lean();
    expect(audit.map((a) => [a.action, a.actor])).toEqual(
      expect.arrayContaining([
        ['key.created', 'UADMIN'],
        ['key.revealed', 'UADMIN'],
      ]),
    );
  });

  it('the key is in no database document, no log line, and no Slack call but the reveal DM', async () => {
    const secret = key.slice(12);
    const dump = await everyDocumentAsJson();
    expect(dump).not.toContain(key);
    expect(dump).not.toContain(secret);
    const logs = app.logs.join('\n');
    expect(logs).not.toContain(key);
    expect(logs).not.toContain(secret);

    const holding = app.fake.calls.filter((c) => JSON.stringify(c.rawArgs).includes(secret));
    expect(holding.map((c) => [c.method, c.args.channel, c.args.ts])).toEqual([['chat.postMessage', 'DUADMIN', undefined]]);
    expect(holding[0]!.response?.body.ts).toBe(dmTs);
    expect(JSON.stringify(app.fake.responses)).not.toContain(secret);
    expect(JSON.stringify(app.fake.ephemerals)).not.toContain(secret);
  });

  it('"Saved it — hide" redacts the DM (chat.update without the key) and deletes the QR file, once', async () => {
    const fileId = (await app.context.models.Key.findOne({ keyId }).lean())!.reveal.fileId!;
    const res = await app.slack.blockAction('reveal_hide', keyId, {
      userId: 'UADMIN',
      channelId: 'DUADMIN',
      messageTs: dmTs,
      // Slack sends the message the button is in: it holds the key, which must not reach the logs.
      message: { ...app.fake.message('DUADMIN', dmTs), type: 'message' },
    });
    expect(res.status).toBe(200);

    const update = await app.fake.waitFor('chat.update', (c) => c.args.ts === dmTs);
    expect(update.args.channel).toBe('DUADMIN');
    expect(JSON.stringify(update.rawArgs)).not.toMatch(FULL_KEY);
    expect(textOf(update.args)).toContain(`pk_${keyId}`);
    await app.fake.waitFor('files.delete', (c) => c.args.file === fileId);
    expect(app.fake.files.get(fileId)?.deleted).toBe(true);
    expect(textOf(app.fake.message('DUADMIN', dmTs))).not.toMatch(FULL_KEY);

    await expect
      .poll(() => app.context.models.AuditEntry.countDocuments({ keyId, action: 'key.reveal_redacted', actor: 'UADMIN' }))
      .toBe(1);
    const stored = (await app.context.models.Key.findOne({ keyId }).lean())!;
    expect(stored.reveal.redactedAt).toEqual(clock.now());

    // Idempotent: nothing left to redact, by the button or the sweep.
    expect(await redactReveal(app.context, keyId, { actor: 'UADMIN', userId: 'UADMIN' })).toBe(false);
    clock.advance(60 * MINUTE);
    expect(await redactExpiredReveals(app.context)).toBe(0);
    expect(app.fake.callsTo('chat.update').filter((c) => c.args.ts === dmTs)).toHaveLength(1);
    expect(app.fake.callsTo('files.delete').filter((c) => c.args.file === fileId)).toHaveLength(1);
    expect(app.logs.join('\n')).not.toContain(key.slice(12));
  });

  it('REVEAL_TTL_MINUTES later the sweep redacts the DM; it stays redacted and is done once', async () => {
    const { key: second, keyId: secondId, dm } = await createThroughModal(app, 'gw-abuja');
    const ts = dm.response!.body.ts;
    await expect.poll(async () => (await app.context.models.Key.findOne({ keyId: secondId }).lean())!.reveal.fileId).toBeTruthy();
    const fileId = (await app.context.models.Key.findOne({ keyId: secondId }).lean())!.reveal.fileId!;

    clock.advance(15 * MINUTE - 1000);
    expect(await redactExpiredReveals(app.context)).toBe(0);
    expect(textOf(app.fake.message('DUADMIN', ts))).toContain(second);

    clock.advance(1000);
    // Two sweeps at once (two instances): one redaction.
    expect((await Promise.all([redactExpiredReveals(app.context), redactExpiredReveals(app.context)])).reduce((a, b) => a + b)).toBe(1);
    const updates = app.fake.callsTo('chat.update').filter((c) => c.args.ts === ts);
    expect(updates).toHaveLength(1);
    expect(JSON.stringify(updates[0]!.rawArgs)).not.toMatch(FULL_KEY);
    expect(textOf(app.fake.message('DUADMIN', ts))).not.toMatch(FULL_KEY);
    expect(app.fake.files.get(fileId)?.deleted).toBe(true);
    expect(
      await app.context.models.AuditEntry.countDocuments({ keyId: secondId, action: 'key.reveal_redacted', actor: 'system:reveal-expiry' }),
    ).toBe(1);

    expect(await redactExpiredReveals(app.context)).toBe(0);
  });

  it('a failed redaction is retried by the next sweep', async () => {
    const { keyId: id, dm } = await createThroughModal(app, 'gw-retry');
    const ts = dm.response!.body.ts;
    await expect.poll(async () => (await app.context.models.Key.findOne({ keyId: id }).lean())!.reveal.fileId).toBeTruthy();
    clock.advance(16 * MINUTE);
    app.fake.failNext('chat.update', { error: 'internal_error', status: 500 });
    expect(await redactExpiredReveals(app.context)).toBe(0);
    expect(textOf(app.fake.message('DUADMIN', ts))).toMatch(FULL_KEY);
    expect(await redactExpiredReveals(app.context)).toBe(1);
    expect(textOf(app.fake.message('DUADMIN', ts))).not.toMatch(FULL_KEY);
  });
  it('a redaction interrupted by a crash (its claim never released) is done once the claim expires', async () => {
    const { keyId, dm } = await createThroughModal(app, 'gw-crashed-redaction');
    const ts = dm.response!.body.ts;
    expect(await app.context.domain.reveals.requestRedaction(keyId, { actor: 'UADMIN', userId: 'UADMIN' })).toBe(true);
    const claimed = await app.context.domain.outbox.claimNext(); // a process takes it… and dies
    expect(claimed).toMatchObject({ kind: 'reveal.redaction', subject: `key:${keyId}` });

    expect(await redactExpiredReveals(app.context)).toBe(0);
    expect(textOf(app.fake.message('DUADMIN', ts))).toMatch(FULL_KEY);
    clock.advance(CLAIM_MS);
    expect(await redactExpiredReveals(app.context)).toBe(1);
    expect(textOf(app.fake.message('DUADMIN', ts))).not.toMatch(FULL_KEY);
    expect(await app.context.models.AuditEntry.countDocuments({ keyId, action: 'key.reveal_redacted', actor: 'UADMIN' })).toBe(1);
  });
});

describe('inline validation in the create modal', () => {
  const attempt = async (answers: Record<string, string>) => {
    const before = await app.context.models.Key.countDocuments();
    const posts = app.fake.callsTo('chat.postMessage').length;
    const { call } = await openCreateModal(app);
    const res = await submit(app, call, answers);
    expect(res.status).toBe(200);
    expect(await app.context.models.Key.countDocuments()).toBe(before);
    expect(app.fake.callsTo('chat.postMessage')).toHaveLength(posts);
    return res.body;
  };

  it('an empty name', async () => {
    const body = await attempt({ name: '' });
    expect(body).toMatchObject({ response_action: 'errors', errors: { name: expect.stringMatching(/name/i) } });
  });

  it('a malformed name', async () => {
    const body = await attempt({ name: 'has spaces in it' });
    expect(body).toMatchObject({ response_action: 'errors', errors: { name: expect.any(String) } });
  });

  it('a name already taken (ignoring case)', async () => {
    const body = await attempt({ name: 'GW-LAGOS' });
    expect(body).toMatchObject({ response_action: 'errors', errors: { name: expect.stringMatching(/already exists/) } });
  });

  it('a bad CIDR range in the IP list', async () => {
    const body = await attempt({ name: 'gw-cidr', ip_mode: 'list', ip_list: '10.0.0.0/33, 203.0.113.7' });
    expect(body.response_action).toBe('errors');
    expect(Object.keys(body.errors)).toEqual(['ip_list']);
    expect(body.errors.ip_list).toContain('10.0.0.0/33');
  });

  it('IP list mode with no addresses; several problems at once', async () => {
    const body = await attempt({ name: '', ip_mode: 'list', ip_list: '' });
    expect(Object.keys(body.errors).sort()).toEqual(['ip_list', 'name']);
  });
});

describe('when the reveal DM cannot be posted', () => {
  it('the key is still created, nobody sees it, and the user is told to rotate it', async () => {
    const { call, responseUrl } = await openCreateModal(app, 'gw-nodm');
    app.fake.failNext('chat.postMessage', { error: 'channel_not_found' });
    const res = await submit(app, call, {});
    expect(res.status).toBe(200);
    const answer = await responseAt(app, responseUrl);
    const key = await app.context.domain.keys.get('gw-nodm');
    expect(answer.text).toContain(key.publicId);
    expect(answer.text).toMatch(/could not send you the key/);
    expect(answer.text).toContain(`/keys rotate ${key.publicId}`);
    expect(JSON.stringify(answer)).not.toMatch(FULL_KEY);
    const stored = (await app.context.models.Key.findOne({ keyId: key.keyId }).lean())!;
    expect(stored.reveal.ts).toBeNull();
    expect(app.logs.some((l) => l.includes('could not DM the new key'))).toBe(true);
  });

  it('a failed QR upload leaves the DM (and its redaction) working', async () => {
    app.fake.failNext('files.getUploadURLExternal', { error: 'internal_error' });
    const { keyId, dm } = await createThroughModal(app, 'gw-noqr');
    const ts = dm.response!.body.ts;
    await expect.poll(() => app.logs.some((l) => l.includes('could not upload the QR code'))).toBe(true);
    const deletes = app.fake.callsTo('files.delete').length;
    expect(await redactReveal(app.context, keyId, { actor: 'UADMIN' })).toBe(true);
    expect(textOf(app.fake.message('DUADMIN', ts))).not.toMatch(FULL_KEY);
    expect(app.fake.callsTo('files.delete')).toHaveLength(deletes);
  });
});
