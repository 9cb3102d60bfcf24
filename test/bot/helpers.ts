/** Shared steps of the bot tests: run a /keys command and read its ephemeral answer, open and submit modals. */
import { expect } from 'vitest';
import type { FakeCall } from '../support/fakeSlack.js';
import { type BlockActionOpts, type CommandOpts, fillView, type Json, newTriggerId, type StateValue } from '../support/slackRequests.js';
import type { TestApp } from '../support/testApp.js';

export const FULL_KEY = /pk_[a-z2-7]{8}_[A-Za-z0-9_-]{64}/;
export const FULL_KEY_EXACT = /^pk_[a-z2-7]{8}_[A-Za-z0-9_-]{64}$/;

/** All the text of a message or view (text + every block), to search in. */
export const textOf = (message: Json): string => JSON.stringify({ text: message?.text, blocks: message?.blocks });

/**
 * Runs `/keys <text>` and returns the ephemeral answer: the ack's body when it
 * answered at once, else what the app posted to the command's response_url.
 */
export async function command(app: TestApp, text: string, opts: CommandOpts = {}): Promise<Json> {
  const url = app.fake.responseUrl();
  const id = url.split('/').pop();
  const res = await app.slack.command(text, { responseUrl: url, ...opts });
  expect(res.status).toBe(200);
  if (res.body && typeof res.body === 'object' && res.body.text) return res.body;
  return (await app.fake.waitForResponse((r) => r.id === id)).body;
}

/** Presses a button in an ephemeral message (a /keys reply) and returns what it posted to its response_url. */
export async function pressInEphemeral(app: TestApp, actionId: string, value: string, opts: BlockActionOpts = {}): Promise<Json> {
  const url = app.fake.responseUrl();
  const id = url.split('/').pop();
  const res = await app.slack.blockAction(actionId, value, { ephemeral: true, responseUrl: url, ...opts });
  expect(res.status).toBe(200);
  return (await app.fake.waitForResponse((r) => r.id === id)).body;
}

/** Presses a button in an ephemeral message that should open a modal; returns the views.open call. */
export async function pressToOpen(
  app: TestApp,
  actionId: string,
  value: string,
  opts: BlockActionOpts = {},
): Promise<{ call: FakeCall; responseUrl: string }> {
  const triggerId = newTriggerId();
  const responseUrl = app.fake.responseUrl();
  const res = await app.slack.blockAction(actionId, value, { ephemeral: true, responseUrl, triggerId, ...opts });
  expect(res.status).toBe(200);
  return { call: await app.fake.waitFor('views.open', (c) => c.args.trigger_id === triggerId), responseUrl };
}

/** `/keys create [name]` → the views.open call of the create modal. */
export async function openCreateModal(app: TestApp, name = '', opts: CommandOpts = {}): Promise<{ call: FakeCall; responseUrl: string }> {
  const triggerId = newTriggerId();
  const responseUrl = app.fake.responseUrl();
  const res = await app.slack.command(`create ${name}`.trim(), { triggerId, responseUrl, ...opts });
  expect(res.status).toBe(200);
  return { call: await app.fake.waitFor('views.open', (c) => c.args.trigger_id === triggerId), responseUrl };
}

/** Submits a modal the app opened (as Slack echoes it back), answering its inputs. */
export function submit(app: TestApp, opened: FakeCall, answers: Record<string, string | string[] | null | StateValue>, userId = 'UADMIN') {
  const view = opened.response?.body.view;
  return app.slack.viewSubmission(view, fillView(view, answers), { userId });
}

/** The answer posted to a response_url. */
export async function responseAt(app: TestApp, responseUrl: string): Promise<Json> {
  const id = responseUrl.split('/').pop();
  return (await app.fake.waitForResponse((r) => r.id === id)).body;
}

/** Every action element of a message's blocks. */
export function actionsOf(message: Json): Json[] {
  return ((message?.blocks ?? []) as Json[])
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements.map((e: Json) => ({ ...e, block_id: b.block_id })));
}

/** Creates a key through the modal and returns the full key from the reveal DM. */
export async function createThroughModal(
  app: TestApp,
  name: string,
  answers: Record<string, string | null> = {},
  userId = 'UADMIN',
): Promise<{ key: string; keyId: string; dm: FakeCall; responseUrl: string }> {
  const { call, responseUrl } = await openCreateModal(app, name, { userId });
  const res = await submit(app, call, answers, userId);
  expect(res.status).toBe(200);
  expect(res.text).toBe('');
  const dm = await app.fake.waitFor(
    'chat.postMessage',
    (c) => c.args.channel === `D${userId}` && FULL_KEY.test(textOf(c.args)) && textOf(c.args).includes(name),
  );
  const key = FULL_KEY.exec(textOf(dm.args))![0];
  await responseAt(app, responseUrl);
  return { key, keyId: key.slice(3, 11), dm, responseUrl };
}
