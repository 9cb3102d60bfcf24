/**
 * `/keys audit` (README: Using /keys) end to end: sentences by people ("<@U…> rotated *gw* …"),
 * filters by key and by person (a Slack mention, either order), an "Older" button that pages to
 * the end without repeats, and phones registering themselves (signed webhooks) folded into one
 * line so that they never push people's changes off the page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json } from '../support/slackRequests.js';
import { startTestApp, type TestApp, testClock } from '../support/testApp.js';
import { register } from '../webhooks/support.js';
import { actionsOf, command, createThroughModal, pressInEphemeral, textOf } from './helpers.js';

const MINUTE = 60_000;
const clock = testClock('2026-11-22T10:00:00Z');
let app: TestApp;
let gw: { key: string; keyId: string; publicId: string };
let r2: { key: string; keyId: string; publicId: string };
const number = (n: number) => `+23480200${String(n).padStart(5, '0')}`;
const FIRST_SITE = Array.from({ length: 20 }, (_, i) => number(i));

/** The lines of a page: one per change, or per folded run of phone registrations. */
const linesOf = (message: Json): string[] =>
  (message.blocks as Json[]).filter((b) => b.type === 'section').flatMap((b) => (b.text.text as string).split('\n'));
const runLines = (lines: string[]) => lines.filter((line) => line.startsWith(':iphone:'));

beforeAll(async () => {
  app = await startTestApp({ clock: clock.now, env: { ADMIN_USER_IDS: 'UANA,UBEN' } });
  // Ana creates the key in the modal; twenty phones register with it, one signed request each.
  const created = await createThroughModal(app, 'lagos-gw-1', {}, 'UANA');
  gw = { key: created.key, keyId: created.keyId, publicId: `pk_${created.keyId}` };
  for (const n of FIRST_SITE) {
    clock.advance(MINUTE);
    await register(app, clock, gw, [n]);
  }
  // Ben rotates it; the twenty phones move to the successor.
  clock.advance(MINUTE);
  await command(app, 'rotate lagos-gw-1', { userId: 'UBEN' });
  const dm = await app.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'DUBEN' && textOf(c.args).includes('lagos-gw-1-r2'));
  const successor = /pk_[a-z2-7]{8}_[A-Za-z0-9_-]{64}/.exec(textOf(dm.args))![0];
  r2 = { key: successor, keyId: successor.slice(3, 11), publicId: successor.slice(0, 11) };
  for (const n of FIRST_SITE) {
    clock.advance(MINUTE);
    await register(app, clock, r2, [n]);
  }
});
afterAll(async () => {
  await app?.close();
});

describe('sentences', () => {
  it("say who did what to which key: the person's mention, the key's name and id", async () => {
    const text = textOf(await command(app, 'audit'));
    expect(text).toContain(`<@UBEN> rotated *lagos-gw-1* (\`${gw.publicId}\`) → *lagos-gw-1-r2* (\`${r2.publicId}\`)`);
    expect(text).toContain(`<@UBEN> created *lagos-gw-1-r2* (\`${r2.publicId}\`) to replace *lagos-gw-1* (\`${gw.publicId}\`)`);
    expect(text).toContain(`<@UANA> created *lagos-gw-1* (\`${gw.publicId}\`)`);
    expect(text).toContain('<!date^');
    // No dotted action names, no full key.
    expect(text).not.toMatch(/key\.rotated|phone\.linked/);
    expect(text).not.toMatch(/pk_[a-z2-7]{8}_/);
  });

  it('forty registrations and a rotation: the rotation on the first page, each site’s registrations one line', async () => {
    const page = await command(app, 'audit');
    const lines = linesOf(page);
    expect(runLines(lines)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^:iphone: 20 phones registered on \\*lagos-gw-1-r2\\* \\(\`${r2.publicId}\`\\) \\(20 moved from other keys\\) between <!date\\^`,
        ),
      ),
      expect.stringMatching(new RegExp(`^:iphone: 20 phones registered on \\*lagos-gw-1\\* \\(\`${gw.publicId}\`\\) between <!date\\^`)),
    ]);
    expect(lines.filter((line) => line.includes('a phone registered'))).toEqual([]);
    // Newest first: the new key's phones, Ben's rotation, the old key's phones, Ana's creation.
    const at = (needle: string) => lines.findIndex((line) => line.includes(needle));
    expect(at('registered on *lagos-gw-1-r2*')).toBeLessThan(at('<@UBEN> rotated'));
    expect(at('<@UBEN> rotated')).toBeLessThan(at('registered on *lagos-gw-1* ('));
    expect(at('registered on *lagos-gw-1* (')).toBeLessThan(at('<@UANA> created'));
    expect(actionsOf(page)).toEqual([]);
  });
});

describe('filters', () => {
  it('by person: a Slack mention, alone or with a key in either order', async () => {
    const ben = await command(app, 'audit <@UBEN|ben>');
    const lines = linesOf(ben);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(line).toContain('<@UBEN>');
    expect(textOf(ben)).not.toContain('<@UANA>');
    expect(runLines(lines)).toEqual([]);

    for (const text of [`audit <@UBEN|ben> lagos-gw-1`, `audit ${gw.publicId} <@UBEN>`]) {
      const both = linesOf(await command(app, text));
      expect(both, text).toHaveLength(1);
      expect(both[0], text).toContain(`<@UBEN> rotated *lagos-gw-1*`);
    }
    expect(textOf(await command(app, 'audit <@UNOBODY|nobody>'))).toContain('No changes by <@UNOBODY>.');
  });

  it('by key: only what happened to that key', async () => {
    const page = await command(app, 'audit lagos-gw-1-r2');
    expect(page.text).toBe(`Audit: lagos-gw-1-r2 (${r2.publicId}) (page 1)`);
    const lines = linesOf(page);
    expect(runLines(lines)).toHaveLength(1);
    expect(textOf(page)).toContain(`<@UBEN> created *lagos-gw-1-r2*`);
    expect(textOf(page)).not.toContain('<@UBEN> rotated');
    expect(textOf(page)).not.toContain('<@UANA>');
  });

  it('a bare @name that Slack did not resolve is refused with how to mention', async () => {
    const res = await app.slack.command('audit @ben');
    expect(res.body.response_type).toBe('ephemeral');
    expect(textOf(res.body)).toContain('is not a person Slack recognised');
  });
});

describe('paging', () => {
  it('"Older" pages to the end: 20 changes a page, registrations folded, no line twice, filters kept', async () => {
    const { keys } = app.context.domain;
    const paging = await keys.create({ name: 'paging-gw', ipLock: { mode: 'off' }, actor: 'UCAROL' });
    let runs = 0;
    for (let i = 0; i < 45; i++) {
      clock.advance(MINUTE);
      if (i % 2) await keys.setIpLock('paging-gw', { mode: 'off' }, 'UCAROL');
      else await keys.setIpLock('paging-gw', { mode: 'list', list: `10.0.${i}.0/24` }, 'UCAROL');
      if (i % 10 === 5) {
        clock.advance(MINUTE);
        const numbers = [number(100 + i), number(200 + i), number(300 + i)];
        await keys.linkPhones(paging.view.keyId, numbers, `phone:${paging.view.publicId}`);
        runs += 1;
      }
    }

    const pages: string[][] = [];
    // A viewer (not an admin) pages too: reading is open to everyone.
    let page = await command(app, 'audit paging-gw', { userId: 'UVIEWER' });
    for (;;) {
      pages.push(linesOf(page));
      const [older] = actionsOf(page);
      if (!older) break;
      expect(older.text.text).toBe('Older');
      page = await pressInEphemeral(app, older.action_id, older.value, { userId: 'UVIEWER' });
      expect(page.replace_original).toBe(true);
      expect(page.text).toBe(`Audit: paging-gw (${paging.view.publicId}) (page ${pages.length + 1})`);
    }
    const changes = pages.map((lines) => lines.filter((line) => !line.startsWith(':iphone:')).length);
    expect(changes).toEqual([20, 20, 6]); // 45 lock changes and the creation
    const all = pages.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(runLines(all)).toHaveLength(runs);
    for (const line of runLines(all)) expect(line).toContain(':iphone: 3 phones registered on *paging-gw*');
    expect(all.at(-1)).toContain('<@UCAROL> created *paging-gw*');
    expect(all.filter((line) => line.includes('<@UCAROL> locked *paging-gw*'))).toHaveLength(23);
    expect(all.filter((line) => line.includes('<@UCAROL> unlocked *paging-gw*'))).toHaveLength(22);
  });

  it('a page reads at most 1,000 entries: 1,500 registrations between two changes take two pages', async () => {
    const { keys } = app.context.domain;
    const busy = await keys.create({ name: 'busy-gw', ipLock: { mode: 'off' }, actor: 'UDAN' });
    const start = clock.now().getTime();
    // As the receiver writes them, 1,500 phones a second apart (written here in one go for speed).
    await app.context.models.AuditEntry.insertMany(
      Array.from({ length: 1500 }, (_, i) => ({
        at: new Date(start + (i + 1) * 1000),
        actor: `phone:${busy.view.publicId}`,
        action: 'phone.linked',
        keyId: busy.view.keyId,
        phoneNumber: number(10_000 + i),
        details: {},
      })),
    );
    clock.advance(1501 * 1000);
    await keys.setIpLock('busy-gw', { mode: 'first' }, 'UDAN');

    // Dan's own changes: the index on (key, actor) skips the phones.
    const dans = await command(app, 'audit busy-gw <@UDAN>');
    expect(linesOf(dans)).toEqual([
      expect.stringContaining('<@UDAN> locked *busy-gw*'),
      expect.stringContaining('<@UDAN> created *busy-gw*'),
    ]);
    expect(actionsOf(dans)).toEqual([]);

    const one = await command(app, 'audit busy-gw');
    expect(linesOf(one)).toEqual([
      expect.stringContaining('<@UDAN> locked *busy-gw*'),
      expect.stringMatching(/^:iphone: 999 phones registered on \*busy-gw\*/),
    ]);
    const [older] = actionsOf(one);
    const two = await pressInEphemeral(app, older.action_id, older.value);
    expect(linesOf(two)).toEqual([
      expect.stringMatching(/^:iphone: 501 phones registered on \*busy-gw\*/),
      expect.stringContaining('<@UDAN> created *busy-gw*'),
    ]);
    expect(actionsOf(two)).toEqual([]);
  });
});

describe('escaping', () => {
  it('a key named <!channel> arrives escaped', async () => {
    // Names typed today are one word; one stored by an older version, or by hand, may be anything.
    await app.context.models.Key.updateOne({ keyId: gw.keyId }, { $set: { name: '<!channel> & co' } });
    try {
      const page = await command(app, `audit ${gw.publicId}`);
      expect(textOf(page)).toContain(`<@UBEN> rotated *&lt;!channel&gt; &amp; co* (\`${gw.publicId}\`)`);
      // Everything Slack reads as markup (the notification text, sections, context) has it escaped;
      // the header is plain text, where Slack shows the name as it is.
      const mrkdwn = [page.text, ...(page.blocks as Json[]).filter((b) => b.type !== 'header').map((b) => JSON.stringify(b))];
      for (const text of mrkdwn) expect(text).not.toContain('<!channel>');
      expect(page.blocks[0]).toMatchObject({
        type: 'header',
        text: { type: 'plain_text', text: `Audit: <!channel> & co (${gw.publicId})` },
      });
    } finally {
      await app.context.models.Key.updateOne({ keyId: gw.keyId }, { $set: { name: 'lagos-gw-1' } });
    }
  });
});
