/**
 * Who may call the management API: bearer tokens (401 with WWW-Authenticate), read vs write
 * (403), revocation at once on every instance, the failed-authentication limit shared by
 * instances (429), what bodies are taken (413, 415, 400), and secrets kept out of URLs and logs.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { apiClient, apiRequest } from '../support/apiRequests.js';
import { testClock, useTwoInstances } from '../support/testApp.js';
import { createToken, keyName } from './support.js';

const clock = testClock('2026-11-22T10:00:10Z');
// Two instances on one database, as behind a load balancer.
const instances = useTwoInstances('api_auth', clock.now);

/** Each test calls from its own loopback address, so failure counts do not mix. */
let nextAddress = 10;
const ownAddress = () => `127.0.0.${nextAddress++}`;

const wholeToken = () => `mk_${'a'.repeat(8)}_${randomBytes(48).toString('base64url')}`;

describe('401: no token, or a bad one', () => {
  it('no Authorization header: 401 with a bare Bearer challenge', async () => {
    const response = await apiClient(instances.a.baseUrl, undefined, ownAddress()).get('/keys');
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="phonekeys"');
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ type: '/api/v1/problems/unauthorized', title: 'Unauthorized', status: 401 });
    expect(response.body.detail).toMatch(/Authorization: Bearer mk_/);
  });

  it('a malformed header, an unknown token, a phone key: 401 invalid_token, never repeating what was sent', async () => {
    const address = ownAddress();
    const unknown = wholeToken();
    const phoneKey = `pk_abcdefgh_${randomBytes(48).toString('base64url')}`;
    const cases = [
      { authorization: `Basic ${Buffer.from('user:pass').toString('base64')}`, detail: /must be "Bearer/ },
      { authorization: `Bearer ${unknown}`, detail: /not known/ },
      { authorization: 'Bearer mk_short', detail: /not an API token/ },
      { authorization: `Bearer ${phoneKey}`, detail: /phone key, not an API token/ },
    ];
    for (const { authorization, detail } of cases) {
      const response = await apiRequest(instances.a.baseUrl, { path: '/api/v1/keys', headers: { authorization }, localAddress: address });
      expect(response.status, authorization).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="phonekeys", error="invalid_token"');
      expect(response.body.detail).toMatch(detail);
      expect(response.text).not.toContain(authorization.slice(7));
    }
    expect(instances.a.logs.join('')).not.toContain(unknown);
    expect(instances.a.logs.join('')).not.toContain(phoneKey);
  });

  it('a revoked token is refused from the next request, on this instance and on another', async () => {
    const token = await createToken(instances.a, 'read', ownAddress());
    const onB = apiClient(instances.b.baseUrl, token.token, ownAddress());
    expect((await token.api.get('/keys')).status).toBe(200);
    expect((await onB.get('/keys')).status).toBe(200);
    await instances.a.context.domain.apiTokens.revoke(token.publicId, 'UADMIN');
    for (const response of [await token.api.get('/keys'), await onB.get('/keys')]) {
      expect(response.status).toBe(401);
      expect(response.body.detail).toBe('The API token is revoked.');
      expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
    }
  });
});

describe('403: a read token on a changing endpoint', () => {
  it('reads, looks up, and is refused every change with insufficient_scope; nothing is stored', async () => {
    const reader = await createToken(instances.a, 'read', ownAddress());
    const writer = await createToken(instances.a, 'write', ownAddress());
    const created = (await writer.api.post('/keys', { name: keyName('ro') })).body;
    expect((await reader.api.get('/keys')).status).toBe(200);
    expect((await reader.api.post('/keys/lookup', { key: created.key })).status).toBe(200);
    const before = await instances.a.context.models.Key.countDocuments();
    const attempts = [
      await reader.api.post('/keys', { name: keyName('never') }),
      await reader.api.patch(`/keys/${created.data.id}`, { description: 'x' }),
      await reader.api.delete(`/keys/${created.data.id}`),
      await reader.api.post(`/keys/${created.data.id}/rotate`),
      await reader.api.delete(`/keys/${created.data.id}/phones/%2B2348012345678`),
    ];
    for (const response of attempts) {
      expect(response.status).toBe(403);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="phonekeys", error="insufficient_scope", scope="write"');
      expect(response.body.detail).toMatch(/read-only/);
    }
    expect(await instances.a.context.models.Key.countDocuments()).toBe(before);
    expect((await reader.api.get(`/keys/${created.data.id}`)).body).toEqual(created.data);
  });
});

describe('last used', () => {
  it('is recorded on use, at most once a minute per token', async () => {
    const token = await createToken(instances.a, 'read', ownAddress());
    const lastUsed = async () =>
      (await instances.a.context.models.ApiToken.findOne({ tokenId: token.publicId.slice(3) }).lean())?.lastUsedAt;
    expect(await lastUsed()).toBeNull();
    const first = clock.now();
    await token.api.get('/phones');
    expect(await lastUsed()).toEqual(first);
    clock.advance(30_000);
    await token.api.get('/phones');
    expect(await lastUsed()).toEqual(first);
    clock.advance(31_000);
    await token.api.get('/phones');
    expect(await lastUsed()).toEqual(clock.now());
    const [listed] = (await instances.a.context.domain.apiTokens.list()).filter((t) => t.publicId === token.publicId);
    expect(listed?.lastUsedAt).toEqual(clock.now());
  });
});

describe('429: more than 20 failed authentications a minute from one IP', () => {
  it('the 21st failure gets 429 with Retry-After; then every request from that IP, on every instance, until the minute ends', async () => {
    clock.set('2026-11-22T11:00:05Z');
    const address = ownAddress();
    const valid = await createToken(instances.a, 'read', address);
    const bad = apiClient(instances.a.baseUrl, wholeToken(), address);
    for (let i = 1; i <= 20; i++) expect((await bad.get('/keys')).status, `failure ${i}`).toBe(401);
    const limited = await bad.get('/keys');
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('55');
    expect(limited.headers['www-authenticate']).toBeUndefined();
    expect(limited.body).toMatchObject({ status: 429, title: 'Too many failed authentications' });

    // Even a valid token, even on the other instance (which never saw a failure itself).
    expect((await valid.api.get('/keys')).status).toBe(429);
    expect((await apiClient(instances.b.baseUrl, valid.token, address).get('/keys')).status).toBe(429);
    // Another IP is not affected.
    expect((await apiClient(instances.a.baseUrl, valid.token, ownAddress()).get('/keys')).status).toBe(200);

    clock.set('2026-11-22T11:01:00Z');
    expect((await valid.api.get('/keys')).status).toBe(200);
    expect((await apiClient(instances.b.baseUrl, valid.token, address).get('/keys')).status).toBe(200);
  });

  it('successes do not count, and failures spread over instances add up', async () => {
    clock.set('2026-11-22T12:00:00Z');
    const address = ownAddress();
    const valid = await createToken(instances.a, 'read', address);
    const badOnA = apiClient(instances.a.baseUrl, wholeToken(), address);
    const badOnB = apiClient(instances.b.baseUrl, wholeToken(), address);
    for (let i = 0; i < 30; i++) expect((await valid.api.get('/phones')).status).toBe(200);
    for (let i = 1; i <= 20; i++) expect((await (i % 2 ? badOnA : badOnB).get('/keys')).status).toBe(401);
    expect((await badOnB.get('/keys')).status).toBe(429);
  });
});

describe('bodies: JSON only, at most 64 KiB', () => {
  it('415 for another content type or none; 413 over 64 KiB; 400 for broken JSON; nothing stored', async () => {
    const writer = await createToken(instances.a, 'write', ownAddress());
    const before = await instances.a.context.models.Key.countDocuments();
    const send = (body: string, headers: Record<string, string>) =>
      apiRequest(instances.a.baseUrl, {
        method: 'POST',
        path: '/api/v1/keys',
        token: writer.token,
        body,
        headers,
        localAddress: ownAddress(),
      });
    const json = JSON.stringify({ name: keyName('body') });

    const form = await send('name=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    expect(form.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await send(json, {})).status).toBe(415);
    expect((await send(json, { 'content-type': 'application/json; charset=latin1' })).status).toBe(415);

    const big = JSON.stringify({ name: keyName('big'), description: 'x'.repeat(64 * 1024) });
    const tooLarge = await send(big, { 'content-type': 'application/json' });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body).toMatchObject({ status: 413, title: 'Body too large' });

    const broken = await send('{"name": ', { 'content-type': 'application/json' });
    expect(broken.status).toBe(400);
    expect(broken.body.detail).toBe('The body is not valid JSON.');
    expect(await instances.a.context.models.Key.countDocuments()).toBe(before);
    // UTF-8 JSON with its charset is fine.
    expect((await send(json, { 'content-type': 'application/json; charset=utf-8' })).status).toBe(201);
  });
});

describe('secrets stay out of URLs, errors and logs', () => {
  it('a whole key in a path is refused without being repeated or logged', async () => {
    const writer = await createToken(instances.a, 'write', ownAddress());
    const created = (await writer.api.post('/keys', { name: keyName('leak') })).body;
    const response = await writer.api.get(`/keys/${created.key}`);
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual({ key: expect.stringMatching(/never the whole key/) });
    expect(response.text).not.toContain(created.key);
    expect(instances.a.logs.join('')).not.toContain(created.key);
    expect(instances.a.logs.join('')).not.toContain(writer.token);
  });

  it('the OpenAPI document needs no token', async () => {
    const response = await apiRequest(instances.a.baseUrl, { path: '/api/v1/openapi.json', localAddress: ownAddress() });
    expect(response.status).toBe(200);
    expect(response.body.openapi).toBe('3.1.0');
  });
});
