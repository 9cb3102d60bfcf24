/**
 * Unbounded input from Slack and the API (README: Security): an IP list of 150,000 entries or a
 * list of 100 bad entries is refused with a short message naming the limit, without parsing more
 * than the limits allow; nothing is stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_IP_LIST_CHARS, MAX_IP_LOCK_ENTRIES, parseIpList } from '../../src/domain/ipLock.js';
import { createToken } from '../api/support.js';
import { startTestApp, type TestApp } from '../support/testApp.js';
import { command, openCreateModal, submit } from './helpers.js';

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ env: { ADMIN_USER_IDS: 'UADMIN' } });
  await app.context.domain.keys.create({ name: 'limits-gw', ipLock: { mode: 'off' }, actor: 'UADMIN' });
});
afterAll(async () => {
  await app?.close();
});

/** `count` distinct IPv4 addresses (10.x.y.z). */
const addresses = (count: number) => Array.from({ length: count }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);

describe('IP lists', () => {
  it('the parser refuses past the limits and quotes at most five bad entries', () => {
    expect(parseIpList(addresses(MAX_IP_LOCK_ENTRIES).join(',')).entries).toHaveLength(MAX_IP_LOCK_ENTRIES);
    expect(parseIpList(addresses(MAX_IP_LOCK_ENTRIES + 1).join(',')).error).toBe(
      `At most ${MAX_IP_LOCK_ENTRIES} addresses or ranges (the list has ${MAX_IP_LOCK_ENTRIES + 1}).`,
    );
    expect(parseIpList(' '.repeat(MAX_IP_LIST_CHARS + 1)).error).toMatch(/^The list is too long \(5,001 characters; at most 5,000/);
    // Duplicates count once (a Set: linear, however many there are).
    expect(parseIpList(Array(MAX_IP_LOCK_ENTRIES).fill('203.0.113.7').join(' ')).entries).toEqual(['203.0.113.7']);
    const bad = parseIpList(Array.from({ length: 100 }, (_, i) => `not-an-ip-${i}-${'x'.repeat(35)}`).join(','));
    expect(bad.invalid).toHaveLength(100);
    expect(bad.error).toMatch(/^Not an IP address or CIDR range: not-an-ip-0-x+…, .* and 95 more$/);
    expect(bad.error!.length).toBeLessThan(400);
  });

  it('/keys lock with 150,000 entries is refused at once with a short answer; the lock is unchanged', async () => {
    const list = addresses(150_000).join(',');
    const answer = await command(app, `lock limits-gw ${list}`);
    expect(answer.text).toContain('The list is too long (');
    expect(JSON.stringify(answer).length).toBeLessThan(1_000);
    expect((await app.context.domain.keys.get('limits-gw')).ipLock.mode).toBe('off');
  });

  it('/keys lock with 100 bad entries names five of them and how many more', async () => {
    const answer = await command(app, `lock limits-gw ${Array.from({ length: 100 }, (_, i) => `bad${i}`).join(',')}`);
    expect(answer.text).toContain('Not an IP address or CIDR range: bad0, bad1, bad2, bad3, bad4 and 95 more');
  });

  it('the create modal caps the list input and refuses a longer one inline', async () => {
    const { call } = await openCreateModal(app, 'limits-modal');
    const listInput = call.args.view.blocks.find((b: { block_id?: string }) => b.block_id === 'ip_list');
    expect(listInput.element.max_length).toBe(3000); // Slack's limit for an input; the domain's is 5,000
    // Slack enforces max_length in the form; a request that bypasses it is refused all the same.
    const res = await submit(app, call, { ip_mode: 'list', ip_list: addresses(20_000).join('\n') });
    expect(res.body).toMatchObject({ response_action: 'errors' });
    expect(res.body.errors.ip_list).toContain('The list is too long');
    expect(await app.context.models.Key.exists({ nameLower: 'limits-modal' })).toBeNull();
  });

  it('the API refuses the same, briefly', async () => {
    const { api } = await createToken(app);
    const res = await api.patch('/keys/limits-gw', {
      ip_lock: { mode: 'list', entries: Array.from({ length: 100 }, (_, i) => `bad-${i}-${'y'.repeat(30)}`) },
    });
    expect(res.status).toBe(400);
    expect(res.text.length).toBeLessThan(1_000);
    expect(res.body.errors['ip_lock.entries'] ?? res.body.errors.ip_list).toMatch(/and 95 more$/);
  });
});
