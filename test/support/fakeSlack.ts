/**
 * A fake Slack Web API on loopback, for tests and benchmarks.
 *
 * Point the app's WebClient at `fake.url` (WebClient option `slackApiUrl`, the app's
 * `SLACK_API_URL`). Every call is recorded with its arguments decoded the way Slack
 * would read them; answers look like Slack's; failures and latency can be injected.
 *
 * It also serves `response_url`s (`fake.responseUrl()`) and the upload URLs that
 * `files.uploadV2` posts file bytes to, so `respond()` and `files.uploadV2` work
 * end to end.
 *
 * How @slack/web-api 8 talks to it (see node_modules/@slack/web-api/dist/WebClient.js):
 * - every method is a `POST <slackApiUrl><method>` with an
 *   `application/x-www-form-urlencoded` body; objects and arrays (blocks, view,
 *   attachments, files, metadata…) are JSON-encoded into string fields; numbers and
 *   booleans arrive as strings ("true"); undefined/null fields are dropped;
 * - the token is sent as `Authorization: Bearer <token>`, not as a form field;
 * - a body containing a Buffer is sent as multipart/form-data instead;
 * - files.uploadV2 = `files.getUploadURLExternal` (filename, length) → POST of the
 *   bytes to the returned `upload_url` as multipart/form-data, field `body`, filename
 *   "Untitled" (not the real filename) → `files.completeUploadExternal`
 *   (files=[{id,title}] JSON, channel_id, thread_ts, initial_comment, blocks).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary nested Slack payloads
export type SlackArgs = Record<string, any>;

export interface FakeCall {
  /** Web API method, e.g. `chat.postMessage`. */
  method: string;
  /** Token from `Authorization: Bearer …` or the `token` field. */
  token: string | undefined;
  /** Arguments with JSON-looking fields (blocks, view, attachments, files…) decoded. */
  args: SlackArgs;
  /** Arguments as received (form strings undecoded). */
  rawArgs: SlackArgs;
  /** Request content type, e.g. `application/x-www-form-urlencoded`. */
  contentType: string;
  at: Date;
  /** What the fake answered (set when the answer is sent, after any delay; waitFor's calls always have it). */
  response?: { status: number; body: SlackArgs };
}

export interface FakeMessage {
  channel: string;
  ts: string;
  text?: string;
  blocks?: unknown[];
  attachments?: unknown[];
  metadata?: unknown;
  thread_ts?: string;
  user: string;
  bot_id: string;
  /** Files shared into the channel by files.completeUploadExternal. */
  files?: FakeFile[];
  /** Set when updated with chat.update (or a response_url replace). */
  edited?: { user: string; ts: string };
  /** Number of chat.update calls applied. */
  updates: number;
  /** Previous versions, oldest first. */
  history: Array<Pick<FakeMessage, 'text' | 'blocks' | 'attachments' | 'metadata'>>;
  deleted: boolean;
}

export interface FakeEphemeral {
  channel: string;
  user: string;
  message_ts: string;
  text?: string;
  blocks?: unknown[];
  thread_ts?: string;
}

export interface FakeFile {
  id: string;
  name: string;
  title?: string;
  length?: number;
  alt_text?: string;
  /** Bytes posted to the upload URL (undefined until uploaded). */
  bytes?: Buffer;
  /** Content type of the uploaded part (multipart) or request. */
  mimetype?: string;
  completed: boolean;
  channel_id?: string;
  thread_ts?: string;
  initial_comment?: string;
  deleted: boolean;
}

export interface FakeUpload {
  fileId: string;
  filename: string | undefined;
  contentType: string | undefined;
  bytes: Buffer;
  at: Date;
}

export interface FakeResponse {
  /** Id of the response_url (`/response/<id>`). */
  id: string;
  body: SlackArgs;
  at: Date;
  /** Message the response_url belongs to, when given to `responseUrl()`. */
  message?: { channel: string; ts: string };
}

export interface FakeView {
  id: string;
  /** Latest view JSON (as sent by the app) plus the fields Slack adds. */
  view: SlackArgs;
  /** For views.publish: whose Home it is. */
  user_id?: string;
  /** Methods applied, in order: views.open, views.update, … */
  history: string[];
}

export interface FailOptions {
  /** Slack error code; default `ratelimited` for 429, otherwise `internal_error`. */
  error?: string;
  /** HTTP status; default 200 (ok:false). 429 adds `Retry-After`. */
  status?: number;
  /** How many calls fail; default 1. Use Infinity for "until clearFailures()". */
  times?: number;
  /** Retry-After seconds for 429; default 1. */
  retryAfter?: number;
}

export interface FakeSlackOptions {
  /** Host to bind; default 127.0.0.1. */
  host?: string;
  /** Port; default 0 (random). */
  port?: number;
  /** Delay before every answer, in ms; default 0. */
  delayMs?: number;
  /** If given, only these tokens are accepted (others get `invalid_auth`). */
  tokens?: string[];
  /** Customise users.info answers, by user id. */
  users?: Record<string, SlackArgs>;
  /** Log every call to stderr. */
  log?: boolean;
}

export interface FakeSlack {
  /** Base URL for WebClient's `slackApiUrl`, ending in `/api/`. */
  readonly url: string;
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  readonly port: number;
  /** Every Web API call, oldest first. */
  readonly calls: readonly FakeCall[];
  callsTo(method: string): FakeCall[];
  /**
   * Resolve with the first matching call, past or future, once the fake has answered it
   * (so `call.response` is set); reject after timeoutMs listing the calls seen.
   */
  waitFor(method: string, predicate?: (call: FakeCall) => boolean, timeoutMs?: number): Promise<FakeCall>;
  /** Forget recorded calls and responses (message/view/file state is kept). */
  clear(): void;
  /** Forget everything: calls, responses, messages, views, files, failures, delays. */
  reset(): void;

  /** The next `times` calls to `method` fail. Use method `upload` for the file-bytes POST. */
  failNext(method: string, opts?: FailOptions): void;
  clearFailures(): void;
  /** Delay every answer by ms. */
  setDelay(ms: number): void;
  /** Delay answers to one method by ms (overrides the global delay). */
  setDelay(method: string, ms: number): void;

  /** Current (not deleted) messages, in posting order, with chat.update applied. */
  readonly messages: readonly FakeMessage[];
  /** Messages in a channel (a user id `U…` means the bot's DM with them, `D…`). */
  messagesIn(channel: string): FakeMessage[];
  /** A message by channel and ts, including deleted ones. */
  message(channel: string, ts: string): FakeMessage | undefined;
  /** Replies in a thread (messages whose thread_ts is threadTs, excluding the parent). */
  threadReplies(channel: string, threadTs: string): FakeMessage[];
  readonly ephemerals: readonly FakeEphemeral[];

  /** Views opened/pushed/updated/published, by id. */
  readonly views: ReadonlyMap<string, FakeView>;
  /** The Home view last published for a user. */
  homeOf(userId: string): SlackArgs | undefined;

  /** Files known to the fake (from files.getUploadURLExternal), by id. */
  readonly files: ReadonlyMap<string, FakeFile>;
  /** File bytes posted to upload URLs, oldest first. */
  readonly uploads: readonly FakeUpload[];

  /** Set/override what users.info answers for a user. */
  setUser(userId: string, user: SlackArgs): void;

  /**
   * A fresh response_url on the fake. If `message` is given, posts with
   * `replace_original: true` update that message and `delete_original: true` delete it.
   */
  responseUrl(message?: { channel?: string; ts?: string }): string;
  /** JSON bodies posted to response_urls, oldest first. */
  readonly responses: readonly FakeResponse[];
  waitForResponse(predicate?: (r: FakeResponse) => boolean, timeoutMs?: number): Promise<FakeResponse>;

  close(): Promise<void>;
}

export const FAKE_TEAM_ID = 'T0001';
export const FAKE_BOT_USER_ID = 'UBOT';
export const FAKE_BOT_ID = 'BBOT';
export const FAKE_APP_ID = 'A0PHONEKEYS';

/** Fields that carry free text and must never be JSON-decoded. */
const TEXT_FIELDS = new Set([
  'text',
  'initial_comment',
  'alt_text',
  'title',
  'name',
  'query',
  'markdown_text',
  'fallback',
  'content',
  'filename',
  'private_metadata',
]);

/** Decode string fields that look like JSON objects/arrays (how WebClient encodes them). */
export function decodeSlackArgs(raw: SlackArgs): SlackArgs {
  const out: SlackArgs = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v === 'string' && !TEXT_FIELDS.has(k)) {
      const t = v.trimStart();
      if (t.startsWith('{') || t.startsWith('[')) {
        try {
          out[k] = JSON.parse(v);
          continue;
        } catch {
          /* keep the string */
        }
      }
    }
    out[k] = v;
  }
  return out;
}

function isUserId(id: string): boolean {
  return /^[UW][A-Z0-9]+$/.test(id);
}

/** Slack posts to a user id into the bot's DM with them. */
function normaliseChannel(channel: string): string {
  return isUserId(channel) ? `D${channel}` : channel;
}

function describeCall(c: FakeCall): string {
  const a = c.args;
  const bits: string[] = [];
  for (const k of ['channel', 'ts', 'user', 'users', 'user_id', 'view_id', 'trigger_id', 'thread_ts', 'text']) {
    if (a[k] !== undefined) {
      const s = String(a[k]);
      bits.push(`${k}=${JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s)}`);
    }
  }
  if (a.view && typeof a.view === 'object') bits.push(`view.callback_id=${JSON.stringify(a.view.callback_id)}`);
  const st = c.response ? ` -> ${c.response.status}${c.response.body.ok === false ? ` ${c.response.body.error}` : ''}` : ' (pending)';
  return `${c.method}(${bits.join(' ')})${st}`;
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

interface ParsedBody {
  fields: SlackArgs;
  /** File parts of a multipart body. */
  fileParts: Array<{ field: string; filename: string; type: string; bytes: Buffer }>;
}

async function parseBody(contentType: string, body: Buffer, query: URLSearchParams): Promise<ParsedBody> {
  const fields: SlackArgs = Object.fromEntries(query.entries());
  const fileParts: ParsedBody['fileParts'] = [];
  const ct = contentType.toLowerCase();
  if (body.length === 0) return { fields, fileParts };
  if (ct.startsWith('application/json')) {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) Object.assign(fields, parsed);
    else fields.body = parsed;
  } else if (ct.startsWith('multipart/form-data')) {
    const form = await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData();
    for (const [key, value] of form.entries()) {
      if (typeof value === 'string') fields[key] = value;
      else {
        const file = value as File;
        fileParts.push({
          field: key,
          filename: file.name,
          type: file.type,
          bytes: Buffer.from(await file.arrayBuffer()),
        });
      }
    }
  } else if (ct.startsWith('application/x-www-form-urlencoded') || ct === '') {
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) fields[k] = v;
  } else {
    fields.body = body;
  }
  return { fields, fileParts };
}

function defaultUser(id: string): SlackArgs {
  const name = id.toLowerCase();
  return {
    id,
    team_id: FAKE_TEAM_ID,
    name,
    deleted: false,
    real_name: `User ${id}`,
    tz: 'Africa/Lagos',
    tz_label: 'West Africa Standard Time',
    tz_offset: 3600,
    is_admin: false,
    is_owner: false,
    is_primary_owner: false,
    is_restricted: false,
    is_ultra_restricted: false,
    is_bot: false,
    is_app_user: false,
    updated: 1700000000,
    profile: {
      real_name: `User ${id}`,
      display_name: name,
      real_name_normalized: `User ${id}`,
      display_name_normalized: name,
      email: `${name}@example.com`,
      image_48: 'https://example.com/avatar_48.png',
      team: FAKE_TEAM_ID,
    },
  };
}

interface Failure {
  method: string;
  error: string;
  status: number;
  remaining: number;
  retryAfter: number;
}

interface Waiter<T> {
  match: (x: T) => boolean;
  resolve: (x: T) => void;
  reject: (err: Error) => void;
}

export async function startFakeSlack(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
  const host = opts.host ?? '127.0.0.1';
  let calls: FakeCall[] = [];
  let responses: FakeResponse[] = [];
  let callWaiters: Waiter<FakeCall>[] = [];
  let responseWaiters: Waiter<FakeResponse>[] = [];
  let failures: Failure[] = [];
  let globalDelay = opts.delayMs ?? 0;
  let methodDelays = new Map<string, number>();
  let messages = new Map<string, FakeMessage>(); // key channel|ts, insertion = posting order
  let ephemerals: FakeEphemeral[] = [];
  let views = new Map<string, FakeView>();
  let homes = new Map<string, string>(); // user -> view id
  let files = new Map<string, FakeFile>();
  let uploads: FakeUpload[] = [];
  let users = new Map<string, SlackArgs>(Object.entries(opts.users ?? {}));
  let responseUrlTargets = new Map<string, { channel: string; ts: string } | undefined>();
  let tsCounter = 0;
  let idCounter = 0;
  let responseCounter = 0;
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  const nextTs = (): string => {
    tsCounter += 1;
    const micros = tsCounter * 100;
    const sec = 1700000000 + Math.floor(micros / 1e6);
    return `${sec}.${String(micros % 1e6).padStart(6, '0')}`;
  };
  const nextId = (prefix: string): string => {
    idCounter += 1;
    return `${prefix}${String(idCounter).padStart(8, '0')}`;
  };
  const key = (channel: string, ts: string): string => `${normaliseChannel(channel)}|${ts}`;

  const sleepers = new Set<() => void>();
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (ms <= 0 || closed) return resolve();
      const done = (): void => {
        clearTimeout(t);
        timers.delete(t);
        sleepers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      timers.add(t);
      sleepers.add(done);
    });

  const delayFor = (method: string): number => methodDelays.get(method) ?? globalDelay;

  const takeFailure = (method: string): Failure | undefined => {
    const f = failures.find((x) => x.method === method && x.remaining > 0);
    if (!f) return undefined;
    f.remaining -= 1;
    if (f.remaining <= 0) failures = failures.filter((x) => x !== f);
    return f;
  };

  const notifyCall = (call: FakeCall): void => {
    const still: Waiter<FakeCall>[] = [];
    for (const w of callWaiters) {
      if (w.match(call)) w.resolve(call);
      else still.push(w);
    }
    callWaiters = still;
  };

  const viewResult = (id: string, method: string, sent: SlackArgs, userId?: string): SlackArgs => {
    const prev = views.get(id);
    const view: SlackArgs = {
      id,
      team_id: FAKE_TEAM_ID,
      app_id: FAKE_APP_ID,
      app_installed_team_id: FAKE_TEAM_ID,
      bot_id: FAKE_BOT_ID,
      state: { values: {} },
      hash: `${Date.now()}.${nextId('h')}`,
      private_metadata: '',
      callback_id: '',
      external_id: '',
      clear_on_close: false,
      notify_on_close: false,
      root_view_id: prev?.view.root_view_id ?? id,
      previous_view_id: null,
      ...sent,
    };
    view.id = id;
    const entry: FakeView = prev ?? { id, view, history: [] };
    entry.view = view;
    entry.history.push(method);
    if (userId) entry.user_id = userId;
    views.set(id, entry);
    return view;
  };

  /** Answer one Web API call (the body Slack would send with HTTP 200). */
  const answer = (method: string, a: SlackArgs, origin: string): SlackArgs => {
    switch (method) {
      case 'api.test':
        return { ok: true, args: a };
      case 'auth.test':
        return {
          ok: true,
          url: 'https://test.slack.com/',
          team: 'Test',
          user: 'phonekeys',
          team_id: FAKE_TEAM_ID,
          user_id: FAKE_BOT_USER_ID,
          bot_id: FAKE_BOT_ID,
          is_enterprise_install: false,
        };
      case 'chat.postMessage':
      case 'chat.scheduleMessage': {
        if (!a.channel) return { ok: false, error: 'channel_not_found' };
        if (a.text === undefined && a.blocks === undefined && a.attachments === undefined) {
          return { ok: false, error: 'no_text' };
        }
        const channel = normaliseChannel(String(a.channel));
        const ts = nextTs();
        const msg: FakeMessage = {
          channel,
          ts,
          text: a.text,
          blocks: a.blocks,
          attachments: a.attachments,
          metadata: a.metadata,
          thread_ts: a.thread_ts,
          user: FAKE_BOT_USER_ID,
          bot_id: FAKE_BOT_ID,
          updates: 0,
          history: [],
          deleted: false,
        };
        messages.set(key(channel, ts), msg);
        const message: SlackArgs = {
          type: 'message',
          user: FAKE_BOT_USER_ID,
          bot_id: FAKE_BOT_ID,
          app_id: FAKE_APP_ID,
          team: FAKE_TEAM_ID,
          ts,
          text: a.text ?? '',
        };
        if (a.blocks !== undefined) message.blocks = a.blocks;
        if (a.attachments !== undefined) message.attachments = a.attachments;
        if (a.thread_ts !== undefined) message.thread_ts = a.thread_ts;
        if (a.metadata !== undefined) message.metadata = a.metadata;
        if (method === 'chat.scheduleMessage') {
          return { ok: true, channel, scheduled_message_id: nextId('Q'), post_at: a.post_at, message };
        }
        return { ok: true, channel, ts, message };
      }
      case 'chat.postEphemeral': {
        if (!a.channel) return { ok: false, error: 'channel_not_found' };
        if (!a.user) return { ok: false, error: 'user_not_in_channel' };
        const message_ts = nextTs();
        ephemerals.push({
          channel: normaliseChannel(String(a.channel)),
          user: String(a.user),
          message_ts,
          text: a.text,
          blocks: a.blocks,
          thread_ts: a.thread_ts,
        });
        return { ok: true, message_ts };
      }
      case 'chat.update': {
        if (!a.channel) return { ok: false, error: 'channel_not_found' };
        const channel = normaliseChannel(String(a.channel));
        const ts = String(a.ts ?? '');
        const msg = messages.get(key(channel, ts));
        if (!msg || msg.deleted) return { ok: false, error: 'message_not_found' };
        msg.history.push({ text: msg.text, blocks: msg.blocks, attachments: msg.attachments, metadata: msg.metadata });
        if (a.text !== undefined) msg.text = a.text;
        if (a.blocks !== undefined) msg.blocks = a.blocks;
        if (a.attachments !== undefined) msg.attachments = a.attachments;
        if (a.metadata !== undefined) msg.metadata = a.metadata;
        msg.updates += 1;
        msg.edited = { user: FAKE_BOT_USER_ID, ts: nextTs() };
        return {
          ok: true,
          channel,
          ts,
          text: msg.text ?? '',
          message: { type: 'message', user: FAKE_BOT_USER_ID, bot_id: FAKE_BOT_ID, text: msg.text ?? '', blocks: msg.blocks },
        };
      }
      case 'chat.delete': {
        if (!a.channel) return { ok: false, error: 'channel_not_found' };
        const channel = normaliseChannel(String(a.channel));
        const ts = String(a.ts ?? '');
        const msg = messages.get(key(channel, ts));
        if (!msg || msg.deleted) return { ok: false, error: 'message_not_found' };
        msg.deleted = true;
        return { ok: true, channel, ts };
      }
      case 'chat.getPermalink': {
        const channel = normaliseChannel(String(a.channel ?? ''));
        const ts = String(a.message_ts ?? '');
        return { ok: true, channel, permalink: `https://test.slack.com/archives/${channel}/p${ts.replace('.', '')}` };
      }
      case 'conversations.open': {
        const list = String(a.users ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        if (a.channel) return { ok: true, channel: { id: String(a.channel) } };
        if (list.length === 0) return { ok: false, error: 'users_list_not_supplied' };
        const id = list.length === 1 ? `D${list[0]}` : `G${list.join('').slice(0, 20)}`;
        return { ok: true, no_op: true, already_open: true, channel: { id } };
      }
      case 'conversations.info': {
        const id = String(a.channel ?? '');
        return {
          ok: true,
          channel: { id, name: id.toLowerCase(), is_channel: id.startsWith('C'), is_im: id.startsWith('D'), is_member: true },
        };
      }
      case 'views.open':
      case 'views.push': {
        if (!a.view || typeof a.view !== 'object') return { ok: false, error: 'invalid_arguments' };
        const view = viewResult(nextId('V'), method, a.view);
        return { ok: true, view };
      }
      case 'views.update': {
        if (!a.view || typeof a.view !== 'object') return { ok: false, error: 'invalid_arguments' };
        let id = a.view_id ? String(a.view_id) : undefined;
        if (!id && a.external_id) {
          id = [...views.values()].find((v) => v.view.external_id === a.external_id)?.id;
          if (!id) return { ok: false, error: 'not_found' };
        }
        if (!id) return { ok: false, error: 'invalid_arguments' };
        const view = viewResult(id, method, a.view);
        return { ok: true, view };
      }
      case 'views.publish': {
        if (!a.view || typeof a.view !== 'object') return { ok: false, error: 'invalid_arguments' };
        if (!a.user_id) return { ok: false, error: 'invalid_arguments' };
        const userId = String(a.user_id);
        const id = homes.get(userId) ?? nextId('V');
        homes.set(userId, id);
        const view = viewResult(id, method, { type: 'home', ...a.view }, userId);
        return { ok: true, view };
      }
      case 'files.getUploadURLExternal': {
        if (!a.filename) return { ok: false, error: 'invalid_arguments' };
        const id = nextId('F');
        files.set(id, {
          id,
          name: String(a.filename),
          length: a.length === undefined ? undefined : Number(a.length),
          alt_text: a.alt_text,
          completed: false,
          deleted: false,
        });
        return { ok: true, upload_url: `${origin}/upload/${id}`, file_id: id };
      }
      case 'files.completeUploadExternal': {
        const list: Array<{ id: string; title?: string }> = Array.isArray(a.files) ? a.files : [];
        if (list.length === 0) return { ok: false, error: 'invalid_arguments' };
        const done: FakeFile[] = [];
        for (const f of list) {
          const file = files.get(f.id);
          if (!file || file.bytes === undefined) return { ok: false, error: 'file_not_found' };
          file.completed = true;
          if (f.title !== undefined) file.title = f.title;
          if (a.channel_id) file.channel_id = normaliseChannel(String(a.channel_id));
          if (a.thread_ts) file.thread_ts = String(a.thread_ts);
          if (a.initial_comment) file.initial_comment = String(a.initial_comment);
          done.push(file);
        }
        if (a.channel_id) {
          const channel = normaliseChannel(String(a.channel_id));
          const ts = nextTs();
          messages.set(key(channel, ts), {
            channel,
            ts,
            text: a.initial_comment ?? '',
            blocks: a.blocks,
            thread_ts: a.thread_ts,
            user: FAKE_BOT_USER_ID,
            bot_id: FAKE_BOT_ID,
            files: done,
            updates: 0,
            history: [],
            deleted: false,
          });
        }
        return { ok: true, files: done.map((f) => fileJson(f, origin)) };
      }
      case 'files.info': {
        const file = files.get(String(a.file ?? ''));
        if (!file || file.deleted) return { ok: false, error: 'file_not_found' };
        return { ok: true, file: fileJson(file, origin), comments: [], response_metadata: { next_cursor: '' } };
      }
      case 'files.delete': {
        // Lenient: deleting a file the fake never saw succeeds (the call is recorded).
        const file = files.get(String(a.file ?? ''));
        if (file?.deleted) return { ok: false, error: 'file_deleted' };
        if (file) file.deleted = true;
        return { ok: true };
      }
      case 'users.info': {
        const id = String(a.user ?? '');
        if (!id) return { ok: false, error: 'user_not_found' };
        const base = defaultUser(id);
        const custom = users.get(id) ?? {};
        return {
          ok: true,
          user: { ...base, ...custom, profile: { ...base.profile, ...(custom.profile ?? {}) } },
        };
      }
      default:
        return { ok: true };
    }
  };

  const fileJson = (f: FakeFile, origin: string): SlackArgs => ({
    id: f.id,
    name: f.name,
    title: f.title ?? f.name,
    mimetype: f.mimetype ?? 'application/octet-stream',
    filetype: f.name.includes('.') ? f.name.split('.').pop() : 'binary',
    size: f.bytes?.length ?? f.length ?? 0,
    user: FAKE_BOT_USER_ID,
    is_public: false,
    url_private: `${origin}/files/${f.id}/${encodeURIComponent(f.name)}`,
    permalink: `https://test.slack.com/files/${FAKE_BOT_USER_ID}/${f.id}/${encodeURIComponent(f.name)}`,
    channels: f.channel_id?.startsWith('C') ? [f.channel_id] : [],
    ims: f.channel_id?.startsWith('D') ? [f.channel_id] : [],
    groups: [],
    alt_txt: f.alt_text,
  });

  const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    if (res.writableEnded || res.destroyed) return;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  };

  const failureBody = (f: Failure): { status: number; body: SlackArgs; headers: Record<string, string> } => {
    const headers: Record<string, string> = {};
    if (f.status === 429) headers['retry-after'] = String(f.retryAfter);
    return { status: f.status, body: { ok: false, error: f.error }, headers };
  };

  const handleApi = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    method: string,
    query: URLSearchParams,
    origin: string,
  ): Promise<void> => {
    const contentType = String(req.headers['content-type'] ?? '');
    const raw = await readBody(req);
    let parsed: ParsedBody;
    try {
      parsed = await parseBody(contentType, raw, query);
    } catch {
      send(res, 200, { ok: false, error: 'invalid_form_data' });
      return;
    }
    const rawArgs = parsed.fields;
    for (const p of parsed.fileParts) rawArgs[p.field] = p.bytes;
    const auth = String(req.headers.authorization ?? '');
    const bearer = /^Bearer\s+(.+)$/i.exec(auth)?.[1];
    const token = bearer ?? (typeof rawArgs.token === 'string' ? rawArgs.token : undefined);
    const call: FakeCall = {
      method,
      token,
      args: decodeSlackArgs(rawArgs),
      rawArgs,
      contentType,
      at: new Date(),
    };
    calls.push(call);
    if (opts.log) process.stderr.write(`[fakeSlack] ${describeCall(call)}\n`);

    await sleep(delayFor(method));

    let status = 200;
    let body: SlackArgs;
    let headers: Record<string, string> = {};
    const failure = takeFailure(method);
    if (failure) {
      ({ status, body, headers } = failureBody(failure));
    } else if (!token && method !== 'api.test') {
      body = { ok: false, error: 'not_authed' };
    } else if (opts.tokens && token && !opts.tokens.includes(token) && method !== 'api.test') {
      body = { ok: false, error: 'invalid_auth' };
    } else {
      body = answer(method, call.args, origin);
    }
    call.response = { status, body };
    notifyCall(call);
    send(res, status, body, headers);
  };

  const handleUpload = async (req: http.IncomingMessage, res: http.ServerResponse, fileId: string): Promise<void> => {
    const contentType = String(req.headers['content-type'] ?? '');
    const raw = await readBody(req);
    await sleep(delayFor('upload'));
    const failure = takeFailure('upload');
    if (failure) {
      const f = failureBody(failure);
      send(res, f.status, f.body, f.headers);
      return;
    }
    const file = files.get(fileId);
    if (!file) {
      send(res, 404, 'file not found');
      return;
    }
    let bytes = raw;
    let filename: string | undefined;
    let partType: string | undefined = contentType || undefined;
    if (contentType.toLowerCase().startsWith('multipart/form-data')) {
      const parsed = await parseBody(contentType, raw, new URLSearchParams());
      const part = parsed.fileParts[0];
      if (part) {
        bytes = part.bytes;
        filename = part.filename;
        partType = part.type || undefined;
      } else {
        const first = Object.values(parsed.fields).find((v) => typeof v === 'string');
        bytes = Buffer.from(typeof first === 'string' ? first : '', 'utf8');
      }
    }
    file.bytes = bytes;
    file.mimetype = partType;
    uploads.push({ fileId, filename, contentType: partType, bytes, at: new Date() });
    send(res, 200, `OK - ${bytes.length}`);
  };

  const handleResponse = async (req: http.IncomingMessage, res: http.ServerResponse, id: string): Promise<void> => {
    const raw = await readBody(req);
    await sleep(delayFor('response_url'));
    const failure = takeFailure('response_url');
    if (failure) {
      const f = failureBody(failure);
      send(res, f.status, f.body, f.headers);
      return;
    }
    let body: SlackArgs;
    try {
      const parsed: unknown = JSON.parse(raw.toString('utf8'));
      body = parsed && typeof parsed === 'object' ? (parsed as SlackArgs) : { value: parsed };
    } catch {
      send(res, 400, { ok: false, error: 'invalid_json' });
      return;
    }
    const target = responseUrlTargets.get(id);
    const entry: FakeResponse = { id, body, at: new Date() };
    if (target) {
      entry.message = target;
      const msg = messages.get(key(target.channel, target.ts));
      if (msg && !msg.deleted) {
        if (body.delete_original === true || body.delete_original === 'true') msg.deleted = true;
        else if (body.replace_original === true || body.replace_original === 'true') {
          msg.history.push({ text: msg.text, blocks: msg.blocks, attachments: msg.attachments, metadata: msg.metadata });
          msg.text = body.text;
          msg.blocks = body.blocks;
          msg.attachments = body.attachments;
          msg.updates += 1;
          msg.edited = { user: FAKE_BOT_USER_ID, ts: nextTs() };
        }
      }
    }
    responses.push(entry);
    const still: Waiter<FakeResponse>[] = [];
    for (const w of responseWaiters) {
      if (w.match(entry)) w.resolve(entry);
      else still.push(w);
    }
    responseWaiters = still;
    send(res, 200, { ok: true });
  };

  let origin = '';
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', origin || 'http://127.0.0.1');
    const path = u.pathname;
    const run = async (): Promise<void> => {
      let m: RegExpExecArray | null;
      if ((m = /^\/api\/([A-Za-z0-9_.]+)$/.exec(path)) && (req.method === 'POST' || req.method === 'GET')) {
        await handleApi(req, res, m[1] ?? '', u.searchParams, origin);
      } else if ((m = /^\/upload\/([A-Za-z0-9]+)$/.exec(path)) && req.method === 'POST') {
        await handleUpload(req, res, m[1] ?? '');
      } else if ((m = /^\/response\/([A-Za-z0-9_-]+)$/.exec(path)) && req.method === 'POST') {
        await handleResponse(req, res, m[1] ?? '');
      } else {
        await readBody(req);
        send(res, 404, { ok: false, error: 'unknown_method' });
      }
    };
    run().catch((err: unknown) => {
      send(res, 500, { ok: false, error: 'fake_slack_error', detail: String(err) });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const waitGeneric = <T>(
    label: string,
    existing: () => T | undefined,
    register: (w: Waiter<T>) => void,
    unregister: (w: Waiter<T>) => void,
    match: (x: T) => boolean,
    timeoutMs: number,
    seen: () => string,
  ): Promise<T> => {
    const found = existing();
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<T>((resolve, reject) => {
      const w: Waiter<T> = {
        match,
        resolve: (x) => {
          clearTimeout(t);
          timers.delete(t);
          resolve(x);
        },
        reject: (err) => {
          clearTimeout(t);
          timers.delete(t);
          reject(err);
        },
      };
      const t = setTimeout(() => {
        timers.delete(t);
        unregister(w);
        reject(new Error(`fakeSlack: timed out after ${timeoutMs} ms waiting for ${label}.\n${seen()}`));
      }, timeoutMs);
      timers.add(t);
      register(w);
    });
  };

  const seenCalls = (): string =>
    calls.length === 0 ? 'No Web API calls seen.' : `Web API calls seen (${calls.length}):\n  ${calls.map(describeCall).join('\n  ')}`;

  function setDelay(a: number | string, b?: number): void {
    if (typeof a === 'number') globalDelay = a;
    else methodDelays.set(a, b ?? 0);
  }

  const fake: FakeSlack = {
    url: `${origin}/api/`,
    origin,
    port,
    get calls() {
      return calls;
    },
    callsTo: (method) => calls.filter((c) => c.method === method),
    waitFor: (method, predicate, timeoutMs = 5000) => {
      const match = (c: FakeCall): boolean => c.method === method && (predicate ? predicate(c) : true);
      return waitGeneric<FakeCall>(
        `a ${method} call${predicate ? ' matching the predicate' : ''}`,
        () => calls.find((c) => c.response !== undefined && match(c)),
        (w) => callWaiters.push(w),
        (w) => {
          callWaiters = callWaiters.filter((x) => x !== w);
        },
        match,
        timeoutMs,
        seenCalls,
      );
    },
    clear: () => {
      calls = [];
      responses = [];
    },
    reset: () => {
      calls = [];
      responses = [];
      failures = [];
      globalDelay = opts.delayMs ?? 0;
      methodDelays = new Map();
      messages = new Map();
      ephemerals = [];
      views = new Map();
      homes = new Map();
      files = new Map();
      uploads = [];
      users = new Map(Object.entries(opts.users ?? {}));
      responseUrlTargets = new Map();
    },
    failNext: (method, o = {}) => {
      const status = o.status ?? 200;
      failures.push({
        method,
        status,
        error: o.error ?? (status === 429 ? 'ratelimited' : 'internal_error'),
        remaining: o.times ?? 1,
        retryAfter: o.retryAfter ?? 1,
      });
    },
    clearFailures: () => {
      failures = [];
    },
    setDelay,
    get messages() {
      return [...messages.values()].filter((m) => !m.deleted);
    },
    messagesIn: (channel) => {
      const ch = normaliseChannel(channel);
      return [...messages.values()].filter((m) => !m.deleted && m.channel === ch);
    },
    message: (channel, ts) => messages.get(key(channel, ts)),
    threadReplies: (channel, threadTs) => {
      const ch = normaliseChannel(channel);
      return [...messages.values()].filter((m) => !m.deleted && m.channel === ch && m.thread_ts === threadTs && m.ts !== threadTs);
    },
    get ephemerals() {
      return ephemerals;
    },
    get views() {
      return views;
    },
    homeOf: (userId) => {
      const id = homes.get(userId);
      return id ? views.get(id)?.view : undefined;
    },
    get files() {
      return files;
    },
    get uploads() {
      return uploads;
    },
    setUser: (userId, user) => {
      users.set(userId, user);
    },
    responseUrl: (message) => {
      responseCounter += 1;
      const id = `R${String(responseCounter).padStart(6, '0')}`;
      responseUrlTargets.set(
        id,
        message?.channel && message.ts ? { channel: normaliseChannel(message.channel), ts: message.ts } : undefined,
      );
      return `${origin}/response/${id}`;
    },
    get responses() {
      return responses;
    },
    waitForResponse: (predicate, timeoutMs = 5000) => {
      const match = (r: FakeResponse): boolean => (predicate ? predicate(r) : true);
      return waitGeneric<FakeResponse>(
        `a response_url post${predicate ? ' matching the predicate' : ''}`,
        () => responses.find(match),
        (w) => responseWaiters.push(w),
        (w) => {
          responseWaiters = responseWaiters.filter((x) => x !== w);
        },
        match,
        timeoutMs,
        () =>
          `response_url posts seen (${responses.length}): ${JSON.stringify(responses.map((r) => r.body)).slice(0, 2000)}\n${seenCalls()}`,
      );
    },
    close: async () => {
      if (closed) return;
      closed = true;
      const err = new Error('fakeSlack: closed while waiting');
      for (const w of callWaiters) w.reject(err);
      for (const w of responseWaiters) w.reject(err);
      callWaiters = [];
      responseWaiters = [];
      for (const wake of [...sleepers]) wake();
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  return fake;
}
