/**
 * The key check the webhook receiver relies on (KeyCheck: snapshot → judge, claimFirstIp),
 * against the real test database: unknown, revoked, rotated past its grace,
 * IP lock lists, and the `first` lock under concurrency.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyCheck } from '../../src/domain/keyCheck.js';
import type { KeyService } from '../../src/domain/keys.js';
import { checkKey } from '../support/keyCheck.js';
import { startTestApp, type TestApp, testClock } from '../support/testApp.js';

const HOUR = 3_600_000;
const clock = testClock();
let app: TestApp;
let keys: KeyService;
let keyCheck: KeyCheck;
let seq = 0;

beforeAll(async () => {
  app = await startTestApp({ clock: clock.now, env: { ROTATION_GRACE_HOURS: '24' } });
  keys = app.context.domain.keys;
  keyCheck = app.context.domain.keyCheck;
});
afterAll(async () => {
  await app?.close();
});

const check = (publicId: string, ip: string) => checkKey(app.context, publicId, ip);

const newKey = (ipLock: Parameters<KeyService['create']>[0]['ipLock'] = { mode: 'off' }) =>
  keys.create({ name: `check-${++seq}`, ipLock, actor: 'UADMIN' });

describe('KeyCheck', () => {
  it('accepts an active key and hands back its signing secret', async () => {
    const { key, view } = await newKey();
    expect(await check(view.publicId, '198.51.100.1')).toEqual({ ok: true, keyId: view.keyId, secret: key, claimFirstIp: false });
  });

  it('refuses an unknown or malformed key id', async () => {
    expect(await check('pk_aaaaaaaa', '198.51.100.1')).toMatchObject({ ok: false, reason: 'unknown_key' });
    expect(await check('pk_NOT-AN-ID', '198.51.100.1')).toMatchObject({ ok: false, reason: 'unknown_key' });
    expect(await check('', '198.51.100.1')).toMatchObject({ ok: false, reason: 'unknown_key' });
  });

  it('refuses a revoked key at once', async () => {
    const { view } = await newKey();
    await keys.revoke(view.publicId, 'UADMIN');
    expect(await check(view.publicId, '198.51.100.1')).toMatchObject({ ok: false, reason: 'revoked' });
  });

  it('keeps a rotated key working through its grace period, then refuses it', async () => {
    const { view } = await newKey();
    const rotated = await keys.rotate(view.publicId, 'UADMIN');
    expect(rotated.previous.status).toBe('rotating');
    expect(rotated.previous.graceEndsAt?.getTime()).toBe(clock.now().getTime() + 24 * HOUR);

    clock.advance(24 * HOUR - 1000);
    expect(await check(view.publicId, '198.51.100.1')).toMatchObject({ ok: true });
    clock.advance(1000);
    expect(await check(view.publicId, '198.51.100.1')).toMatchObject({ ok: false, reason: 'grace_ended' });
    // The successor is unaffected.
    expect(await check(rotated.view.publicId, '198.51.100.1')).toMatchObject({ ok: true, secret: rotated.key });
  });

  it('list mode: addresses and CIDR ranges (IPv4, IPv6, IPv4-mapped) pass, others are refused', async () => {
    const { view } = await newKey({ mode: 'list', list: '203.0.113.7, 10.0.0.0/24\n2001:db8::/32' });
    for (const ip of ['203.0.113.7', '10.0.0.1', '10.0.0.255', '::ffff:10.0.0.9', '2001:db8::42']) {
      expect(await check(view.publicId, ip), ip).toMatchObject({ ok: true });
    }
    for (const ip of ['203.0.113.8', '10.0.1.0', '2001:db9::1', 'not-an-ip', '']) {
      expect(await check(view.publicId, ip), ip).toMatchObject({ ok: false, reason: 'ip_not_allowed' });
    }
  });

  it('first mode: unlocked until claimed, then only the claiming IP passes', async () => {
    const { view } = await newKey({ mode: 'first' });
    expect(await check(view.publicId, '198.51.100.1')).toMatchObject({ ok: true, claimFirstIp: true });
    expect(await keyCheck.claimFirstIp(view.keyId, '198.51.100.1')).toBe(true);
    expect(await check(view.publicId, '198.51.100.1')).toMatchObject({ ok: true, claimFirstIp: false });
    expect(await check(view.publicId, '::ffff:198.51.100.1')).toMatchObject({ ok: true });
    expect(await check(view.publicId, '198.51.100.2')).toMatchObject({ ok: false, reason: 'ip_not_allowed' });
    // Claiming again from the holder is fine; from another IP it is not.
    expect(await keyCheck.claimFirstIp(view.keyId, '198.51.100.1')).toBe(true);
    expect(await keyCheck.claimFirstIp(view.keyId, '198.51.100.2')).toBe(false);
  });

  it('first mode under concurrency: of two first requests from different IPs exactly one wins', async () => {
    for (let round = 0; round < 8; round++) {
      const { view } = await newKey({ mode: 'first' });
      const [a, b] = await Promise.all([keyCheck.claimFirstIp(view.keyId, '192.0.2.1'), keyCheck.claimFirstIp(view.keyId, '192.0.2.2')]);
      expect([a, b].filter(Boolean), `round ${round}`).toHaveLength(1);
      const winner = a ? '192.0.2.1' : '192.0.2.2';
      const loser = a ? '192.0.2.2' : '192.0.2.1';
      const stored = await app.context.models.Key.findOne({ keyId: view.keyId }).lean();
      expect(stored?.ipLock.firstIp).toBe(winner);
      expect(await check(view.publicId, winner)).toMatchObject({ ok: true });
      expect(await check(view.publicId, loser)).toMatchObject({ ok: false, reason: 'ip_not_allowed' });
      const audits = await app.context.models.AuditEntry.countDocuments({ keyId: view.keyId, action: 'key.ip_locked_on_first_use' });
      expect(audits).toBe(1);
    }
  });

  it('first mode: an unparseable client address never becomes the lock; an unknown key is never claimed', async () => {
    const { view } = await newKey({ mode: 'first' });
    expect(await keyCheck.claimFirstIp(view.keyId, 'garbage')).toBe(false);
    expect((await keys.get(view.publicId)).ipLock.firstIp).toBeNull();
    expect(await keyCheck.claimFirstIp('aaaaaaaa', '192.0.2.1')).toBe(false);
  });

  it('relocking resets the first IP; unlocking lets every IP through', async () => {
    const { view } = await newKey({ mode: 'first' });
    await keyCheck.claimFirstIp(view.keyId, '192.0.2.10');
    await keys.setIpLock(view.publicId, { mode: 'first' }, 'UADMIN');
    expect(await check(view.publicId, '192.0.2.11')).toMatchObject({ ok: true, claimFirstIp: true });
    await keys.setIpLock(view.publicId, { mode: 'off' }, 'UADMIN');
    expect(await check(view.publicId, '192.0.2.99')).toMatchObject({ ok: true, claimFirstIp: false });
  });
});

describe('KeyService.checkNew', () => {
  it('reports a taken name (ignoring case) next to the other problems', async () => {
    await keys.create({ name: 'Taken-Name', ipLock: { mode: 'off' }, actor: 'UADMIN' });
    const { errors } = await keys.checkNew({ name: 'taken-name', ipLock: { mode: 'list', list: '10.0.0.0/33' } });
    expect(errors.name).toMatch(/already exists/);
    expect(errors.ip_list).toMatch(/10\.0\.0\.0\/33/);
    expect((await keys.checkNew({ name: 'free-name', ipLock: { mode: 'off' } })).errors).toEqual({});
  });
});
