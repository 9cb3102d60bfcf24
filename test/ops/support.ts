/** Steps shared by the operations tests: Slack through a server process, phones that keep sending. */
import http from 'node:http';
import { expect } from 'vitest';
import { signWebhook } from '../../src/webhooks/signing.js';
import type { FakeSlack } from '../support/fakeSlack.js';
import { phoneEvent } from '../support/phoneRequests.js';
import { fillView, newTriggerId, type SlackTestClient, slackClient } from '../support/slackRequests.js';

const FULL_KEY = /pk_[a-z2-7]{8}_[A-Za-z0-9_-]{64}/;

/** A signed Slack client for a server (process) and the fake Slack it talks to. */
export function slackFor(baseUrl: string, signingSecret: string, fake: FakeSlack): SlackTestClient {
  return slackClient({ baseUrl, signingSecret, responseUrl: (message) => fake.responseUrl(message) });
}

/** `/keys <text>` and its ephemeral answer (the ack's, or what was posted to the response_url). */
export async function keysCommand(slack: SlackTestClient, fake: FakeSlack, text: string): Promise<{ text: string; blocks?: unknown[] }> {
  const responseUrl = fake.responseUrl();
  const id = responseUrl.split('/').pop();
  const res = await slack.command(text, { responseUrl });
  expect(res.status).toBe(200);
  if (res.body && typeof res.body === 'object' && res.body.text) return res.body;
  return (await fake.waitForResponse((r) => r.id === id, 15_000)).body as { text: string };
}

/** `/keys create <name>`, the modal submitted as is: the full key, from the reveal DM. */
export async function createKeyThroughSlack(
  slack: SlackTestClient,
  fake: FakeSlack,
  name: string,
): Promise<{ key: string; keyId: string; publicId: string }> {
  const triggerId = newTriggerId();
  expect((await slack.command(`create ${name}`, { triggerId, responseUrl: fake.responseUrl() })).status).toBe(200);
  const opened = await fake.waitFor('views.open', (c) => c.args.trigger_id === triggerId);
  const view = opened.response?.body.view;
  const submitted = await slack.viewSubmission(view, fillView(view, {}), { userId: 'UADMIN' });
  expect(submitted.status).toBe(200);
  const dm = await fake.waitFor('chat.postMessage', (c) => FULL_KEY.test(JSON.stringify(c.args)) && JSON.stringify(c.args).includes(name));
  const key = FULL_KEY.exec(JSON.stringify(dm.args))![0];
  return { key, keyId: key.slice(3, 11), publicId: key.slice(0, 11) };
}

/** `/keys delete <key>`, then the confirmation's danger button: resolves with the answer to the button. */
export async function deleteKeyThroughSlack(slack: SlackTestClient, fake: FakeSlack, publicId: string): Promise<string> {
  const question = await keysCommand(slack, fake, `delete ${publicId}`);
  const button = JSON.stringify(question.blocks ?? []).includes('"key_delete"');
  expect(button, JSON.stringify(question)).toBe(true);
  const responseUrl = fake.responseUrl();
  const id = responseUrl.split('/').pop();
  const pressed = await slack.blockAction('key_delete', publicId.slice(3), {
    ephemeral: true,
    responseUrl,
    blockId: 'key_delete_confirmation',
  });
  expect(pressed.status).toBe(200);
  return ((await fake.waitForResponse((r) => r.id === id, 15_000)).body as { text: string }).text;
}

export interface SentWebhook {
  webhookId: string;
  startedAt: number;
  endedAt: number;
  /** The HTTP status, or the connection error's code (ECONNREFUSED, ECONNRESET, …). */
  outcome: number | string;
}

/** One signed heartbeat over `agent` (kept alive when the agent keeps connections). */
export function sendHeartbeat(baseUrl: string, key: string, number: string, agent: http.Agent): Promise<SentWebhook> {
  const body = JSON.stringify(phoneEvent('phone.heartbeat', { phone_numbers: [number], charging: true, battery: 80 }));
  const headers = signWebhook({ key, body });
  const url = new URL('/webhooks/phone', baseUrl);
  const sent = { webhookId: headers['webhook-id']!, startedAt: performance.now() };
  return new Promise((resolve) => {
    const done = (outcome: number | string) => resolve({ ...sent, endedAt: performance.now(), outcome });
    const req = http.request(
      {
        method: 'POST',
        hostname: url.hostname,
        port: url.port,
        path: url.pathname,
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        agent,
        timeout: 15_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode ?? 0));
        res.on('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
    req.end(body);
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
