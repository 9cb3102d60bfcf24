/**
 * Drive the app the way Slack does: real HTTP requests to the app's Slack endpoint,
 * signed with the signing secret (v0 HMAC-SHA256 over `v0:<ts>:<raw body>`).
 *
 * - slash commands, interactivity (block_actions, view_submission, view_closed):
 *   `application/x-www-form-urlencoded` bodies; interactivity has one field `payload`
 *   holding the JSON payload;
 * - Events API: `application/json` bodies.
 */
import { createHmac, randomBytes } from 'node:crypto';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Slack payloads are arbitrary JSON
export type Json = any;

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';
export const JSON_CONTENT_TYPE = 'application/json';

export interface SlackSignedHeaders {
  'x-slack-signature': string;
  'x-slack-request-timestamp': string;
  'content-type': string;
  [header: string]: string;
}

function toUnixSeconds(t: Date | number | undefined): number {
  if (t === undefined) return Math.floor(Date.now() / 1000);
  if (t instanceof Date) return Math.floor(t.getTime() / 1000);
  return Math.floor(t);
}

/**
 * Headers Slack sends with a request: `x-slack-signature` = `v0=` + hex
 * HMAC-SHA256(signingSecret, `v0:${ts}:${body}`), `x-slack-request-timestamp` (Unix
 * seconds), and the content type (default: `application/json` if the body looks like a
 * JSON object, else `application/x-www-form-urlencoded`, no charset).
 */
export function signSlackRequest(
  signingSecret: string,
  body: string,
  timestamp: Date | number = Math.floor(Date.now() / 1000),
  contentType?: string,
): SlackSignedHeaders {
  const ts = String(toUnixSeconds(timestamp));
  const signature = `v0=${createHmac('sha256', signingSecret).update(`v0:${ts}:${body}`).digest('hex')}`;
  return {
    'x-slack-signature': signature,
    'x-slack-request-timestamp': ts,
    'content-type': contentType ?? (body.trimStart().startsWith('{') ? JSON_CONTENT_TYPE : FORM_CONTENT_TYPE),
  };
}

export interface SlackHttpResponse {
  status: number;
  /** Parsed JSON when the response is JSON, else the text ('' for an empty ack). */
  body: Json;
  /** The raw response text. */
  text: string;
  headers: Record<string, string>;
}

async function toResult(res: Response): Promise<SlackHttpResponse> {
  const text = await res.text();
  const ct = res.headers.get('content-type') ?? '';
  let body: Json = text;
  const t = text.trim();
  if (t && (ct.includes('json') || t.startsWith('{') || t.startsWith('['))) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { status: res.status, body, text, headers: Object.fromEntries(res.headers.entries()) };
}

let seq = 0;
const uniq = (): string => {
  seq += 1;
  return `${Date.now().toString(36)}${seq.toString(36)}${randomBytes(3).toString('hex')}`.toUpperCase();
};
/** A trigger id shaped like Slack's. */
export const newTriggerId = (): string => `${Date.now()}.${1000 + seq}.${randomBytes(16).toString('hex')}`;
const nowActionTs = (): string => (Date.now() / 1000).toFixed(6);

// ---------------------------------------------------------------------------------
// view state values

/** An element value in Slack's `view.state.values` shape. */
export interface StateValue {
  type: string;
  [k: string]: Json;
}

/** `{ [blockId]: { [actionId]: StateValue } }` */
export type StateValues = Record<string, Record<string, StateValue>>;

const option = (value: string, text?: string): Json => ({
  text: { type: 'plain_text', text: text ?? value },
  value,
});

/** Value helpers for `stateValues`. */
export const input = (value: string | null, type = 'plain_text_input'): StateValue => ({ type, value });
export const numberInput = (value: string | number | null): StateValue => ({
  type: 'number_input',
  value: value === null ? null : String(value),
});
export const select = (value: string | null, text?: string, type = 'static_select'): StateValue => ({
  type,
  selected_option: value === null ? null : option(value, text),
});
export const radio = (value: string | null, text?: string): StateValue => select(value, text, 'radio_buttons');
export const checkboxes = (values: string[], type = 'checkboxes'): StateValue => ({
  type,
  selected_options: values.map((v) => option(v)),
});
export const multiSelect = (values: string[]): StateValue => checkboxes(values, 'multi_static_select');
export const userSelect = (userId: string | null): StateValue => ({ type: 'users_select', selected_user: userId });
export const multiUserSelect = (userIds: string[]): StateValue => ({ type: 'multi_users_select', selected_users: userIds });
export const conversationSelect = (id: string | null): StateValue => ({
  type: 'conversations_select',
  selected_conversation: id,
});
export const channelSelect = (id: string | null): StateValue => ({ type: 'channels_select', selected_channel: id });
export const datePicker = (date: string | null): StateValue => ({ type: 'datepicker', selected_date: date });

/**
 * Build `view.state.values`. Leaves can be a string (or null) → plain_text_input, or
 * a StateValue from the helpers above (select(), checkboxes(), …).
 *
 *   stateValues({ name: { name_input: 'Lagos phone' }, mode: { mode_select: select('list') } })
 */
export function stateValues(spec: Record<string, Record<string, string | null | StateValue>>): StateValues {
  const out: StateValues = {};
  for (const [blockId, actions] of Object.entries(spec)) {
    const block: Record<string, StateValue> = {};
    for (const [actionId, v] of Object.entries(actions)) {
      block[actionId] = v === null || typeof v === 'string' ? input(v) : v;
    }
    out[blockId] = block;
  }
  return out;
}

function findOption(element: Json, value: string): Json | undefined {
  const opts: Json[] = [...(element.options ?? []), ...((element.option_groups ?? []) as Json[]).flatMap((g: Json) => g.options ?? [])];
  return opts.find((o) => o.value === value);
}

/**
 * Fill a modal the app opened: state values for every input block of `view`
 * (e.g. `(await fake.waitFor('views.open')).args.view`), taking each answer from
 * `answers[block_id]` or `answers[action_id]` (string, string[] or a StateValue),
 * else the element's initial value, else empty. Options are looked up in the
 * element so their text matches.
 */
export function fillView(view: Json, answers: Record<string, string | string[] | null | StateValue> = {}): StateValues {
  const out: StateValues = {};
  for (const block of (view?.blocks ?? []) as Json[]) {
    const el = block?.element;
    if (block?.type !== 'input' || !el) continue;
    const blockId: string = block.block_id;
    const actionId: string = el.action_id;
    if (!blockId || !actionId) continue;
    const given = blockId in answers ? answers[blockId] : actionId in answers ? answers[actionId] : undefined;
    let v: StateValue;
    if (given && typeof given === 'object' && !Array.isArray(given)) {
      v = given;
    } else {
      const type: string = el.type;
      const one = (): string | null => (given === undefined ? null : Array.isArray(given) ? (given[0] ?? null) : given);
      const many = (): string[] => (given === undefined || given === null ? [] : Array.isArray(given) ? given : [given]);
      switch (type) {
        case 'static_select':
        case 'external_select':
        case 'radio_buttons': {
          const val = one();
          v = {
            type,
            selected_option: given === undefined ? (el.initial_option ?? null) : val === null ? null : (findOption(el, val) ?? option(val)),
          };
          break;
        }
        case 'checkboxes':
        case 'multi_static_select':
        case 'multi_external_select':
          v = {
            type,
            selected_options: given === undefined ? (el.initial_options ?? []) : many().map((val) => findOption(el, val) ?? option(val)),
          };
          break;
        case 'users_select':
          v = { type, selected_user: given === undefined ? (el.initial_user ?? null) : one() };
          break;
        case 'multi_users_select':
          v = { type, selected_users: given === undefined ? (el.initial_users ?? []) : many() };
          break;
        case 'conversations_select':
          v = { type, selected_conversation: given === undefined ? (el.initial_conversation ?? null) : one() };
          break;
        case 'multi_conversations_select':
          v = { type, selected_conversations: given === undefined ? (el.initial_conversations ?? []) : many() };
          break;
        case 'channels_select':
          v = { type, selected_channel: given === undefined ? (el.initial_channel ?? null) : one() };
          break;
        case 'datepicker':
          v = { type, selected_date: given === undefined ? (el.initial_date ?? null) : one() };
          break;
        case 'timepicker':
          v = { type, selected_time: given === undefined ? (el.initial_time ?? null) : one() };
          break;
        default: // plain_text_input, number_input, email_text_input, url_text_input, …
          v = { type, value: given === undefined ? (el.initial_value ?? null) : one() };
      }
    }
    (out[blockId] ??= {})[actionId] = v;
  }
  return out;
}

// ---------------------------------------------------------------------------------
// client

export interface SlackClientOptions {
  /** App origin, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string;
  signingSecret: string;
  /** Path of the Bolt endpoint; default `/slack/events`. */
  path?: string;
  /** Makes response_urls (e.g. `fake.responseUrl`); the message is given for message actions. */
  responseUrl?: (message?: { channel?: string; ts?: string }) => string;
  teamId?: string;
  teamDomain?: string;
  apiAppId?: string;
  /** Legacy verification token put in payloads; default `verification-token`. */
  token?: string;
}

export interface UserOpts {
  userId?: string;
  userName?: string;
  teamId?: string;
  /** Signature timestamp (seconds or Date); default now. */
  timestamp?: Date | number;
  /** Extra headers (override the signed ones, e.g. a bad signature). */
  headers?: Record<string, string>;
}

export interface CommandOpts extends UserOpts {
  channelId?: string;
  channelName?: string;
  triggerId?: string;
  command?: string;
  responseUrl?: string;
}

export interface ViewLike {
  id?: string;
  callback_id?: string;
  private_metadata?: string;
  type?: string;
  blocks?: Json[];
  title?: Json;
  [k: string]: Json;
}

export interface ViewSubmissionOpts extends UserOpts {
  triggerId?: string;
  /** `response_urls` (for modals with response_url_enabled inputs). */
  responseUrls?: Json[];
}

export interface BlockActionOpts extends UserOpts {
  blockId?: string;
  /** Element type: button (default), static_select, overflow, … */
  type?: string;
  /** For selects/overflow: selected_option (default built from value). */
  selectedOption?: Json;
  /** Extra fields merged into the action (e.g. text, style). */
  action?: Json;
  /** Message action: the channel and ts of the message the button is in. */
  channelId?: string;
  messageTs?: string;
  /** The message object (e.g. `fake.message(ch, ts)`); default a minimal bot message. */
  message?: Json;
  /** For buttons in ephemeral messages (slash-command replies): no message object. */
  ephemeral?: boolean;
  /** View action (modal or App Home): the view the button is in. */
  view?: ViewLike;
  /** Override the container. */
  container?: Json;
  /** Override the response_url (default from client's responseUrl for message actions). */
  responseUrl?: string;
  triggerId?: string;
  /** Current state values (modal inputs when a button in a modal is clicked). */
  state?: StateValues;
}

export interface EventOpts {
  eventId?: string;
  eventTime?: number;
  timestamp?: Date | number;
  /** Sent as `x-slack-retry-num` / `x-slack-retry-reason`. */
  retryNum?: number;
  retryReason?: string;
  headers?: Record<string, string>;
}

export interface SlackTestClient {
  readonly endpoint: string;
  command(text: string, opts?: CommandOpts): Promise<SlackHttpResponse>;
  viewSubmission(view: ViewLike | string, values: StateValues, opts?: ViewSubmissionOpts): Promise<SlackHttpResponse>;
  viewClosed(view: ViewLike | string, opts?: UserOpts & { isCleared?: boolean }): Promise<SlackHttpResponse>;
  blockAction(actionId: string, value?: string, opts?: BlockActionOpts): Promise<SlackHttpResponse>;
  /** Any interactivity payload, sent as form field `payload`. */
  interaction(payload: Json, opts?: UserOpts): Promise<SlackHttpResponse>;
  /** An Events API event (wrapped in event_callback), e.g. `{ type: 'app_home_opened', user, tab: 'home' }`. */
  event(event: Json, opts?: EventOpts): Promise<SlackHttpResponse>;
  urlVerification(challenge?: string, opts?: EventOpts): Promise<SlackHttpResponse>;
  /** POST a body, signed, with the given content type. */
  signed(
    body: string,
    opts?: { contentType?: string; timestamp?: Date | number; headers?: Record<string, string> },
  ): Promise<SlackHttpResponse>;
  /** POST exactly this body with exactly these headers (no signature added). */
  raw(body: string, headers?: Record<string, string>): Promise<SlackHttpResponse>;
  /** The payloads last sent, for debugging. */
  readonly sent: Json[];
}

export function slackClient(options: SlackClientOptions): SlackTestClient {
  const endpoint = `${options.baseUrl.replace(/\/$/, '')}${options.path ?? '/slack/events'}`;
  const teamId = options.teamId ?? 'T0001';
  const teamDomain = options.teamDomain ?? 'test';
  const apiAppId = options.apiAppId ?? 'A0PHONEKEYS';
  const vtoken = options.token ?? 'verification-token';
  const sent: Json[] = [];

  const raw = async (body: string, headers: Record<string, string> = {}): Promise<SlackHttpResponse> => {
    const res = await fetch(endpoint, { method: 'POST', headers, body, redirect: 'manual' });
    return toResult(res);
  };
  const signed: SlackTestClient['signed'] = (body, o = {}) =>
    raw(body, { ...signSlackRequest(options.signingSecret, body, o.timestamp, o.contentType), ...(o.headers ?? {}) });

  const user = (o: UserOpts): Json => {
    const id = o.userId ?? 'UADMIN';
    const name = o.userName ?? id.toLowerCase();
    return { id, username: name, name, team_id: o.teamId ?? teamId };
  };
  const team = (o: UserOpts): Json => ({ id: o.teamId ?? teamId, domain: teamDomain });

  const interaction: SlackTestClient['interaction'] = (payload, o = {}) => {
    sent.push(payload);
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    return signed(body, { contentType: FORM_CONTENT_TYPE, timestamp: o.timestamp, headers: o.headers });
  };

  const viewPayload = (view: ViewLike | string, values: StateValues, o: UserOpts): Json => {
    const v: ViewLike = typeof view === 'string' ? { callback_id: view } : view;
    const id = v.id ?? `V${uniq().slice(0, 10)}`;
    return {
      type: 'modal',
      blocks: [],
      private_metadata: '',
      callback_id: '',
      title: { type: 'plain_text', text: 'phonekeys' },
      close: null,
      submit: null,
      clear_on_close: false,
      notify_on_close: false,
      external_id: '',
      previous_view_id: null,
      root_view_id: id,
      app_id: apiAppId,
      app_installed_team_id: teamId,
      bot_id: 'BBOT',
      hash: `${Math.floor(Date.now() / 1000)}.${uniq().slice(0, 8)}`,
      ...v,
      id,
      team_id: o.teamId ?? teamId,
      state: { values },
    };
  };

  return {
    endpoint,
    get sent() {
      return sent;
    },
    command: (text, o = {}) => {
      const channelId = o.channelId ?? 'C0CMD';
      const u = user(o);
      const fields: Record<string, string> = {
        token: vtoken,
        team_id: o.teamId ?? teamId,
        team_domain: teamDomain,
        channel_id: channelId,
        channel_name: o.channelName ?? (channelId.startsWith('D') ? 'directmessage' : channelId.toLowerCase()),
        user_id: u.id,
        user_name: u.name,
        command: o.command ?? '/keys',
        text,
        api_app_id: apiAppId,
        is_enterprise_install: 'false',
        response_url: o.responseUrl ?? options.responseUrl?.() ?? `https://hooks.slack.com/commands/${teamId}/${Date.now()}/${uniq()}`,
        trigger_id: o.triggerId ?? newTriggerId(),
      };
      sent.push(fields);
      return signed(new URLSearchParams(fields).toString(), {
        contentType: FORM_CONTENT_TYPE,
        timestamp: o.timestamp,
        headers: o.headers,
      });
    },
    viewSubmission: (view, values, o = {}) =>
      interaction(
        {
          type: 'view_submission',
          team: team(o),
          user: user(o),
          api_app_id: apiAppId,
          token: vtoken,
          trigger_id: o.triggerId ?? newTriggerId(),
          view: viewPayload(view, values, o),
          response_urls: o.responseUrls ?? [],
          is_enterprise_install: false,
          enterprise: null,
        },
        o,
      ),
    viewClosed: (view, o = {}) =>
      interaction(
        {
          type: 'view_closed',
          team: team(o),
          user: user(o),
          api_app_id: apiAppId,
          token: vtoken,
          view: viewPayload(view, {}, o),
          is_cleared: o.isCleared ?? false,
          is_enterprise_install: false,
          enterprise: null,
        },
        o,
      ),
    blockAction: (actionId, value, o = {}) => {
      const type = o.type ?? 'button';
      const action: Json = {
        action_id: actionId,
        block_id: o.blockId ?? `b_${actionId}`,
        type,
        action_ts: nowActionTs(),
      };
      if (type === 'button') {
        action.text = { type: 'plain_text', text: actionId, emoji: true };
        if (value !== undefined) action.value = value;
      } else if (['static_select', 'overflow', 'radio_buttons', 'external_select'].includes(type)) {
        action.selected_option = o.selectedOption ?? (value === undefined ? null : option(value));
      } else if (value !== undefined) {
        action.value = value;
      }
      Object.assign(action, o.action ?? {});

      const payload: Json = {
        type: 'block_actions',
        user: user(o),
        api_app_id: apiAppId,
        token: vtoken,
        trigger_id: o.triggerId ?? newTriggerId(),
        team: team(o),
        enterprise: null,
        is_enterprise_install: false,
        actions: [action],
      };
      if (o.view) {
        const view = viewPayload(o.view, o.state ?? o.view.state?.values ?? {}, o);
        payload.view = view;
        payload.container = o.container ?? { type: 'view', view_id: view.id };
        if (o.responseUrl) payload.response_url = o.responseUrl;
      } else {
        const channelId = o.channelId ?? 'C0CMD';
        const messageTs = o.messageTs ?? o.message?.ts ?? '1700000000.000100';
        payload.container = o.container ?? {
          type: 'message',
          message_ts: messageTs,
          channel_id: channelId,
          is_ephemeral: o.ephemeral ?? false,
        };
        payload.channel = { id: channelId, name: channelId.toLowerCase() };
        if (!o.ephemeral) {
          payload.message = o.message ?? {
            type: 'message',
            user: 'UBOT',
            bot_id: 'BBOT',
            app_id: apiAppId,
            team: teamId,
            ts: messageTs,
            text: '',
            blocks: [],
          };
        }
        payload.state = { values: o.state ?? {} };
        payload.response_url =
          o.responseUrl ??
          options.responseUrl?.(o.ephemeral ? undefined : { channel: channelId, ts: messageTs }) ??
          `https://hooks.slack.com/actions/${teamId}/${Date.now()}/${uniq()}`;
      }
      return interaction(payload, o);
    },
    interaction,
    event: (event, o = {}) => {
      const eventTs = event.event_ts ?? nowActionTs();
      const body = JSON.stringify({
        token: vtoken,
        team_id: teamId,
        api_app_id: apiAppId,
        event: { ...event, event_ts: eventTs },
        type: 'event_callback',
        event_id: o.eventId ?? `Ev${uniq()}`,
        event_time: o.eventTime ?? Math.floor(Date.now() / 1000),
        authorizations: [{ enterprise_id: null, team_id: teamId, user_id: 'UBOT', is_bot: true, is_enterprise_install: false }],
        is_ext_shared_channel: false,
        event_context: `4-${uniq()}`,
      });
      sent.push(JSON.parse(body));
      const extra: Record<string, string> = {};
      if (o.retryNum !== undefined) {
        extra['x-slack-retry-num'] = String(o.retryNum);
        extra['x-slack-retry-reason'] = o.retryReason ?? 'http_timeout';
      }
      return signed(body, { contentType: JSON_CONTENT_TYPE, timestamp: o.timestamp, headers: { ...extra, ...(o.headers ?? {}) } });
    },
    urlVerification: (challenge = uniq(), o = {}) => {
      const body = JSON.stringify({ token: vtoken, challenge, type: 'url_verification' });
      return signed(body, { contentType: JSON_CONTENT_TYPE, timestamp: o.timestamp, headers: o.headers });
    },
    signed,
    raw,
  };
}

/** `app_home_opened` event for a user. */
export const appHomeOpened = (userId = 'UADMIN'): Json => ({
  type: 'app_home_opened',
  user: userId,
  channel: `D${userId}`,
  tab: 'home',
});
