/**
 * SIGTERM while the Slack outbox is stuck on a hanging call (README: Operations → shutdown): the
 * call is aborted, the process exits 0 well within its limit, and the message is left owed — here
 * the redaction of a reveal DM, which the restarted process then does. Real processes, real SIGTERM.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { testDatabaseUri } from '../support/database.js';
import { type FakeSlack, startFakeSlack } from '../support/fakeSlack.js';
import { newServerSecrets, type ServerProcess, startServerProcess } from '../support/serverProcess.js';
import { createKeyThroughSlack, slackFor } from './support.js';

const FULL_KEY = /pk_[a-z2-7]{8}_[A-Za-z0-9_-]{64}/;
const mongodbUri = testDatabaseUri('outbox_shutdown');
const secrets = newServerSecrets();
let fake: FakeSlack;
const servers: ServerProcess[] = [];

const start = async () => {
  const server = await startServerProcess({ mongodbUri, slackApiUrl: fake.url, secrets, env: { RUN_JOBS: 'true' } });
  servers.push(server);
  return server;
};

beforeAll(async () => {
  fake = await startFakeSlack();
});
afterAll(async () => {
  for (const server of servers) server.kill();
  await fake?.close();
});

it('SIGTERM during a hanging redaction: exit 0 in time; after a restart the DM is redacted', async () => {
  const first = await start();
  const slack = slackFor(first.baseUrl, secrets.SLACK_SIGNING_SECRET, fake);
  const { keyId } = await createKeyThroughSlack(slack, fake, 'gw-hanging-redaction');
  const dm = await fake.waitFor('chat.postMessage', (c) => FULL_KEY.test(JSON.stringify(c.args)));
  const ts = dm.response!.body.ts as string;
  const shows = () => {
    const message = fake.message('DUADMIN', ts);
    return FULL_KEY.test(JSON.stringify({ text: message?.text, blocks: message?.blocks }));
  };
  expect(shows()).toBe(true);

  // Slack stops answering chat.update; "Saved it — hide" is pressed: the redaction hangs.
  fake.failNext('chat.update', { hang: true });
  expect((await slack.blockAction('reveal_hide', keyId, { userId: 'UADMIN', channelId: 'DUADMIN', messageTs: ts })).status).toBe(200);
  for (let i = 0; i < 200 && !fake.callsTo('chat.update').some((c) => c.args.ts === ts); i++) await new Promise((r) => setTimeout(r, 25));
  expect(fake.callsTo('chat.update').filter((c) => c.args.ts === ts)).toHaveLength(1);

  const { code, ms } = await first.stop();
  console.log(`[outbox shutdown] exit ${code} ${Math.round(ms)} ms after SIGTERM with a hanging chat.update`);
  expect(code).toBe(0);
  expect(ms).toBeLessThan(5_000); // the process's own hard stop is 9.5 s; a platform's kill comes at 10–30 s
  expect(shows()).toBe(true); // not redacted: the call never went through

  // The next process redacts it: the claim was given back at shutdown (and would have expired after a crash).
  const second = await start();
  await fake.waitFor('chat.update', (c) => c.args.ts === ts && c.response?.status === 200 && c.response.body.ok === true, 30_000);
  expect(shows()).toBe(false);
  expect(JSON.stringify(fake.message('DUADMIN', ts)?.text)).toContain('hidden');
  await second.stop();
}, 120_000);
