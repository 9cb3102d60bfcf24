/**
 * The management API's key endpoints on real HTTP: create (the key once), get, change, revoke,
 * rotate, unlink, lookup by value, and the answers' shapes against the documented schemas.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createdKeyJson, keyJson, problemJson } from '../../src/api/schemas.js';
import { KEY_PATTERN } from '../../src/domain/keyMaterial.js';
import { apiRequest } from '../support/apiRequests.js';
import { startTestApp, type TestApp, testClock } from '../support/testApp.js';
import { heartbeatEvent, newNumber, post, register } from '../webhooks/support.js';
import { createToken, keyName, type TestToken } from './support.js';

const clock = testClock('2026-11-22T10:00:00Z');
let app: TestApp;
let writer: TestToken;

beforeAll(async () => {
  app = await startTestApp({ clock: clock.now });
  writer = await createToken(app, 'write');
});
afterAll(async () => {
  await app?.close();
});

/** A problem document as RFC 9457 and the README describe it. */
function expectProblem(response: { status: number; headers: Record<string, unknown>; body: unknown }, status: number) {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = problemJson.parse(response.body);
  expect(problem.status).toBe(status);
  expect(problem.detail).not.toMatch(/\n\s+at /); // never a stack trace
  return problem;
}

async function createKey(body: Record<string, unknown> = {}) {
  const response = await writer.api.post('/keys', { name: keyName(), ...body });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return createdKeyJson.parse(response.body);
}

describe('POST /keys', () => {
  it('creates a key and shows it once, with the defaults, created by api:<token name>, audited', async () => {
    const name = keyName('lagos');
    const response = await writer.api.post('/keys', { name, description: 'rack 2' });
    expect(response.status).toBe(201);
    const created = createdKeyJson.parse(response.body);
    expect(created.key).toMatch(KEY_PATTERN);
    expect(created.key).toHaveLength(76);
    expect(created.key.startsWith(`${created.data.id}_`)).toBe(true);
    expect(created.data).toMatchObject({
      name,
      description: 'rack 2',
      environment: 'live',
      algorithm: 'hmac',
      scopes: ['heartbeat', 'messages', 'sends'],
      status: 'active',
      created_by: `api:${writer.name}`,
      created_at: clock.now().toISOString(),
      last_used_at: null,
      times_used: 0,
      ip_lock: { mode: 'off', entries: [], first_ip: null },
      phone_numbers: [],
      rotation_due: false,
      grace_ends_at: null,
      rotated_from: null,
      rotated_to: null,
    });
    // Never again: reading it back has no key in it.
    const read = await writer.api.get(`/keys/${created.data.id}`);
    expect(read.text).not.toContain(created.key);
    const audit = await writer.api.get(`/audit?key=${created.data.id}`);
    expect(audit.body.data).toEqual([
      expect.objectContaining({ actor: `api:${writer.name}`, action: 'key.created', key: created.data.id }),
    ]);
  });

  it('takes an IP lock list, scopes and the environment, normalised as Slack stores them', async () => {
    const created = await createKey({
      ip_lock: { mode: 'list', entries: ['203.0.113.7', '10.0.0.7/24', '2001:DB8::1'] },
      scopes: ['sends', 'heartbeat'],
      environment: 'test',
    });
    expect(created.data.ip_lock).toEqual({ mode: 'list', entries: ['203.0.113.7', '10.0.0.0/24', '2001:db8::1'], first_ip: null });
    expect(created.data.scopes).toEqual(['heartbeat', 'sends']);
    expect(created.data.environment).toBe('test');
  });

  it('creates an ed25519 key (55 characters) whose v1a-signed webhooks are accepted', async () => {
    const created = await createKey({ algorithm: 'ed25519' });
    expect(created.key).toMatch(KEY_PATTERN);
    expect(created.key).toHaveLength(55);
    expect(created.data.algorithm).toBe('ed25519');
    const number = newNumber();
    await register(app, clock, { key: created.key, publicId: created.data.id, keyId: created.data.id.slice(3) }, [number]);
    expect((await post(app, clock, { key: created.key, event: heartbeatEvent(clock, [number]) })).status).toBe(202);
    expect(expectProblem(await writer.api.post('/keys', { name: keyName(), algorithm: 'rsa' }), 400).errors).toEqual({
      algorithm: 'must be one of "hmac", "ed25519"',
    });
  });

  it('refuses a body with problems of shape with 400 naming every field, and stores nothing', async () => {
    const before = await app.context.models.Key.countDocuments();
    const response = await writer.api.post('/keys', {
      name: 'two words',
      colour: 'red',
      ip_lock: { mode: 'list' },
      scopes: [],
      environment: 'staging',
    });
    const problem = expectProblem(response, 400);
    expect(problem.errors).toEqual({
      name: expect.stringMatching(/one word/),
      colour: 'is not a field of this request',
      'ip_lock.entries': 'is required when mode is list',
      scopes: 'must have at least 1 item',
      environment: 'must be one of "live", "test"',
    });
    expect(await app.context.models.Key.countDocuments()).toBe(before);
  });

  it("refuses what the domain's rules refuse (as Slack's form would), naming each field", async () => {
    const response = await writer.api.post('/keys', { name: 'pk_sneaky', ip_lock: { mode: 'list', entries: ['10.0.0.0/33', '1.2.3.4'] } });
    const problem = expectProblem(response, 400);
    expect(problem.errors).toEqual({
      name: expect.stringMatching(/may not start with pk_/),
      'ip_lock.entries': 'Not an IP address or CIDR range: 10.0.0.0/33',
    });
  });

  it('refuses a missing name, a body that is not an object, and a missing body', async () => {
    expect(expectProblem(await writer.api.post('/keys', {}), 400).errors).toEqual({ name: 'is required' });
    expect(expectProblem(await writer.api.post('/keys', ['x']), 400).errors).toEqual({ body: 'must be an object' });
    const empty = await apiRequest(app.baseUrl, {
      method: 'POST',
      path: '/api/v1/keys',
      token: writer.token,
      headers: { 'content-type': 'application/json' },
    });
    expect(expectProblem(empty, 400).errors).toEqual({ body: 'is required' });
  });

  it('refuses a name taken by another key (ignoring case) with 409', async () => {
    const first = await createKey();
    const problem = expectProblem(await writer.api.post('/keys', { name: first.data.name.toUpperCase() }), 409);
    expect(problem.detail).toMatch(/already exists/);
  });
});

describe('GET /keys/{key}', () => {
  it('finds a key by pk_<id> and by name; 404 for an unknown one', async () => {
    const created = await createKey();
    expect(keyJson.parse((await writer.api.get(`/keys/${created.data.id}`)).body)).toEqual(created.data);
    expect((await writer.api.get(`/keys/${created.data.name}`)).body).toEqual(created.data);
    const problem = expectProblem(await writer.api.get('/keys/no-such-key'), 404);
    expect(problem).toMatchObject({ type: '/api/v1/problems/not-found', title: 'Not found' });
    expect(problem.detail).toMatch(/no-such-key/);
  });
});

describe('PATCH /keys/{key}', () => {
  it('changes name, description, IP lock and scopes at once, audited as old → new', async () => {
    const created = await createKey({ description: 'old' });
    const newName = keyName('renamed');
    const response = await writer.api.patch(`/keys/${created.data.id}`, {
      name: newName,
      description: 'new',
      ip_lock: { mode: 'first' },
      scopes: ['heartbeat'],
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(keyJson.parse(response.body)).toMatchObject({
      name: newName,
      description: 'new',
      ip_lock: { mode: 'first', entries: [], first_ip: null },
      scopes: ['heartbeat'],
    });
    const [entry] = (await writer.api.get(`/audit?key=${created.data.id}&limit=1`)).body.data;
    expect(entry).toMatchObject({
      actor: `api:${writer.name}`,
      action: 'key.edited',
      details: {
        changes: {
          name: { from: created.data.name, to: newName },
          description: { from: 'old', to: 'new' },
          ip_lock: { from: { mode: 'off', entries: [] }, to: { mode: 'first', entries: [] } },
          scopes: { from: ['heartbeat', 'messages', 'sends'], to: ['heartbeat'] },
        },
      },
    });
    // The old name is free again; the new one finds the key.
    expect((await writer.api.get(`/keys/${newName}`)).body.id).toBe(created.data.id);
    expect((await writer.api.get(`/keys/${created.data.name}`)).status).toBe(404);
  });

  it('refuses a taken name (409), a bad CIDR (400) and an unknown key (404), changing nothing', async () => {
    const a = await createKey();
    const b = await createKey();
    expectProblem(await writer.api.patch(`/keys/${b.data.id}`, { name: a.data.name }), 409);
    const bad = expectProblem(await writer.api.patch(`/keys/${b.data.id}`, { ip_lock: { mode: 'list', entries: ['300.1.1.1'] } }), 400);
    expect(bad.errors).toEqual({ 'ip_lock.entries': 'Not an IP address or CIDR range: 300.1.1.1' });
    expectProblem(await writer.api.patch('/keys/pk_aaaaaaaa', { description: 'x' }), 404);
    expect((await writer.api.get(`/keys/${b.data.id}`)).body).toEqual(b.data);
  });
});

describe('DELETE /keys/{key}, rotate, unlink', () => {
  it('revokes (204): the key is refused by the receiver, listed as revoked; a second delete is 404', async () => {
    const created = await createKey();
    const number = newNumber();
    const phoneKey = { key: created.key, publicId: created.data.id, keyId: created.data.id.slice(3) };
    await register(app, clock, phoneKey, [number]);
    expect((await post(app, clock, { key: created.key, event: heartbeatEvent(clock, [number]) })).status).toBe(202);

    const deleted = await writer.api.delete(`/keys/${created.data.name}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    const refused = await post(app, clock, { key: created.key, event: heartbeatEvent(clock, [number]) });
    expect(refused).toMatchObject({ status: 401, body: { error: `key ${created.data.id} is revoked` } });
    expect((await writer.api.get(`/keys/${created.data.id}`)).body).toMatchObject({ status: 'revoked' });
    expectProblem(await writer.api.delete(`/keys/${created.data.id}`), 404);
    expectProblem(await writer.api.delete(`/keys/${created.data.name}`), 404);
    const [entry] = (await writer.api.get(`/audit?key=${created.data.id}&limit=1`)).body.data;
    expect(entry).toMatchObject({ actor: `api:${writer.name}`, action: 'key.revoked' });
  });

  it('rotates (201): a successor shown once with the same lock, scopes and environment; the old one in grace', async () => {
    const created = await createKey({ ip_lock: { mode: 'list', entries: ['10.1.0.0/16'] }, scopes: ['messages'], environment: 'test' });
    const response = await writer.api.post(`/keys/${created.data.id}/rotate`);
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    const successor = createdKeyJson.parse(response.body);
    expect(successor.key).toMatch(KEY_PATTERN);
    expect(successor.data).toMatchObject({
      name: `${created.data.name}-r2`,
      ip_lock: created.data.ip_lock,
      scopes: ['messages'],
      environment: 'test',
      rotated_from: created.data.id,
    });
    const old = keyJson.parse((await writer.api.get(`/keys/${created.data.id}`)).body);
    expect(old).toMatchObject({ status: 'rotating', rotated_to: successor.data.id });
    expect(old.grace_ends_at).not.toBeNull();
    expectProblem(await writer.api.post(`/keys/${created.data.id}/rotate`), 409);
  });

  it('unlinks a phone number (204), then 404; a number that is not E.164 is 400', async () => {
    const created = await createKey();
    const number = newNumber();
    await register(app, clock, { key: created.key, publicId: created.data.id, keyId: created.data.id.slice(3) }, [number]);
    expect((await writer.api.get(`/keys/${created.data.id}`)).body.phone_numbers).toEqual([number]);
    const path = `/keys/${created.data.id}/phones/${encodeURIComponent(number)}`;
    expect((await writer.api.delete(path)).status).toBe(204);
    expect((await writer.api.get(`/keys/${created.data.id}`)).body.phone_numbers).toEqual([]);
    expectProblem(await writer.api.delete(path), 404);
    expectProblem(await writer.api.delete(`/keys/${created.data.id}/phones/12345`), 400);
  });
});

describe('POST /keys/lookup', () => {
  it('finds a key by its whole value in any status; 404 for an unknown value', async () => {
    const created = await createKey();
    expect((await writer.api.post('/keys/lookup', { key: created.key })).body).toEqual(created.data);
    await writer.api.delete(`/keys/${created.data.id}`);
    expect((await writer.api.post('/keys/lookup', { key: created.key })).body).toMatchObject({ id: created.data.id, status: 'revoked' });
    const unknown = `${created.key.slice(0, 12)}${'A'.repeat(64)}`;
    expectProblem(await writer.api.post('/keys/lookup', { key: unknown }), 404);
  });

  it('refuses a value that is not a key without repeating it', async () => {
    const problem = expectProblem(await writer.api.post('/keys/lookup', { key: 'not-a-key-secret-value' }), 400);
    expect(problem.errors).toEqual({ key: 'must be a whole phone key (pk_<id>_<secret>)' });
    expect(JSON.stringify(problem)).not.toContain('not-a-key-secret-value');
  });
});

describe('routing', () => {
  it('answers an unknown path 404 and a wrong method 405 with Allow, as problems', async () => {
    expectProblem(await writer.api.get('/nothing-here'), 404);
    const wrong = await writer.api.patch('/keys', {});
    expectProblem(wrong, 405);
    expect(wrong.headers.allow).toBe('GET, POST');
  });
});
