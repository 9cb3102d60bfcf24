import { afterAll, beforeAll, expect, test } from 'vitest';
import { checkKey } from '../support/keyCheck.js';
import { startTestApp, type TestApp } from '../support/testApp.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

test('health endpoints answer', async () => {
  expect((await fetch(`${app.baseUrl}/healthz`)).status).toBe(200);
  expect((await fetch(`${app.baseUrl}/readyz`)).status).toBe(200);
});

test('key domain round trip', async () => {
  const { key, view } = await app.context.domain.keys.create({ name: 'gw1', ipLock: { mode: 'off' }, actor: 'UADMIN' });
  expect(key).toMatch(/^pk_[a-z2-7]{8}_[A-Za-z0-9_-]{64}$/);
  const check = await checkKey(app.context, view.publicId, '127.0.0.1');
  expect(check).toMatchObject({ ok: true, secret: key });
  await app.context.domain.keys.revoke('gw1', 'UADMIN');
  expect(await checkKey(app.context, view.publicId, '127.0.0.1')).toMatchObject({ ok: false, reason: 'revoked' });
});
