/**
 * App Home on a fleet past 1,000 phones (README: App Home): the silent and failing phones come
 * first and the counts are exact however the phones sort, the open alerts are all counted, and
 * each list cut short says how many more there are. Phones are seeded through the models for speed.
 */
import { Types } from 'mongoose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { appHomeOpened } from '../support/slackRequests.js';
import { startTestApp, type TestApp } from '../support/testApp.js';
import { textOf } from './helpers.js';

const LINKED = 1_100;
const number = (n: number) => `+23480${String(n).padStart(8, '0')}`;
// Sorted by number, the phones in trouble come last: past the first 1,000.
const SILENT = [1090, 1091, 1092, 1093, 1094].map(number);
const FAILING = [1095, 1096, 1097, 1098, 1099].map(number);
const UNLINKED = [number(5000), number(5001), number(5002)];

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ env: { ADMIN_USER_IDS: 'UADMIN' } });
  const { view: key } = await app.context.domain.keys.create({ name: 'big-site', ipLock: { mode: 'off' }, actor: 'UADMIN' });
  const { Phone, Alert } = app.context.models;
  const now = app.context.clock();
  const earlier = new Date(now.getTime() - 3_600_000);
  const alertOf = (kind: 'silent' | 'failing', phoneNumber: string, resolvedAt: Date | null = null) => ({
    _id: new Types.ObjectId(),
    kind,
    phoneNumber,
    keyId: key.keyId,
    since: resolvedAt ? new Date(earlier.getTime() - 86_400_000) : earlier,
    detectedAt: resolvedAt ? new Date(earlier.getTime() - 86_400_000) : now,
    incidentId: new Types.ObjectId(),
    resolvedAt,
    resolution: resolvedAt ? 'recovered' : null,
  });
  const silentAlerts = SILENT.map((n) => alertOf('silent', n));
  const failingAlerts = FAILING.map((n) => alertOf('failing', n));
  // Resolved alerts of online phones: not open, not counted.
  const resolved = [number(3), number(4)].map((n) => alertOf('silent', n, earlier));
  await Alert.insertMany([...silentAlerts, ...failingAlerts, ...resolved]);
  const phones = Array.from({ length: LINKED }, (_, i) => {
    const n = number(i);
    const silent = silentAlerts.find((a) => a.phoneNumber === n);
    const failing = failingAlerts.find((a) => a.phoneNumber === n);
    return {
      number: n,
      keyId: key.keyId,
      environment: 'live',
      linkedAt: earlier,
      firstLinkedAt: earlier,
      state: silent ? 'down' : 'up',
      lastHeartbeatAt: silent ? earlier : now,
      downSince: silent ? earlier : null,
      alertId: silent?._id ?? null,
      failingAlertId: failing?._id ?? null,
      sendFailures: failing ? 5 : 0,
    };
  });
  const unlinked = UNLINKED.map((n) => ({ number: n, keyId: null, state: 'up', lastHeartbeatAt: earlier }));
  await Phone.insertMany([...phones, ...unlinked]);
}, 60_000);
afterAll(async () => {
  await app?.close();
});

it('shows the silent and failing phones first, exact counts and every open alert, in a view Slack accepts', async () => {
  expect((await app.slack.event(appHomeOpened('UVIEWER'))).status).toBe(200);
  const publish = await app.fake.waitFor('views.publish', (c) => c.args.user_id === 'UVIEWER');
  expect(publish.response?.body).toMatchObject({ ok: true });
  const home = textOf(publish.args.view);

  expect(home).toContain('1,100 linked phones · 5 silent · 5 failing · 3 unlinked');
  expect(home).toContain('1 key · 0 due for rotation');

  // Open alerts, before the keys: the ten open ones, not the resolved ones.
  const alerts = home.slice(home.indexOf('Open alerts'), home.indexOf('Phone keys'));
  expect(alerts).toContain('10 alerts open');
  for (const n of [...SILENT, ...FAILING]) expect(alerts).toContain(`*${n}*`);
  expect(alerts).not.toContain(number(3));

  // Phones: silent first, then failing, then online ones by number; the rest counted, with where to see them.
  const listed = [...home.slice(home.indexOf('"Phones"')).matchAll(/\*(\+\d+)\*/g)].map((m) => m[1]!);
  expect(listed.slice(0, 10)).toEqual([...SILENT, ...FAILING]);
  expect(listed.slice(10)).toEqual(Array.from({ length: 50 }, (_, i) => number(i)));
  expect(home).toContain(`_… and ${(LINKED - 10 - 50).toLocaleString('en-US')} more online:_ \`/keys phones online\``);
  expect(home).toContain('_… 3 unlinked:_ `/keys phones unlinked`');
});
