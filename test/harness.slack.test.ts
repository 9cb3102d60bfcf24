/**
 * Tests of the test harness itself (no app): the fake Slack Web API, the Slack request
 * signer and the phone webhook signer.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, LogLevel, verifySlackRequest } from '@slack/bolt';
import { ErrorCode, type WebAPIPlatformError, WebClient } from '@slack/web-api';
import { Webhook } from 'svix';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeSlack, startFakeSlack } from './support/fakeSlack.js';
import { keyIdOf, phoneEvent, postPhoneWebhook, randomPhoneKey, signPhoneWebhook } from './support/phoneRequests.js';
import { appHomeOpened, fillView, signSlackRequest, slackClient } from './support/slackRequests.js';

const TOKEN = 'xoxb-test-token';
// 1x1 transparent PNG
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

let fake: FakeSlack;
let client: WebClient;

beforeAll(async () => {
  fake = await startFakeSlack();
  client = new WebClient(TOKEN, { slackApiUrl: fake.url, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });
});
afterAll(async () => {
  await fake.close();
});
afterEach(() => {
  fake.reset();
});

describe('fake Slack Web API', () => {
  it('serves on loopback with a /api/ base url', () => {
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/$/);
  });

  it('answers auth.test like Slack and records the bearer token', async () => {
    const res = await client.auth.test();
    expect(res).toMatchObject({ ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T0001' });
    expect(fake.callsTo('auth.test')).toHaveLength(1);
    expect(fake.calls[0]?.token).toBe(TOKEN);
  });

  it('refuses calls without a token, and methods it does not model', async () => {
    const anon = new WebClient(undefined, { slackApiUrl: fake.url, retryConfig: { retries: 0 } });
    await expect(anon.auth.test()).rejects.toMatchObject({ code: ErrorCode.PlatformError, data: { error: 'not_authed' } });
    await expect(client.apiCall('reactions.add', { channel: 'C1', timestamp: '1.2', name: 'x' })).rejects.toMatchObject({
      data: { error: 'unknown_method' },
    });
  });

  it('records chat.postMessage with blocks decoded and returns unique increasing ts', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*Phone silent*' } }];
    const a = await client.chat.postMessage({ channel: 'C0ALERTS', text: 'Phone silent', blocks });
    const b = await client.chat.postMessage({ channel: 'C0ALERTS', text: 'reply', thread_ts: a.ts });
    expect(a.ok).toBe(true);
    expect(a.channel).toBe('C0ALERTS');
    expect(a.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(Number(b.ts)).toBeGreaterThan(Number(a.ts));
    expect(a.message?.blocks).toEqual(blocks);

    const call = fake.callsTo('chat.postMessage')[0];
    expect(call?.args.blocks).toEqual(blocks);
    expect(typeof call?.rawArgs.blocks).toBe('string');
    expect(call?.args.text).toBe('Phone silent');

    expect(fake.messagesIn('C0ALERTS')).toHaveLength(2);
    expect(fake.threadReplies('C0ALERTS', a.ts as string).map((m) => m.text)).toEqual(['reply']);
  });

  it('posting to a user id lands in their DM, like conversations.open', async () => {
    const open = await client.conversations.open({ users: 'UADMIN' });
    expect(open.channel?.id).toBe('DUADMIN');
    const res = await client.chat.postMessage({ channel: 'UADMIN', text: 'hi' });
    expect(res.channel).toBe('DUADMIN');
    expect(fake.messagesIn('DUADMIN').map((m) => m.text)).toEqual(['hi']);
    expect(fake.messagesIn('UADMIN')).toHaveLength(1);
  });

  it('applies chat.update and chat.delete to messages', async () => {
    const posted = await client.chat.postMessage({ channel: 'C0ALERTS', text: 'Phone silent' });
    const ts = posted.ts as string;
    const upd = await client.chat.update({
      channel: 'C0ALERTS',
      ts,
      text: 'Resolved',
      blocks: [{ type: 'section', text: { type: 'plain_text', text: 'Resolved' } }],
    });
    expect(upd).toMatchObject({ ok: true, channel: 'C0ALERTS', ts });
    expect(fake.message('C0ALERTS', ts)).toMatchObject({ text: 'Resolved', updates: 1 });

    await client.chat.delete({ channel: 'C0ALERTS', ts });
    expect(fake.messagesIn('C0ALERTS')).toHaveLength(0);
    expect(fake.message('C0ALERTS', ts)?.deleted).toBe(true);
    await expect(client.chat.update({ channel: 'C0ALERTS', ts, text: 'x' })).rejects.toMatchObject({
      data: { error: 'message_not_found' },
    });
  });

  it('answers postEphemeral, views.open and views.publish', async () => {
    const eph = await client.chat.postEphemeral({ channel: 'C0CMD', user: 'UADMIN', text: 'only you' });
    expect(eph.message_ts).toMatch(/^\d+\.\d+$/);
    expect(fake.ephemerals[0]).toMatchObject({ channel: 'C0CMD', user: 'UADMIN', text: 'only you' });

    const opened = await client.views.open({
      trigger_id: '123.456.abc',
      view: {
        type: 'modal',
        callback_id: 'key_create',
        private_metadata: '{"c":"C0CMD"}',
        title: { type: 'plain_text', text: 'New key' },
        blocks: [],
      },
    });
    expect(opened.view?.id).toMatch(/^V/);
    expect(opened.view?.callback_id).toBe('key_create');
    const call = await fake.waitFor('views.open');
    expect(call.args.view.private_metadata).toBe('{"c":"C0CMD"}');

    await client.views.publish({ user_id: 'UADMIN', view: { type: 'home', blocks: [{ type: 'divider' }] } });
    expect((await fake.waitFor('views.publish')).args.view.blocks).toEqual([{ type: 'divider' }]);
  });

  it('files.uploadV2 works end to end and records the bytes', async () => {
    const res = await client.files.uploadV2({
      channel_id: 'DUADMIN',
      file: PNG,
      filename: 'key-qr.png',
      title: 'QR',
      initial_comment: 'Scan this on the phone',
    });
    expect(res.ok).toBe(true);
    expect(fake.callsTo('files.getUploadURLExternal')[0]?.args).toMatchObject({ filename: 'key-qr.png', length: String(PNG.length) });
    const complete = await fake.waitFor('files.completeUploadExternal');
    const fileId = complete.args.files[0].id as string;
    expect(complete.args).toMatchObject({ files: [{ id: fileId, title: 'QR' }], channel_id: 'DUADMIN' });

    // uploadV2's result nests completeUploadExternal's answers: files[i].files[j]
    const files = (res as unknown as { files: Array<{ files: Array<{ id: string }> }> }).files;
    expect(files[0]?.files[0]?.id).toBe(fileId);
    const file = fake.files.get(fileId)!;
    expect(file.bytes!.equals(PNG)).toBe(true);
    expect(file).toMatchObject({ name: 'key-qr.png', completed: true, channel_id: 'DUADMIN' });
    expect(fake.messagesIn('DUADMIN')[0]?.files?.[0]?.id).toBe(fileId);

    await client.files.delete({ file: fileId });
    expect(fake.files.get(fileId)?.deleted).toBe(true);
    await expect(client.files.delete({ file: fileId })).rejects.toMatchObject({ data: { error: 'file_deleted' } });
  });

  it('failNext: ok:false with a Slack error, then normal again', async () => {
    fake.failNext('chat.postMessage', { error: 'channel_not_found' });
    const err = (await client.chat.postMessage({ channel: 'CNOPE', text: 'x' }).catch((e: unknown) => e)) as WebAPIPlatformError;
    expect(err.code).toBe(ErrorCode.PlatformError);
    expect(err.data.error).toBe('channel_not_found');
    expect((await client.chat.postMessage({ channel: 'C1', text: 'x' })).ok).toBe(true);
    expect(fake.callsTo('chat.postMessage').map((c) => c.response?.body.ok)).toEqual([false, true]);
  });

  it('failNext: HTTP 500 and 429 reject', async () => {
    fake.failNext('chat.postMessage', { error: 'internal_error', status: 500 });
    await expect(client.chat.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({
      code: ErrorCode.HTTPError,
      statusCode: 500,
    });

    const strict = new WebClient(TOKEN, {
      slackApiUrl: fake.url,
      retryConfig: { retries: 0 },
      logLevel: LogLevel.ERROR,
      rejectRateLimitedCalls: true,
    });
    fake.failNext('chat.postMessage', { status: 429, times: 2 });
    await expect(strict.chat.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({
      code: ErrorCode.RateLimitedError,
      retryAfter: 1,
    });
    // Without rejectRateLimitedCalls, WebClient sleeps Retry-After then (retries: 0) gives up
    // with a request error, not a rate-limited one.
    await expect(client.chat.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({
      code: ErrorCode.RequestError,
    });
    expect(fake.callsTo('chat.postMessage').map((c) => c.response?.status)).toEqual([500, 429, 429]);
  });

  it('setDelay delays one method’s answers', async () => {
    fake.setDelay('chat.postMessage', 300);
    const t0 = Date.now();
    await client.auth.test();
    const fast = Date.now() - t0;
    await client.chat.postMessage({ channel: 'C1', text: 'slow' });
    expect(Date.now() - t0 - fast).toBeGreaterThanOrEqual(280);
  });

  it('waitFor resolves with past and future calls, and times out listing calls seen', async () => {
    await client.chat.postMessage({ channel: 'C1', text: 'first' });
    expect((await fake.waitFor('chat.postMessage')).args.text).toBe('first');

    const later = fake.waitFor('chat.postMessage', (c) => c.args.text === 'second', 2000);
    setTimeout(() => void client.chat.postMessage({ channel: 'C1', text: 'second' }), 50);
    expect((await later).args.text).toBe('second');

    await expect(fake.waitFor('views.open', undefined, 100)).rejects.toThrow(
      /timed out after 100 ms waiting for a views\.open call[\s\S]*chat\.postMessage\(channel="C1" text="first"\)/,
    );
  });

  it('response_url: records JSON posts and replaces/deletes the bound message', async () => {
    const url = fake.responseUrl();
    const r = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Key created', response_type: 'ephemeral' }),
    });
    expect(r.status).toBe(200);
    expect(fake.responses[0]).toMatchObject({ id: url.split('/').pop(), body: { text: 'Key created' } });

    const posted = await client.chat.postMessage({ channel: 'C0ALERTS', text: 'alert' });
    const bound = fake.responseUrl({ channel: 'C0ALERTS', ts: posted.ts as string });
    await fetch(bound, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ replace_original: true, text: 'alert (acknowledged)' }),
    });
    expect(fake.message('C0ALERTS', posted.ts as string)?.text).toBe('alert (acknowledged)');
    const resp = await fake.waitForResponse((x) => x.body.replace_original === true);
    expect(resp.message).toEqual({ channel: 'C0ALERTS', ts: posted.ts });
  });
});

describe('the fake refuses what Slack refuses', () => {
  const refusedWith = async (call: Promise<unknown>) => ((await call.catch((e: unknown) => e)) as WebAPIPlatformError).data;
  const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

  it('messages: blocks breaking limits, text over 40,000 characters, nothing to show', async () => {
    const tooMany = await refusedWith(client.chat.postMessage({ channel: 'C1', text: 'x', blocks: Array(51).fill({ type: 'divider' }) }));
    expect(tooMany).toMatchObject({ ok: false, error: 'invalid_blocks' });
    expect(tooMany.response_metadata?.messages?.join()).toMatch(/at most 50 items \(has 51\) \[json-pointer:\/blocks\]/);
    const tooLong = await refusedWith(
      client.chat.postEphemeral({ channel: 'C1', user: 'U1', text: 'x', blocks: [section('y'.repeat(3001))] }),
    );
    expect(tooLong).toMatchObject({ error: 'invalid_blocks' });
    expect(await refusedWith(client.chat.postMessage({ channel: 'C1', text: 'x'.repeat(40_001) }))).toMatchObject({
      error: 'msg_too_long',
    });
    expect(await refusedWith(client.chat.postMessage({ channel: 'C1', text: '' }))).toMatchObject({ error: 'no_text' });
    expect(fake.messagesIn('C1')).toHaveLength(0);
    expect(fake.ephemerals).toHaveLength(0);
  });

  it('chat.update without a ts, or with blocks Slack refuses, changes nothing', async () => {
    const posted = await client.chat.postMessage({ channel: 'C1', text: 'alert' });
    const noTs = await refusedWith(client.chat.update({ channel: 'C1', ts: '', text: 'resolved' }));
    expect(noTs).toMatchObject({ error: 'invalid_arguments' });
    expect(noTs.response_metadata?.messages).toEqual(['[ERROR] missing required field: ts']);
    const bad = await refusedWith(client.chat.update({ channel: 'C1', ts: posted.ts as string, text: 'x', blocks: [section('')] }));
    expect(bad).toMatchObject({ error: 'invalid_blocks' });
    expect(fake.message('C1', posted.ts as string)).toMatchObject({ text: 'alert', updates: 0 });
  });

  it('views: a trigger_id and a valid view are required; a published view is a home tab', async () => {
    const view = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'A title far over 24 chars' }, blocks: [] };
    expect(await refusedWith(client.views.open({ trigger_id: '', view }))).toMatchObject({ error: 'invalid_arguments' });
    const badTitle = await refusedWith(client.views.open({ trigger_id: '1.2.a', view }));
    expect(badTitle.response_metadata?.messages?.join()).toMatch(/at most 24 characters .*\/view\/title\/text/);
    expect(
      await refusedWith(client.views.publish({ user_id: 'U1', view: { ...view, title: { type: 'plain_text', text: 'ok' } } as never })),
    ).toMatchObject({ error: 'invalid_arguments' });
    expect(fake.callsTo('views.open').every((c) => c.response?.body.ok === false)).toBe(true);
  });

  it('a response_url refuses the same messages (HTTP 400), and records only what it accepted', async () => {
    const url = fake.responseUrl();
    const post = (body: object) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const refused = await post({ text: 'x', blocks: Array(51).fill({ type: 'divider' }) });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: 'invalid_blocks' });
    expect(fake.responses).toHaveLength(0);
    await expect(fake.waitForResponse(undefined, 50)).rejects.toThrow(/refused: R\d+: invalid_blocks/);
  });
});

describe('Slack request signing', () => {
  const secret = 'test-signing-secret';

  it("produces signatures Bolt's verifySlackRequest accepts; a tampered body is rejected", () => {
    const body = 'token=x&team_id=T0001&command=%2Fkeys&text=list';
    const headers = signSlackRequest(secret, body);
    expect(headers['content-type']).toBe('application/x-www-form-urlencoded');
    const verify = (b: string): void =>
      verifySlackRequest({
        signingSecret: secret,
        body: b,
        headers: {
          'x-slack-signature': headers['x-slack-signature'],
          'x-slack-request-timestamp': Number(headers['x-slack-request-timestamp']),
        },
      });
    expect(() => verify(body)).not.toThrow();
    expect(() => verify(`${body}x`)).toThrow(/signature mismatch/);
    expect(signSlackRequest(secret, '{"type":"event_callback"}')['content-type']).toBe('application/json');
  });

  it('a stale timestamp is rejected by Bolt', () => {
    const body = 'payload=%7B%7D';
    const old = Math.floor(Date.now() / 1000) - 600;
    const headers = signSlackRequest(secret, body, old);
    expect(() =>
      verifySlackRequest({
        signingSecret: secret,
        body,
        headers: { 'x-slack-signature': headers['x-slack-signature'], 'x-slack-request-timestamp': old },
      }),
    ).toThrow(/stale/);
  });

  it('slackClient sends signed form and JSON requests Bolt would accept, and checks acks as Slack would', async () => {
    const seen: Array<{ headers: http.IncomingHttpHeaders; body: string; url: string }> = [];
    let commandAck: object = { text: 'ok' };
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        seen.push({ headers: req.headers, body, url: req.url ?? '' });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body.startsWith('payload=') ? { response_action: 'clear' } : commandAck));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const slack = slackClient({ baseUrl, signingSecret: secret, responseUrl: fake.responseUrl });
      const res = await slack.command('create Lagos', { userId: 'UADMIN' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ text: 'ok' });

      const view = {
        callback_id: 'key_create',
        private_metadata: 'pm',
        blocks: [
          { type: 'input', block_id: 'name', element: { type: 'plain_text_input', action_id: 'name_input' } },
          {
            type: 'input',
            block_id: 'mode',
            element: {
              type: 'static_select',
              action_id: 'mode_select',
              options: [{ text: { type: 'plain_text', text: 'IP list' }, value: 'list' }],
            },
          },
        ],
      };
      const values = fillView(view, { name: 'Lagos', mode_select: 'list' });
      expect(values).toEqual({
        name: { name_input: { type: 'plain_text_input', value: 'Lagos' } },
        mode: { mode_select: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: 'IP list' }, value: 'list' } } },
      });
      await slack.viewSubmission(view, values, { userId: 'UADMIN' });
      await slack.blockAction('key_rotate', 'abcd2345', { channelId: 'C0CMD', messageTs: '1700000000.000100' });
      await slack.event({ type: 'app_home_opened', user: 'UADMIN', tab: 'home', channel: 'DUADMIN' });

      expect(seen).toHaveLength(4);
      for (const s of seen) {
        expect(s.url).toBe('/slack/events');
        expect(() =>
          verifySlackRequest({
            signingSecret: secret,
            body: s.body,
            headers: {
              'x-slack-signature': String(s.headers['x-slack-signature']),
              'x-slack-request-timestamp': Number(s.headers['x-slack-request-timestamp']),
            },
          }),
        ).not.toThrow();
      }
      const [cmd, sub, act, ev] = seen;
      expect(cmd?.headers['content-type']).toBe('application/x-www-form-urlencoded');
      const cmdFields = new URLSearchParams(cmd?.body);
      expect(cmdFields.get('command')).toBe('/keys');
      expect(cmdFields.get('text')).toBe('create Lagos');
      expect(cmdFields.get('response_url')).toMatch(new RegExp(`^${new URL(fake.url).origin}/response/`));

      const subPayload = JSON.parse(new URLSearchParams(sub?.body).get('payload') ?? '');
      expect(subPayload).toMatchObject({
        type: 'view_submission',
        user: { id: 'UADMIN' },
        view: { callback_id: 'key_create', private_metadata: 'pm', state: { values } },
      });
      const actPayload = JSON.parse(new URLSearchParams(act?.body).get('payload') ?? '');
      expect(actPayload).toMatchObject({
        type: 'block_actions',
        actions: [{ action_id: 'key_rotate', value: 'abcd2345', type: 'button' }],
        container: { type: 'message', channel_id: 'C0CMD', message_ts: '1700000000.000100' },
        channel: { id: 'C0CMD' },
      });
      expect(ev?.headers['content-type']).toBe('application/json');
      expect(JSON.parse(ev?.body ?? '')).toMatchObject({
        type: 'event_callback',
        event: { type: 'app_home_opened', user: 'UADMIN' },
      });

      const bad = await slack.raw(cmd?.body ?? '', {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-signature': 'v0=deadbeef',
        'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000)),
      });
      expect(bad.status).toBe(200); // this stub accepts everything; the app must answer 401
      expect(seen[4]?.headers['x-slack-signature']).toBe('v0=deadbeef');

      // An ack Slack would refuse fails the test that sent the request.
      commandAck = { text: 'x', blocks: Array(51).fill({ type: 'divider' }) };
      await expect(slack.command('list')).rejects.toThrow(/Slack would refuse the app's ack to \/keys list:\n.*at most 50 items/);
      await expect(slack.viewSubmission(view, values)).resolves.toMatchObject({ body: { response_action: 'clear' } });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('phone webhook signing', () => {
  const key = randomPhoneKey();
  const body = JSON.stringify(phoneEvent('phone.heartbeat', { phone_numbers: ['+2348012345678'], battery: 81 }));

  it('keyIdOf takes the pk_<id> prefix even when the secret contains underscores', () => {
    expect(key).toHaveLength(76);
    expect(keyIdOf(key)).toMatch(/^pk_[a-z2-7]{8}$/);
    expect(keyIdOf('pk_abcdefgh_sec_ret-x')).toBe('pk_abcdefgh');
    expect(() => keyIdOf('nope')).toThrow();
  });

  it('headers are verified by svix (format raw)', () => {
    const headers = signPhoneWebhook({ key, id: 'msg_1', body });
    expect(headers['webhook-timestamp']).toMatch(/^\d{10}$/);
    expect(headers['x-phone-key-id']).toBe(keyIdOf(key));
    expect(headers['content-type']).toBe('application/json');
    const wh = new Webhook(key, { format: 'raw' });
    expect(() => wh.verify(body, headers)).not.toThrow();
    expect(() => wh.verify(`${body} `, headers)).toThrow();
    expect(() => new Webhook(randomPhoneKey(), { format: 'raw' }).verify(body, headers)).toThrow();
  });

  it("matches svix's own sign output", () => {
    const at = new Date('2026-11-22T10:00:00Z');
    const ours = signPhoneWebhook({ key, id: 'msg_abc', timestamp: at, body });
    expect(ours['webhook-timestamp']).toBe(String(at.getTime() / 1000));
    expect(ours['webhook-signature']).toBe(new Webhook(key, { format: 'raw' }).sign('msg_abc', at, body));
    expect(signPhoneWebhook({ key, id: 'msg_abc', timestamp: at.getTime() / 1000, body })).toEqual(ours);
  });

  it('postPhoneWebhook sends signed requests from a chosen source address', async () => {
    const seen: Array<{ headers: http.IncomingHttpHeaders; body: string; remote: string | undefined }> = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), remote: req.socket.remoteAddress });
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const event = phoneEvent('phone.registered', { phone_numbers: ['+2348012345678'] });
      const res = await postPhoneWebhook(baseUrl, { key, event, id: 'msg_x' });
      expect(res).toMatchObject({ status: 202, body: { ok: true } });
      const got = seen[0];
      expect(got?.body).toBe(JSON.stringify(event));
      expect(got?.headers['webhook-id']).toBe('msg_x');
      const wh = new Webhook(key, { format: 'raw' });
      expect(() => wh.verify(got?.body ?? '', got?.headers as Record<string, string>)).not.toThrow();

      if (process.platform === 'linux') {
        await postPhoneWebhook(baseUrl, { key, event, localAddress: '127.0.0.2' });
        expect(seen[1]?.remote).toMatch(/127\.0\.0\.2$/);
      }
      await postPhoneWebhook(baseUrl, { key, body: 'not json', headers: { 'x-phone-key-id': null } });
      expect(seen.at(-1)?.body).toBe('not json');
      expect(seen.at(-1)?.headers['x-phone-key-id']).toBeUndefined();
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('driving a real Bolt receiver (a throwaway Bolt app, not phonekeys)', () => {
  it('commands, respond(), modals, block actions, events, bad signatures', async () => {
    const signingSecret = 'bolt-secret';
    const app = new App({
      token: TOKEN,
      signingSecret,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: fake.url, retryConfig: { retries: 0 } },
    });
    app.command('/keys', async ({ ack, respond, client: web, body }) => {
      await ack();
      await respond({ text: `you said ${body.text}` });
      await web.views.open({
        trigger_id: body.trigger_id,
        view: {
          type: 'modal',
          callback_id: 'cb',
          title: { type: 'plain_text', text: 't' },
          submit: { type: 'plain_text', text: 'Go' },
          blocks: [
            {
              type: 'input',
              block_id: 'b',
              label: { type: 'plain_text', text: 'l' },
              element: { type: 'plain_text_input', action_id: 'a' },
            },
          ],
        },
      });
    });
    app.view('cb', async ({ ack, view }) => {
      await ack({ response_action: 'errors', errors: { b: `got ${view.state.values.b?.a?.value}` } });
    });
    app.action('btn', async ({ ack, respond }) => {
      await ack();
      await respond({ replace_original: true, text: 'clicked' });
    });
    app.event('app_home_opened', async ({ event, client: web }) => {
      await web.views.publish({ user_id: event.user, view: { type: 'home', blocks: [] } });
    });
    const server = (await app.start(0)) as http.Server;
    try {
      const port = (server.address() as AddressInfo).port;
      const slack = slackClient({ baseUrl: `http://127.0.0.1:${port}`, signingSecret, responseUrl: fake.responseUrl });

      expect((await slack.command('list')).status).toBe(200);
      expect((await fake.waitForResponse()).body.text).toBe('you said list');

      const open = await fake.waitFor('views.open');
      const sub = await slack.viewSubmission(open.response?.body.view, fillView(open.args.view, { b: 'hello' }));
      expect(sub.body).toEqual({ response_action: 'errors', errors: { b: 'got hello' } });

      const posted = await client.chat.postMessage({ channel: 'C1', text: 'orig' });
      const act = await slack.blockAction('btn', 'v', { channelId: 'C1', messageTs: posted.ts });
      expect(act.status).toBe(200);
      await fake.waitForResponse((r) => r.body.text === 'clicked');
      expect(fake.message('C1', posted.ts as string)?.text).toBe('clicked');

      expect((await slack.event(appHomeOpened('UADMIN'))).status).toBe(200);
      await fake.waitFor('views.publish', (c) => c.args.user_id === 'UADMIN');

      const bad = await slack.raw('text=x', {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-signature': 'v0=00',
        'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000)),
      });
      expect(bad.status).toBe(401);
      const stale = await slack.command('list', { timestamp: Math.floor(Date.now() / 1000) - 600 });
      expect(stale.status).toBe(401);
      expect((await slack.urlVerification('chal')).body).toEqual({ challenge: 'chal' });
    } finally {
      await app.stop();
    }
  });
});
