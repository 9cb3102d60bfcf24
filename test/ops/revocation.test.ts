/**
 * README: Operations → Scale out: deleting a key revokes it at once on the instance that handled the delete and within
 * 1 second on every other instance, whatever the receiver caches. Two real server processes on
 * one database; the key is created and deleted through Slack on A, B has it cached.
 */
import http from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { testDatabaseUri } from '../support/database.js';
import { type FakeSlack, startFakeSlack } from '../support/fakeSlack.js';
import { phoneEvent, postPhoneWebhook } from '../support/phoneRequests.js';
import { newServerSecrets, type ServerProcess, startServerProcess } from '../support/serverProcess.js';
import { createKeyThroughSlack, deleteKeyThroughSlack, sendHeartbeat, slackFor, sleep } from './support.js';

let fake: FakeSlack;
let a: ServerProcess;
let b: ServerProcess;
const secrets = newServerSecrets();

beforeAll(async () => {
  fake = await startFakeSlack();
  const shared = { mongodbUri: testDatabaseUri('revocation'), slackApiUrl: fake.url, secrets };
  [a, b] = await Promise.all([startServerProcess(shared), startServerProcess(shared)]);
}, 60_000);
afterAll(async () => {
  // SIGTERM, so their log lines join the run's log scan; SIGKILL if that fails.
  await Promise.all([a, b].map((server) => server?.stop().finally(() => server.kill())));
  await fake?.close();
});

it('a key deleted through instance A is refused at once by A and within 1 s by B, which had it cached', async () => {
  const slack = slackFor(a.baseUrl, secrets.SLACK_SIGNING_SECRET, fake);
  const { key, publicId } = await createKeyThroughSlack(slack, fake, 'lagos-gateway');
  const number = '+2348012345001';
  const registered = await postPhoneWebhook(a.baseUrl, { key, event: phoneEvent('phone.registered', { phone_numbers: [number] }) });
  expect(registered.status).toBe(202);

  // B learns the key and keeps it (its cache): several accepted heartbeats.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < 3; i++) expect((await sendHeartbeat(b.baseUrl, key, number, agent)).outcome).toBe(202);

  const deleteStarted = performance.now();
  const answer = await deleteKeyThroughSlack(slack, fake, publicId);
  expect(answer).toMatch(/revoked|deleted/i);
  const answeredAt = performance.now();

  // A, which handled the delete: refused at once.
  const onA = await postPhoneWebhook(a.baseUrl, { key, event: phoneEvent('phone.heartbeat', { phone_numbers: [number] }) });
  expect(onA.status).toBe(401);
  expect(onA.body.error).toMatch(/revoked/);

  // B: heartbeats every 20 ms until refused; the first refusal comes within 1 s of the delete.
  let refusedAt: number | undefined;
  const outcomes: (number | string)[] = [];
  while (refusedAt === undefined && performance.now() - deleteStarted < 3_000) {
    const sent = await sendHeartbeat(b.baseUrl, key, number, agent);
    outcomes.push(sent.outcome);
    if (sent.outcome === 401) refusedAt = sent.startedAt;
    else await sleep(20);
  }
  const delayMs = Math.round((refusedAt ?? Infinity) - deleteStarted);
  console.log(
    `[revocation] delete answered after ${Math.round(answeredAt - deleteStarted)} ms; B refused from ${delayMs} ms after the button was pressed; B's answers meanwhile: ${outcomes.join(',')}`,
  );
  expect(refusedAt, `B kept accepting the deleted key: ${outcomes.join(',')}`).toBeDefined();
  expect(delayMs).toBeLessThanOrEqual(1_000);
  // Once refused, refused for good; and one second after the delete, B refuses.
  expect(outcomes.slice(outcomes.indexOf(401))).toEqual([401]);
  await sleep(Math.max(0, 1_000 - (performance.now() - answeredAt)));
  const later = await postPhoneWebhook(b.baseUrl, { key, event: phoneEvent('phone.heartbeat', { phone_numbers: [number] }) });
  expect(later.status).toBe(401);
  expect(later.body.error).toMatch(/revoked/);
  agent.destroy();
}, 30_000);
