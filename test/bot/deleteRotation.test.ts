/**
 * Deleting a key in a rotation (README: Using /keys): deleting the successor cancels the rotation
 * (the predecessor is active again, rotatable, its phones keep working) and says so, before and
 * after; the confirmation says what happens to linked phones and to a key in its grace; the
 * deleted key's reveal DM is redacted at once. The API's DELETE follows the same rules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../api/support.js';
import { checkKey } from '../support/keyCheck.js';
import { startTestApp, type TestApp, testClock } from '../support/testApp.js';
import { actionsOf, command, createThroughModal, FULL_KEY, pressInEphemeral, textOf } from './helpers.js';

const HOUR = 3_600_000;
const clock = testClock('2026-11-22T10:00:00Z');
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ clock: clock.now, env: { ADMIN_USER_IDS: 'UADMIN', ROTATION_GRACE_HOURS: '24' } });
});
afterAll(async () => {
  await app?.close();
});

const keys = () => app.context.domain.keys;

/** `/keys rotate <name>` and the successor's reveal DM. */
async function rotateInSlack(name: string) {
  await command(app, `rotate ${name}`);
  const old = await keys().get(name);
  const successor = await keys().get(`pk_${old.rotatedTo}`);
  const dm = await app.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'DUADMIN' && textOf(c.args).includes(successor.publicId));
  return { old, successor, dm };
}

/** `/keys delete <ref>`, then the danger button: the confirmation and the answer. */
async function deleteInSlack(ref: string) {
  const question = await command(app, `delete ${ref}`);
  const [button] = actionsOf(question);
  const answer = await pressInEphemeral(app, button.action_id, button.value, { blockId: button.block_id });
  return { question, button, answer };
}

describe('deleting the successor of a rotation', () => {
  it('cancels the rotation: the predecessor is active again and rotatable, and both messages say so; the reveal DM is redacted', async () => {
    await createThroughModal(app, 'lagos-gw-1');
    await keys().linkPhones((await keys().get('lagos-gw-1')).keyId, ['+2348011111111'], 'phone:test');
    const { old, successor, dm } = await rotateInSlack('lagos-gw-1');
    expect(successor.name).toBe('lagos-gw-1-r2');

    const { question, button, answer } = await deleteInSlack('lagos-gw-1-r2');
    // Before: what deleting does to the predecessor.
    expect(textOf(question)).toContain('cancels that rotation');
    expect(textOf(question)).toContain(old.publicId);
    expect(textOf(question)).toContain('becomes active again');
    // The dialog of the danger button says it too, within Slack's 300 characters.
    expect(button.confirm.text.text).toContain(old.publicId);
    expect(button.confirm.text.text.length).toBeLessThanOrEqual(300);
    // After: what it did.
    expect(answer.text).toContain('Deleted');
    expect(answer.text).toContain('*active again*');
    expect(answer.text).toContain(old.publicId);

    const predecessor = await keys().get(old.publicId);
    expect(predecessor).toMatchObject({ status: 'active', rotatedTo: null, graceEndsAt: null });
    expect(predecessor.phoneNumbers).toEqual(['+2348011111111']);
    // Its grace is gone, so its phones keep working after the grace would have ended.
    clock.advance(25 * HOUR);
    expect(await checkKey(app.context, old.publicId, '192.0.2.1')).toMatchObject({ ok: true });
    expect(
      await app.context.models.AuditEntry.countDocuments({ keyId: old.keyId, action: 'key.rotation_cancelled', actor: 'UADMIN' }),
    ).toBe(1);

    // The deleted successor's reveal DM no longer shows its key.
    const redacted = await app.fake.waitFor('chat.update', (c) => c.args.channel === dm.args.channel && c.args.ts === dm.response!.body.ts);
    expect(textOf(redacted.args)).not.toMatch(FULL_KEY);
    expect(textOf(app.fake.message(dm.args.channel, dm.response!.body.ts))).not.toMatch(FULL_KEY);

    // Rotatable again (the name of the deleted successor is free).
    const again = await rotateInSlack('lagos-gw-1');
    expect(again.successor.name).toBe('lagos-gw-1-r2');
    expect(again.successor.keyId).not.toBe(successor.keyId);
  });

  it('a successor that was rotated in turn: the predecessor hands over to the newest key instead', async () => {
    await keys().create({ name: 'chain-gw', ipLock: { mode: 'off' }, actor: 'UADMIN' });
    const first = await rotateInSlack('chain-gw');
    const second = await rotateInSlack(first.successor.name);
    const { answer } = await deleteInSlack(first.successor.publicId);
    expect(answer.text).toContain(`now hands over to \`${second.successor.publicId}\``);
    expect(await keys().get(first.old.publicId)).toMatchObject({ status: 'rotating', rotatedTo: second.successor.keyId });
  });

  it('after the predecessor’s grace has ended it is left to expire, and nothing claims otherwise', async () => {
    await keys().create({ name: 'late-gw', ipLock: { mode: 'off' }, actor: 'UADMIN' });
    const { old, successor } = await rotateInSlack('late-gw');
    clock.advance(25 * HOUR);
    const { question, answer } = await deleteInSlack(successor.publicId);
    // (The button's dialog, written without reading the predecessor, says "if … still in its grace".)
    expect(question.blocks[0].text.text).not.toContain('active again');
    expect(answer.text).not.toContain('active again');
    expect((await keys().get(old.publicId)).status).toBe('rotating');
  });
});

describe('the delete confirmation', () => {
  it('names the phones that will be refused, and a key in its grace says its grace ends now', async () => {
    const { view } = await keys().create({ name: 'phones-gw', ipLock: { mode: 'off' }, actor: 'UADMIN' });
    await keys().linkPhones(view.keyId, ['+2348012222222', '+2348013333333'], 'phone:test');
    const question = await command(app, 'delete phones-gw');
    expect(textOf(question)).toContain('The 2 phones linked to it (+2348012222222, +2348013333333) are refused from their next request');
    expect(actionsOf(question)[0].confirm.text.text).toContain('its 2 phones are refused');

    await rotateInSlack('phones-gw');
    const inGrace = await command(app, 'delete phones-gw');
    expect(textOf(inGrace)).toContain('It is in its rotation grace');
    expect(textOf(inGrace)).toContain('that ends now');
    expect(actionsOf(inGrace)[0].confirm.text.text).toContain('Its rotation grace ends now.');
  });
});

describe('the management API', () => {
  it('DELETE of a successor cancels the rotation the same way, and redacts its reveal DM', async () => {
    await keys().create({ name: 'api-gw', ipLock: { mode: 'off' }, actor: 'UADMIN' });
    const { old, successor, dm } = await rotateInSlack('api-gw');
    const { api } = await createToken(app);
    expect((await api.delete(`/keys/${successor.publicId}`)).status).toBe(204);
    const predecessor = await api.get(`/keys/${old.publicId}`);
    expect(predecessor.body).toMatchObject({ status: 'active', rotated_to: null, grace_ends_at: null });
    expect((await api.post(`/keys/${old.publicId}/rotate`)).status).toBe(201);
    await app.fake.waitFor('chat.update', (c) => c.args.channel === dm.args.channel && c.args.ts === dm.response!.body.ts);
    expect(textOf(app.fake.message(dm.args.channel, dm.response!.body.ts))).not.toMatch(FULL_KEY);
  });
});
