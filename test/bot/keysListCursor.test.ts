/**
 * `/keys list` pages by the domain's cursor, as the management API does: with more keys than the
 * old 1,000-key read, a walk through the "Next page" buttons (signed block_actions, as Slack sends
 * them) shows every key exactly once, newest first, and keys created or deleted between two pages
 * shift none of the others.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json } from '../support/slackRequests.js';
import { startTestApp, type TestApp, testClock } from '../support/testApp.js';
import { actionsOf, command, pressInEphemeral } from './helpers.js';

const clock = testClock();
let app: TestApp;
const KEY_COUNT = 1030;
/** Key ids in creation order. */
const created: string[] = [];

beforeAll(async () => {
  app = await startTestApp({ clock: clock.now, env: { ADMIN_USER_IDS: 'UADMIN' } });
  const { keys } = app.context.domain;
  for (let i = 0; i < KEY_COUNT; i++) {
    // Runs of keys created in the same millisecond: their order is the _id's.
    if (i % 7 === 0) clock.advance(1000);
    const { view } = await keys.create({ name: `fleet-${String(i).padStart(4, '0')}`, ipLock: { mode: 'off' }, actor: 'UADMIN' });
    created.push(view.keyId);
  }
}, 120_000);
afterAll(async () => {
  await app?.close();
});

/** The keys a page lists, in order (each key has one Delete button carrying its id). */
const keyIdsOf = (page: Json): string[] =>
  actionsOf(page)
    .filter((a) => a.action_id === 'key_delete')
    .map((a) => a.value as string);
const nextButton = (page: Json): Json | undefined => actionsOf(page).find((a) => a.action_id === 'keys_list_page');

describe('/keys list over more keys than one read', () => {
  /** The button that led to the last page, and that page's keys. */
  let lastButton = '';
  let lastPage: string[] = [];

  it('walks every key exactly once, newest first, through the "Next page" buttons; creates and deletes between pages shift nothing', async () => {
    const { keys } = app.context.domain;
    const seen: string[] = [];
    let page = await command(app, 'list');
    const titles = [page.text];
    seen.push(...keyIdsOf(page));
    expect(seen).toEqual(created.slice(-seen.length).reverse());

    // Between the first and second page: a new key, a key already shown deleted, and one not shown yet deleted.
    clock.advance(1000);
    const fresh = (await keys.create({ name: 'created-meanwhile', ipLock: { mode: 'off' }, actor: 'UADMIN' })).view.keyId;
    await keys.revoke(`pk_${seen[3]}`, 'UADMIN');
    const goneLater = created[500]!;
    await keys.revoke(`pk_${goneLater}`, 'UADMIN');

    let presses = 0;
    for (let next = nextButton(page); next; next = nextButton(page)) {
      expect(next.value.length).toBeLessThanOrEqual(2000);
      lastButton = next.value;
      page = await pressInEphemeral(app, 'keys_list_page', next.value);
      presses++;
      expect(page.replace_original).toBe(true);
      titles.push(page.text);
      expect(page.blocks.length).toBeLessThanOrEqual(50);
      seen.push(...keyIdsOf(page));
    }
    lastPage = keyIdsOf(page);

    const expected = [...created].reverse().filter((id) => id !== goneLater);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expected);
    expect(seen).toHaveLength(KEY_COUNT - 1);
    expect(seen).not.toContain(fresh);
    expect(presses).toBe(Math.ceil((KEY_COUNT - 1) / 12) - 1);
    expect(titles).toEqual(titles.map((_, i) => `Phone keys (page ${i + 1})`));

    // A new walk starts with the newest key.
    expect(keyIdsOf(await command(app, 'list'))[0]).toBe(fresh);
  }, 120_000);

  it('a later page whose keys were all deleted meanwhile says so; a button from before cursors shows the first page', async () => {
    expect(lastPage.length).toBeGreaterThan(0);
    for (const keyId of lastPage) await app.context.domain.keys.revoke(`pk_${keyId}`, 'UADMIN');
    const empty = await pressInEphemeral(app, 'keys_list_page', lastButton);
    expect(empty.replace_original).toBe(true);
    expect(empty.text).toContain('No more keys');
    expect(actionsOf(empty)).toEqual([]);

    const first = await command(app, 'list');
    const stale = await pressInEphemeral(app, 'keys_list_page', '3'); // an offset-paged button's value
    expect(stale.text).toBe('Phone keys (page 1)');
    expect(keyIdsOf(stale)).toEqual(keyIdsOf(first));
  });
});
