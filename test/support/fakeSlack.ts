/**
 * A fake Slack Web API on loopback, for tests and benchmarks: point the app's WebClient at
 * `fake.url` (`SLACK_API_URL`). Every call is recorded with its arguments decoded the way Slack
 * reads them; answers look like Slack's; failures and latency can be injected. It also serves
 * `response_url`s (`fake.responseUrl()`) and the upload URLs of `files.uploadV2`.
 *
 * It refuses what real Slack refuses, so an end-to-end test catches a message Slack would
 * reject: blocks breaking Slack's limits (`invalid_blocks`, checked by ./blockKit.ts), text over
 * 40,000 characters (`msg_too_long`), no text nor blocks (`no_text`), a bad view or a missing
 * argument (`invalid_arguments`, e.g. an empty `ts` for chat.update, no `trigger_id` for
 * views.open), and any method it does not model (`unknown_method`).
 *
 * It reads back what was posted (`conversations.history` / `.replies`, newest first, paged by
 * `cursor`; message metadata with `include_all_metadata`; file names), and answers
 * `conversations.info` (and refuses posts) as `setChannel` says: missing, archived, or without
 * the bot. Failure injection (`failNext`): an error code or HTTP status (429 with Retry-After),
 * only for calls whose arguments `match`, `afterAccepting` (done, then the failure answered: a
 * lost response), `hang` (no answer until `releaseHangs()` or the client gives up).
 *
 * How @slack/web-api talks to it: every method is a `POST <slackApiUrl><method>`, form-encoded,
 * objects and arrays (blocks, view, files) JSON-encoded into string fields, the token in
 * `Authorization: Bearer`. files.uploadV2 = files.getUploadURLExternal → POST of the bytes
 * (multipart, field `filename`) to the returned upload_url → files.completeUploadExternal.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkMessage, viewProblems } from './blockKit.js';

export type SlackArgs = Record<string, any>;

export interface FakeCall {
  /** Web API method, e.g. `chat.postMessage`. */
  method: string;
  /** Token from `Authorization: Bearer …`. */
  token: string | undefined;
  /** Arguments with JSON fields (blocks, view, files…) decoded. */
  args: SlackArgs;
  /** Arguments as received (form strings undecoded). */
  rawArgs: SlackArgs;
  /** What the fake answered (set once answered, after any delay; waitFor's calls always have it). */
  response?: { status: number; body: SlackArgs };
}

export interface FakeMessage {
  channel: string;
  ts: string;
  text?: string;
  blocks?: unknown[];
  thread_ts?: string;
  /** Message metadata (event_type, event_payload), as posted. */
  metadata?: SlackArgs;
  /** Files shared with it by files.completeUploadExternal. */
  files?: FakeFile[];
  /** chat.update calls (and response_url replacements) applied. */
  updates: number;
  deleted: boolean;
}

export interface FakeEphemeral {
  channel: string;
  user: string;
  text?: string;
  blocks?: unknown[];
}

export interface FakeFile {
  id: string;
  name: string;
  title?: string;
  /** Bytes posted to the upload URL (undefined until uploaded). */
  bytes?: Buffer;
  completed: boolean;
  channel_id?: string;
  deleted: boolean;
}

export interface FakeResponse {
  /** Id of the response_url (`/response/<id>`). */
  id: string;
  body: SlackArgs;
  /** The message the response_url belongs to, when given to `responseUrl()`. */
  message?: { channel: string; ts: string };
}

export interface FailOptions {
  /** Slack error code; default `ratelimited` for 429, otherwise `internal_error`. */
  error?: string;
  /** HTTP status; default 200 (ok:false). 429 adds `Retry-After`. */
  status?: number;
  /** How many calls fail; default 1. */
  times?: number;
  /** Retry-After seconds for 429; default 1. */
  retryAfter?: number;
  /** Only calls whose (decoded) arguments match fail; the others go through. */
  match?: (args: SlackArgs) => boolean;
  /** Do what was asked (post the message…), then answer with the failure: a lost response. */
  afterAccepting?: boolean;
  /** No answer until `releaseHangs()`, the client giving up, or `close()`: Slack hanging. */
  hang?: boolean;
}

/** How a channel behaves for posts and conversations.info (default: it exists, the bot is in it). */
export interface FakeChannel {
  exists?: boolean;
  isMember?: boolean;
  isArchived?: boolean;
}

type Failure = Required<Omit<FailOptions, 'match'>> & { method: string; match?: (args: SlackArgs) => boolean };

export interface FakeSlack {
  /** Base URL for WebClient's `slackApiUrl`, ending in `/api/`. */
  readonly url: string;
  /** Every Web API call, oldest first. */
  readonly calls: readonly FakeCall[];
  callsTo(method: string): FakeCall[];
  /** The first matching call, past or future, once answered; rejects after timeoutMs listing the calls seen. */
  waitFor(method: string, predicate?: (call: FakeCall) => boolean, timeoutMs?: number): Promise<FakeCall>;
  /** Forget everything: calls, responses, messages, files, failures, delays. */
  reset(): void;
  /** The next `times` calls to `method` fail (`response_url` for response_url posts). */
  failNext(method: string, options?: FailOptions): void;
  /** Answers every hanging call (with its failure). */
  releaseHangs(): void;
  /** How a channel behaves: missing (`channel_not_found`), archived (`is_archived`), without the bot (`not_in_channel`). */
  setChannel(id: string, channel: FakeChannel): void;
  /** Delay answers to one method by ms (on top of the `delayMs` every answer waits). */
  setDelay(method: string, ms: number): void;
  /** Current (not deleted) messages in a channel (a user id `U…` means the bot's DM with them, `D…`). */
  messagesIn(channel: string): FakeMessage[];
  /** A message by channel and ts, deleted ones included. */
  message(channel: string, ts: string): FakeMessage | undefined;
  /** Replies in a thread (messages whose thread_ts is threadTs, not the parent). */
  threadReplies(channel: string, threadTs: string): FakeMessage[];
  readonly ephemerals: readonly FakeEphemeral[];
  /** Files by id (from files.getUploadURLExternal). */
  readonly files: ReadonlyMap<string, FakeFile>;
  /** A fresh response_url; with a message, `replace_original`/`delete_original` posts act on it. */
  responseUrl(message?: { channel?: string; ts?: string }): string;
  /** Bodies posted to response_urls and accepted, oldest first. */
  readonly responses: readonly FakeResponse[];
  waitForResponse(predicate?: (r: FakeResponse) => boolean, timeoutMs?: number): Promise<FakeResponse>;
  /** Where apps.connections.open sends Socket Mode clients (a fake Socket Mode server's ws:// URL). */
  setSocketModeUrl(url: string): void;
  close(): Promise<void>;
}

export const FAKE_TEAM_ID = 'T0001';
export const FAKE_BOT_USER_ID = 'UBOT';
export const FAKE_BOT_ID = 'BBOT';

/** Fields that carry free text and are never JSON-decoded. */
const TEXT_FIELDS = new Set(['text', 'initial_comment', 'alt_text', 'title', 'filename', 'private_metadata']);

/** Decodes string fields that hold JSON objects or arrays (how WebClient encodes them). */
function decodeSlackArgs(raw: SlackArgs): SlackArgs {
  const out: SlackArgs = {};
  for (const [k, v] of Object.entries(raw)) {
    out[k] = v;
    if (typeof v !== 'string' || TEXT_FIELDS.has(k) || !/^\s*[[{]/.test(v)) continue;
    try {
      out[k] = JSON.parse(v);
    } catch {
      /* Slack would refuse it as it is; the checks below see a string */
    }
  }
  return out;
}

/** Slack posts to a user id into the bot's DM with them. */
const channelOf = (channel: unknown): string => {
  const id = String(channel ?? '');
  return /^[UW][A-Z0-9]+$/.test(id) ? `D${id}` : id;
};

/** A refusal as Slack words it: the error code, and the problems as response_metadata messages. */
const refusal = (error: string, problems: string[] = []): SlackArgs => ({
  ok: false,
  error,
  ...(problems.length ? { errors: problems, response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) } } : {}),
});
const missing = (field: string): SlackArgs => refusal('invalid_arguments', [`missing required field: ${field}`]);

function describeCall(c: FakeCall): string {
  const bits = ['channel', 'ts', 'user', 'users', 'user_id', 'trigger_id', 'thread_ts', 'text']
    .filter((k) => c.args[k] !== undefined)
    .map((k) => `${k}=${JSON.stringify(String(c.args[k]).slice(0, 60))}`);
  const body = c.response?.body;
  const answer = c.response
    ? ` -> ${c.response.status}${body?.ok === false ? ` ${body.error} ${(body.errors ?? []).join('; ')}` : ''}`
    : ' (pending)';
  return `${c.method}(${bits.join(' ')})${answer}`;
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Form fields (url-encoded or multipart; file parts as Buffers) or a JSON object. */
async function parseBody(contentType: string, body: Buffer): Promise<SlackArgs> {
  const type = contentType.toLowerCase();
  if (body.length === 0) return {};
  if (type.startsWith('application/json')) return JSON.parse(body.toString('utf8'));
  if (type.startsWith('multipart/form-data')) {
    const fields: SlackArgs = {};
    const form = await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData();
    for (const [key, value] of form.entries()) fields[key] = typeof value === 'string' ? value : Buffer.from(await value.arrayBuffer());
    return fields;
  }
  return Object.fromEntries(new URLSearchParams(body.toString('utf8')));
}

interface Waiter<T> {
  match: (x: T) => boolean;
  resolve: (x: T) => void;
  reject: (error: Error) => void;
}

export async function startFakeSlack({ delayMs = 0 }: { delayMs?: number } = {}): Promise<FakeSlack> {
  let calls: FakeCall[] = [];
  let responses: FakeResponse[] = [];
  let refusedResponses: string[] = [];
  let failures: Failure[] = [];
  let channels = new Map<string, FakeChannel>();
  const hangs = new Set<() => void>();
  let delays = new Map<string, number>();
  let messages = new Map<string, FakeMessage>(); // `channel|ts`, in posting order
  let ephemerals: FakeEphemeral[] = [];
  let files = new Map<string, FakeFile>();
  let socketModeUrl: string | undefined;
  let responseTargets = new Map<string, { channel: string; ts: string } | undefined>();
  let callWaiters: Waiter<FakeCall>[] = [];
  let responseWaiters: Waiter<FakeResponse>[] = [];
  let counter = 0;
  const timers = new Set<NodeJS.Timeout>();
  let origin = '';

  const nextTs = (): string => {
    counter += 1;
    return `${1700000000 + Math.floor(counter / 10_000)}.${String((counter % 10_000) * 100).padStart(6, '0')}`;
  };
  const nextId = (prefix: string): string => `${prefix}${String(++counter).padStart(8, '0')}`;
  const keyOf = (channel: string, ts: string): string => `${channel}|${ts}`;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (ms <= 0) return resolve();
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });
  const takeFailure = (method: string, args: SlackArgs = {}) => {
    const failure = failures.find((f) => f.method === method && (!f.match || f.match(args)));
    if (failure && --failure.times <= 0) failures = failures.filter((f) => f !== failure);
    return failure;
  };
  const notify = <T>(waiters: Waiter<T>[], item: T): Waiter<T>[] => {
    for (const w of waiters) if (w.match(item)) w.resolve(item);
    return waiters.filter((w) => !w.match(item));
  };

  /** The message a chat.* call or a response_url would post, refused as Slack refuses it. */
  const messageRefusal = (a: SlackArgs): SlackArgs | undefined => {
    const refused = checkMessage(a);
    return refused && refusal(refused.error, refused.problems);
  };

  /** A post to a channel the bot cannot post in. */
  const channelRefusal = (channel: string): SlackArgs | undefined => {
    const known = channels.get(channel);
    if (known?.exists === false) return refusal('channel_not_found');
    if (known?.isArchived) return refusal('is_archived');
    if (known?.isMember === false) return refusal('not_in_channel');
    return undefined;
  };

  /** Waits until released, the client goes away, or the fake closes. */
  const hangUntilReleased = (req: http.IncomingMessage): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        hangs.delete(done);
        req.socket.off('close', done);
        resolve();
      };
      hangs.add(done);
      req.socket.once('close', done);
    });

  /** conversations.history (top-level messages, newest first) or .replies (a thread, oldest first), paged. */
  const history = (method: string, a: SlackArgs): SlackArgs => {
    if (!a.channel) return missing('channel');
    if (method === 'conversations.replies' && !a.ts) return missing('ts');
    const channel = channelOf(a.channel);
    if (channels.get(channel)?.exists === false) return refusal('channel_not_found');
    if (channels.get(channel)?.isMember === false) return refusal('not_in_channel');
    const all = [...messages.values()].filter((m) => !m.deleted && m.channel === channel);
    const chosen =
      method === 'conversations.history'
        ? all.filter((m) => !m.thread_ts || m.thread_ts === m.ts).reverse()
        : all.filter((m) => m.ts === String(a.ts) || m.thread_ts === String(a.ts));
    const offset = Number(a.cursor ?? 0) || 0;
    const limit = Math.min(Number(a.limit ?? 100) || 100, 1000);
    const more = offset + limit < chosen.length;
    const withMetadata = a.include_all_metadata === true || a.include_all_metadata === 'true';
    return {
      ok: true,
      messages: chosen.slice(offset, offset + limit).map((m) => ({
        type: 'message',
        ts: m.ts,
        text: m.text ?? '',
        user: FAKE_BOT_USER_ID,
        bot_id: FAKE_BOT_ID,
        ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
        ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}),
        ...(m.files ? { files: m.files.map((f) => ({ id: f.id, name: f.name })) } : {}),
      })),
      has_more: more,
      response_metadata: { next_cursor: more ? String(offset + limit) : '' },
    };
  };

  const viewRefusal = (view: unknown): SlackArgs | undefined => {
    if (!view || typeof view !== 'object') return missing('view');
    const problems = viewProblems(view);
    return problems.length ? refusal('invalid_arguments', problems) : undefined;
  };

  /** The body Slack answers one Web API call with (HTTP 200). */
  const answer = (method: string, a: SlackArgs, token: string): SlackArgs => {
    switch (method) {
      case 'apps.connections.open':
        // Socket Mode: only an app-level token opens a connection (a bot token is refused as Slack does).
        if (!token.startsWith('xapp-')) return refusal('not_allowed_token_type');
        return socketModeUrl ? { ok: true, url: socketModeUrl } : refusal('invalid_auth');
      case 'auth.test':
        return {
          ok: true,
          url: 'https://test.slack.com/',
          team: 'Test',
          team_id: FAKE_TEAM_ID,
          user_id: FAKE_BOT_USER_ID,
          bot_id: FAKE_BOT_ID,
        };
      case 'chat.postMessage':
      case 'chat.postEphemeral': {
        if (!a.channel) return refusal('channel_not_found');
        if (method === 'chat.postEphemeral' && !a.user) return refusal('user_not_in_channel');
        const refused = messageRefusal(a) ?? channelRefusal(channelOf(a.channel));
        if (refused) return refused;
        const channel = channelOf(a.channel);
        const ts = nextTs();
        if (method === 'chat.postEphemeral') {
          ephemerals.push({ channel, user: String(a.user), text: a.text, blocks: a.blocks });
          return { ok: true, message_ts: ts };
        }
        messages.set(keyOf(channel, ts), {
          channel,
          ts,
          text: a.text,
          blocks: a.blocks,
          thread_ts: a.thread_ts,
          ...(a.metadata ? { metadata: a.metadata } : {}),
          updates: 0,
          deleted: false,
        });
        return {
          ok: true,
          channel,
          ts,
          message: { type: 'message', user: FAKE_BOT_USER_ID, bot_id: FAKE_BOT_ID, ts, text: a.text ?? '', blocks: a.blocks },
        };
      }
      case 'chat.update':
      case 'chat.delete': {
        if (!a.channel) return refusal('channel_not_found');
        if (!a.ts) return missing('ts');
        const channel = channelOf(a.channel);
        const message = messages.get(keyOf(channel, String(a.ts)));
        if (!message || message.deleted) return refusal('message_not_found');
        if (method === 'chat.delete') {
          message.deleted = true;
          return { ok: true, channel, ts: message.ts };
        }
        const refused = messageRefusal(a);
        if (refused) return refused;
        if (a.text !== undefined) message.text = a.text;
        if (a.blocks !== undefined) message.blocks = a.blocks;
        message.updates += 1;
        return { ok: true, channel, ts: message.ts, text: message.text ?? '' };
      }
      case 'conversations.info': {
        if (!a.channel) return missing('channel');
        const known = channels.get(String(a.channel)) ?? {};
        if (known.exists === false) return refusal('channel_not_found');
        const id = String(a.channel);
        return {
          ok: true,
          channel: { id, is_channel: id.startsWith('C'), is_member: known.isMember ?? true, is_archived: known.isArchived ?? false },
        };
      }
      case 'conversations.history':
      case 'conversations.replies':
        return history(method, a);
      case 'conversations.open': {
        const users = String(a.users ?? '')
          .split(',')
          .filter(Boolean);
        if (users.length === 0) return refusal('users_list_not_supplied');
        return { ok: true, channel: { id: users.length === 1 ? `D${users[0]}` : `G${users.join('').slice(0, 20)}` } };
      }
      case 'views.open':
        if (!a.trigger_id) return missing('trigger_id');
        return viewRefusal(a.view) ?? { ok: true, view: { ...a.view, id: nextId('V'), team_id: FAKE_TEAM_ID, state: { values: {} } } };
      case 'views.publish':
        if (!a.user_id) return missing('user_id');
        if (a.view?.type !== 'home')
          return refusal('invalid_arguments', ['a published view must be of type home [json-pointer:/view/type]']);
        return viewRefusal(a.view) ?? { ok: true, view: { ...a.view, id: nextId('V'), team_id: FAKE_TEAM_ID } };
      case 'files.getUploadURLExternal': {
        if (!a.filename) return missing('filename');
        if (!a.length) return missing('length');
        const id = nextId('F');
        files.set(id, { id, name: String(a.filename), completed: false, deleted: false });
        return { ok: true, upload_url: `${origin}/upload/${id}`, file_id: id };
      }
      case 'files.completeUploadExternal': {
        const list: Array<{ id: string; title?: string }> = Array.isArray(a.files) ? a.files : [];
        if (list.length === 0) return missing('files');
        // Sharing in a channel is posting there: refused like chat.postMessage.
        const sharedRefused = a.channel_id ? channelRefusal(channelOf(a.channel_id)) : undefined;
        if (sharedRefused) return sharedRefused;
        const done: FakeFile[] = [];
        for (const { id, title } of list) {
          const file = files.get(id);
          if (!file?.bytes) return refusal('file_not_found');
          Object.assign(file, { completed: true, title, channel_id: a.channel_id ? channelOf(a.channel_id) : undefined });
          done.push(file);
        }
        if (a.channel_id) {
          const channel = channelOf(a.channel_id);
          const ts = nextTs();
          messages.set(keyOf(channel, ts), { channel, ts, text: a.initial_comment ?? '', files: done, updates: 0, deleted: false });
        }
        return { ok: true, files: done.map((f) => ({ id: f.id, name: f.name, title: f.title ?? f.name, size: f.bytes?.length })) };
      }
      case 'files.delete': {
        if (!a.file) return missing('file');
        const file = files.get(String(a.file));
        if (file?.deleted) return refusal('file_deleted');
        if (file) file.deleted = true;
        return { ok: true };
      }
      default:
        return refusal('unknown_method');
    }
  };

  const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    if (res.writableEnded || res.destroyed) return;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json; charset=utf-8', ...headers });
    res.end(text);
  };

  /** An injected failure, as Slack sends it: ok:false (HTTP 200) or an HTTP error, 429 with Retry-After. */
  const sendFailure = (res: http.ServerResponse, f: Failure) =>
    send(res, f.status, { ok: false, error: f.error }, f.status === 429 ? { 'retry-after': String(f.retryAfter) } : {});

  const handleApi = async (req: http.IncomingMessage, res: http.ServerResponse, method: string): Promise<void> => {
    const rawArgs = await parseBody(String(req.headers['content-type'] ?? ''), await readBody(req));
    const token = /^Bearer\s+(.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
    const call: FakeCall = { method, token, args: decodeSlackArgs(rawArgs), rawArgs };
    calls.push(call);
    await sleep(delayMs + (delays.get(method) ?? 0));
    const failure = takeFailure(method, call.args);
    if (failure?.hang) await hangUntilReleased(req);
    if (failure?.afterAccepting && token) answer(method, call.args, token);
    if (failure) {
      call.response = { status: failure.status, body: { ok: false, error: failure.error } };
      sendFailure(res, failure);
    } else {
      call.response = { status: 200, body: token ? answer(method, call.args, token) : refusal('not_authed') };
      send(res, 200, call.response.body);
    }
    callWaiters = notify(callWaiters, call);
  };

  const handleUpload = async (req: http.IncomingMessage, res: http.ServerResponse, fileId: string): Promise<void> => {
    const fields = await parseBody(String(req.headers['content-type'] ?? ''), await readBody(req));
    const failure = takeFailure('upload');
    if (failure) return sendFailure(res, failure);
    const file = files.get(fileId);
    const bytes = Object.values(fields).find((v) => Buffer.isBuffer(v));
    if (!file || !bytes) return send(res, 404, 'file not found');
    file.bytes = bytes;
    send(res, 200, `OK - ${bytes.length}`);
  };

  const handleResponse = async (req: http.IncomingMessage, res: http.ServerResponse, id: string): Promise<void> => {
    const raw = await readBody(req);
    await sleep(delayMs + (delays.get('response_url') ?? 0));
    const failure = takeFailure('response_url');
    if (failure) return sendFailure(res, failure);
    let body: SlackArgs;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return send(res, 400, { ok: false, error: 'invalid_json' });
    }
    const deleting = body.delete_original === true;
    const refused = deleting ? undefined : messageRefusal(body);
    if (refused) {
      refusedResponses.push(`${id}: ${refused.error} ${(refused.errors ?? []).join('; ')}`);
      return send(res, 400, refused);
    }
    const target = responseTargets.get(id);
    const message = target && messages.get(keyOf(target.channel, target.ts));
    if (message && !message.deleted && deleting) message.deleted = true;
    else if (message && !message.deleted && body.replace_original === true) {
      Object.assign(message, { text: body.text, blocks: body.blocks, updates: message.updates + 1 });
    }
    const entry: FakeResponse = { id, body, ...(target ? { message: target } : {}) };
    responses.push(entry);
    responseWaiters = notify(responseWaiters, entry);
    send(res, 200, { ok: true });
  };

  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const route = /^\/(api|upload|response)\/([A-Za-z0-9_.-]+)$/.exec(path);
    const handlers: Record<string, typeof handleApi> = { api: handleApi, upload: handleUpload, response: handleResponse };
    const handler = route && req.method === 'POST' ? handlers[route[1]!] : undefined;
    const run = handler ? handler(req, res, route![2]!) : readBody(req).then(() => send(res, 404, refusal('unknown_method')));
    run.catch((error: unknown) => send(res, 500, { ok: false, error: 'fake_slack_error', detail: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  /** Resolves with the first item `existing` finds or that arrives later; rejects after timeoutMs saying what was seen. */
  const waitFor = <T>(
    what: string,
    existing: T | undefined,
    match: (x: T) => boolean,
    register: (w: Waiter<T>) => void,
    timeoutMs: number,
    seen: () => string,
  ): Promise<T> => {
    if (existing !== undefined) return Promise.resolve(existing);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        reject(new Error(`fakeSlack: timed out after ${timeoutMs} ms waiting for ${what}.\n${seen()}`));
      }, timeoutMs);
      timers.add(timer);
      const done = () => {
        clearTimeout(timer);
        timers.delete(timer);
      };
      register({
        match,
        resolve: (x) => {
          done();
          resolve(x);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      });
    });
  };
  const seenCalls = () =>
    calls.length ? `Web API calls seen (${calls.length}):\n  ${calls.map(describeCall).join('\n  ')}` : 'No Web API calls seen.';
  const live = () => [...messages.values()].filter((m) => !m.deleted);

  return {
    url: `${origin}/api/`,
    get calls() {
      return calls;
    },
    callsTo: (method) => calls.filter((c) => c.method === method),
    waitFor: (method, predicate = () => true, timeoutMs = 5000) => {
      const match = (c: FakeCall) => c.method === method && predicate(c);
      const existing = calls.find((c) => c.response && match(c));
      return waitFor(`a ${method} call`, existing, match, (w) => callWaiters.push(w), timeoutMs, seenCalls);
    },
    reset: () => {
      calls = [];
      responses = [];
      refusedResponses = [];
      failures = [];
      for (const release of [...hangs]) release();
      channels = new Map();
      delays = new Map();
      messages = new Map();
      ephemerals = [];
      files = new Map();
      responseTargets = new Map();
    },
    failNext: (method, { status = 200, error, times = 1, retryAfter = 1, match, afterAccepting = false, hang = false } = {}) => {
      const code = error ?? (status === 429 ? 'ratelimited' : 'internal_error');
      failures.push({ method, status, error: code, times, retryAfter, match, afterAccepting, hang });
    },
    releaseHangs: () => {
      for (const release of [...hangs]) release();
    },
    setChannel: (id, channel) => void channels.set(channelOf(id), channel),
    setDelay: (method, ms) => void delays.set(method, ms),
    messagesIn: (channel) => live().filter((m) => m.channel === channelOf(channel)),
    message: (channel, ts) => messages.get(keyOf(channelOf(channel), ts)),
    threadReplies: (channel, threadTs) =>
      live().filter((m) => m.channel === channelOf(channel) && m.thread_ts === threadTs && m.ts !== threadTs),
    get ephemerals() {
      return ephemerals;
    },
    get files() {
      return files;
    },
    setSocketModeUrl: (url) => void (socketModeUrl = url),
    responseUrl: (message) => {
      const id = nextId('R');
      responseTargets.set(id, message?.channel && message.ts ? { channel: channelOf(message.channel), ts: message.ts } : undefined);
      return `${origin}/response/${id}`;
    },
    get responses() {
      return responses;
    },
    waitForResponse: (predicate = () => true, timeoutMs = 5000) =>
      waitFor(
        'a response_url post',
        responses.find(predicate),
        predicate,
        (w) => responseWaiters.push(w),
        timeoutMs,
        () =>
          `response_url posts accepted: ${JSON.stringify(responses.map((r) => r.body)).slice(0, 2000)}\n` +
          `refused: ${refusedResponses.join('\n') || 'none'}\n${seenCalls()}`,
      ),
    close: async () => {
      for (const release of [...hangs]) release();
      const closed = new Error('fakeSlack: closed while waiting');
      for (const w of [...callWaiters, ...responseWaiters]) w.reject(closed);
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      callWaiters = [];
      responseWaiters = [];
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
