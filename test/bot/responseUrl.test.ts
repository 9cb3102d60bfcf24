/**
 * A modal's response_url (carried in its private_metadata) is posted to only on Slack's hosts or
 * SLACK_API_URL's, never through a redirect (README: Security); otherwise the answer goes as an
 * ephemeral message in the channel, as when Slack refuses a response_url.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTrustedResponseUrl, postToResponseUrl } from '../../src/slack/responseUrl.js';
import { fillView } from '../support/slackRequests.js';
import { startTestApp, type TestApp } from '../support/testApp.js';
import { openCreateModal } from './helpers.js';

/** A loopback HTTP server recording what reaches it; `answer` decides the response. */
async function recorder(answer: (req: IncomingMessage) => { status: number; headers?: Record<string, string> } = () => ({ status: 200 })) {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const { status, headers } = answer(req);
    req.resume();
    res.writeHead(status, headers).end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('which response_urls are trusted', () => {
  it('https on hooks.slack.com (or GovSlack), or exactly SLACK_API_URL’s scheme and host', () => {
    const api = 'http://127.0.0.1:4000/api/';
    expect(isTrustedResponseUrl('https://hooks.slack.com/commands/T0001/1/abc', undefined)).toBe(true);
    expect(isTrustedResponseUrl('https://hooks.slack-gov.com/actions/T0001/1/abc', undefined)).toBe(true);
    expect(isTrustedResponseUrl('http://127.0.0.1:4000/response/1', api)).toBe(true);
    for (const url of [
      'http://hooks.slack.com/commands/T0001/1/abc',
      'https://hooks.slack.com:8443/commands/x',
      'https://hooks.slack.com.evil.example/commands/x',
      'https://evil.example/?u=https://hooks.slack.com/',
      'https://user:pw@hooks.slack.com/commands/x',
      'http://127.0.0.1:4001/response/1',
      'https://127.0.0.1:4000/response/1',
      'not a url',
    ])
      expect(isTrustedResponseUrl(url, api), url).toBe(false);
  });

  it('a redirect from a trusted host is not followed', async () => {
    const target = await recorder();
    const redirecting = await recorder(() => ({ status: 302, headers: { location: `${target.url}/stolen` } }));
    try {
      const result = await postToResponseUrl(`${redirecting.url}/response/1`, { text: 'hi' }, { apiUrl: `${redirecting.url}/api/` });
      expect(result).toEqual({ ok: false, status: 302 });
      expect(redirecting.requests).toEqual(['POST /response/1']);
      expect(target.requests).toEqual([]);
    } finally {
      await target.close();
      await redirecting.close();
    }
  });
});

describe('a modal whose private_metadata names another host', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { ADMIN_USER_IDS: 'UADMIN' } });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('gets its answer as an ephemeral message; nothing is posted to that host', async () => {
    const foreign = await recorder();
    try {
      const { call } = await openCreateModal(app, 'pinned-gw');
      const view = {
        ...call.response!.body.view,
        private_metadata: JSON.stringify({ responseUrl: `${foreign.url}/hook`, channelId: 'C0GENERAL' }),
      };
      const res = await app.slack.viewSubmission(view, fillView(view, {}), { userId: 'UADMIN' });
      expect(res.status).toBe(200);
      const ephemeral = await app.fake.waitFor('chat.postEphemeral', (c) => c.args.channel === 'C0GENERAL' && c.args.user === 'UADMIN');
      expect(ephemeral.args.text).toContain('Created');
      expect(foreign.requests).toEqual([]);
      expect(app.logs.some((line) => line.includes("a modal's response_url is not Slack's"))).toBe(true);
    } finally {
      await foreign.close();
    }
  });
});
