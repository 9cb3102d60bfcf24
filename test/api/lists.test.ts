/**
 * The management API's lists: keys (filters, limits, cursor pages stable under inserts),
 * phones, and the audit trail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditListJson, keyListJson, phoneListJson } from '../../src/api/schemas.js';
import { startTestApp, type TestApp, testClock } from '../support/testApp.js';
import { heartbeatEvent, newNumber, post, register } from '../webhooks/support.js';
import { createToken, keyName, type TestToken } from './support.js';

// A clock that stands still: every key below is created in the same millisecond, so the
// pages' order rests on its tie-breaker (the ObjectId), the hardest case for a cursor.
const clock = testClock('2026-11-22T10:00:00Z');
let app: TestApp;
let reader: TestToken;

beforeAll(async () => {
  app = await startTestApp({ clock: clock.now });
  reader = await createToken(app, 'read');
});
afterAll(async () => {
  await app?.close();
});

/** One after another, so their order is known. */
async function createKeys(count: number, actor: string, extra: { environment?: string } = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    ids.push((await app.context.domain.keys.create({ name: keyName('page'), ipLock: { mode: 'off' }, actor, ...extra })).view.publicId);
  }
  return ids;
}

/** Walks every page; `between` runs after each page (e.g. creating more keys meanwhile). */
async function walk(query: string, between: () => Promise<void> = async () => {}) {
  const seen: string[] = [];
  const sizes: number[] = [];
  let cursor: string | null = null;
  do {
    const response = await reader.api.get(`/keys?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const page = keyListJson.parse(response.body);
    seen.push(...page.data.map((key) => key.id));
    sizes.push(page.data.length);
    cursor = page.next_cursor;
    await between();
  } while (cursor);
  return { seen, sizes };
}

describe('GET /keys', () => {
  it('walks 120 keys in pages of 50 without a duplicate or a gap, while keys are created meanwhile', async () => {
    const ids = await createKeys(120, 'UPAGING');
    const { seen, sizes } = await walk('creator=UPAGING&limit=50', async () => {
      await createKeys(3, 'UPAGING');
    });
    expect(sizes).toEqual([50, 50, 20]);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual([...ids].sort());
    // Newest first: the reverse of creation (same millisecond, so by ObjectId).
    expect(seen).toEqual([...ids].reverse());

    // The unfiltered walk (default page size 50) sees every key that existed when it began.
    const existing = (await app.context.models.Key.find({ status: { $ne: 'revoked' } }, { keyId: 1 }).lean()).map((k) => `pk_${k.keyId}`);
    const all = await walk('', async () => void (await createKeys(2, 'ULATER')));
    expect(new Set(all.seen).size).toBe(all.seen.length);
    for (const id of existing) expect(all.seen).toContain(id);
    expect(all.sizes[0]).toBe(50);
  });

  it('filters by creator, status and environment', async () => {
    const actor = `UFILTER${process.pid}`;
    const [live1, live2] = await createKeys(2, actor);
    const [test1] = await createKeys(1, actor, { environment: 'test' });
    await app.context.domain.keys.revoke(live2!, 'UADMIN');
    const ids = async (query: string) =>
      ((await reader.api.get(`/keys?creator=${actor}&${query}`)).body.data as { id: string }[]).map((k) => k.id);
    expect(await ids('')).toEqual([test1, live1]);
    expect(await ids('status=revoked')).toEqual([live2]);
    expect(await ids('status=active&environment=live')).toEqual([live1]);
    expect(await ids('environment=test')).toEqual([test1]);
  });

  it('refuses a bad limit, status, environment or cursor with 400 naming the parameter', async () => {
    const errorsOf = async (query: string) => (await reader.api.get(`/keys?${query}`)).body.errors;
    expect(await errorsOf('limit=0')).toEqual({ limit: 'must be at least 1' });
    expect(await errorsOf('limit=101')).toEqual({ limit: 'must be at most 100' });
    expect(await errorsOf('limit=ten')).toEqual({ limit: 'must be a number' });
    expect(await errorsOf('status=deleted&environment=prod')).toEqual({
      status: 'must be one of "active", "rotating", "revoked"',
      environment: 'must be one of "live", "test"',
    });
    const bad = await reader.api.get('/keys?cursor=bm90LWEtY3Vyc29y');
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual({ cursor: expect.stringMatching(/next_cursor/) });
  });
});

describe('GET /phones and GET /audit', () => {
  it('lists phones with their key, status and environment', async () => {
    const { key, view } = await app.context.domain.keys.create({
      name: keyName('ph'),
      ipLock: { mode: 'off' },
      environment: 'test',
      actor: 'UADMIN',
    });
    const number = newNumber();
    await register(app, clock, { key, publicId: view.publicId, keyId: view.keyId }, [number]);
    expect((await post(app, clock, { key, event: heartbeatEvent(clock, [number], { battery: 64, charging: false }) })).status).toBe(202);
    const response = await reader.api.get('/phones');
    expect(response.status).toBe(200);
    const phones = phoneListJson.parse(response.body);
    expect(phones.data.find((p) => p.phone_number === number)).toEqual({
      phone_number: number,
      key: view.publicId,
      status: 'online',
      last_heartbeat_at: clock.now().toISOString(),
      charging: false,
      battery: 64,
      environment: 'test',
    });
    expect(phones.next_cursor).toBeNull();
  });

  it('pages phones by number', async () => {
    const { key, view } = await app.context.domain.keys.create({ name: keyName('ph'), ipLock: { mode: 'off' }, actor: 'UADMIN' });
    await register(app, clock, { key, publicId: view.publicId, keyId: view.keyId }, [newNumber(), newNumber()]);
    const all = (await reader.api.get('/phones')).body.data.map((p: { phone_number: string }) => p.phone_number);
    expect(all.length).toBeGreaterThanOrEqual(3);
    expect(all).toEqual([...all].sort());
    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const page = phoneListJson.parse((await reader.api.get(`/phones?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).body);
      expect(page.data.length).toBeLessThanOrEqual(2);
      walked.push(...page.data.map((p) => p.phone_number));
      cursor = page.next_cursor;
    } while (cursor);
    expect(walked).toEqual(all);
  });

  it('lists audit entries newest first, for one key, with a limit; 404 for an unknown key', async () => {
    const writer = await createToken(app, 'write');
    const created = (await writer.api.post('/keys', { name: keyName('aud') })).body;
    await writer.api.patch(`/keys/${created.data.id}`, { description: 'now described' });
    const response = await reader.api.get(`/audit?key=${created.data.name}`);
    const audit = auditListJson.parse(response.body);
    expect(audit.data.map((e) => e.action)).toEqual(['key.edited', 'key.created']);
    expect(audit.data[0]).toEqual({
      at: clock.now().toISOString(),
      actor: `api:${writer.name}`,
      action: 'key.edited',
      key: created.data.id,
      phone_number: null,
      details: { changes: { description: { from: '', to: 'now described' } } },
    });
    expect((await reader.api.get('/audit?limit=1')).body.data).toHaveLength(1);
    expect((await reader.api.get('/audit?key=nope')).status).toBe(404);
  });
});
