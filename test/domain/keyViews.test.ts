/**
 * Key views carry a bounded part of a key's phones (the first numbers, in order, and the count of
 * all), so a key shared by a whole fleet costs one count and a hundred numbers to show, not a
 * read of every linked phone; Slack's list says how many it does not show.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PHONE_NUMBERS_PER_VIEW } from '../../src/domain/keyView.js';
import { keyListPage } from '../../src/slack/blocks/keyList.js';
import { startTestApp, type TestApp } from '../support/testApp.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

it('lists the first numbers of a key in order and counts them all', async () => {
  const { keys } = app.context.domain;
  const { view } = await keys.create({ name: 'fleet-key', ipLock: { mode: 'off' }, actor: 'UADMIN' });
  const numbers = Array.from({ length: PHONE_NUMBERS_PER_VIEW + 20 }, (_, i) => `+2348077${String(i).padStart(6, '0')}`);
  await keys.linkPhones(view.keyId, [...numbers].reverse(), `phone:${view.publicId}`);
  const { view: lonely } = await keys.create({ name: 'lonely-key', ipLock: { mode: 'off' }, actor: 'UADMIN' });
  await keys.linkPhones(lonely.keyId, ['+2348077999999'], `phone:${lonely.publicId}`);

  const fetched = await keys.get('fleet-key');
  expect(fetched.phoneCount).toBe(numbers.length);
  expect(fetched.phoneNumbers).toEqual(numbers.slice(0, PHONE_NUMBERS_PER_VIEW));

  const { keys: listed } = await keys.page({ limit: 100 });
  expect(listed.find((k) => k.keyId === view.keyId)).toMatchObject({ phoneCount: numbers.length });
  expect(listed.find((k) => k.keyId === lonely.keyId)).toMatchObject({ phoneCount: 1, phoneNumbers: ['+2348077999999'] });
  expect(JSON.stringify(keyListPage({ keys: [fetched], next: null }).blocks)).toContain(
    `${numbers.slice(0, 20).join(', ')} and ${numbers.length - 20} more`,
  );
});
