/**
 * Drive the app the way Slack does: real HTTP requests to its Slack endpoint, signed with the
 * signing secret (v0 HMAC-SHA256 over `v0:<ts>:<raw body>`). Slash commands and interactivity
 * (block_actions, view_submission; one form field `payload` holding the JSON) are form-encoded;
 * Events API requests are JSON.
 *
 * Slack reads the body of an ack too: a command's ack is a message, a view submission's ack an
 * `errors`/`update`/`push`. The client checks them as Slack would (./blockKit.ts) and throws on
 * one Slack would refuse, so no test passes on an answer users would never see.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { checkMessage, viewSubmissionAckProblems } from './blockKit.js';

export type Json = any;

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
const TEAM_ID = 'T0001';
const APP_ID = 'A0PHONEKEYS';

/** The headers Slack signs a request with; the content type defaults from the body's look. */
export function signSlackRequest(
  signingSecret: string,
  body: string,
  timestamp: number = Math.floor(Date.now() / 1000),
  contentType: string = body.trimStart().startsWith('{') ? JSON_TYPE : FORM,
): { 'x-slack-signature': string; 'x-slack-request-timestamp': string; 'content-type': string } {
  const ts = String(Math.floor(timestamp));
  return {
    'x-slack-signature': `v0=${createHmac('sha256', signingSecret).update(`v0:${ts}:${body}`).digest('hex')}`,
    'x-slack-request-timestamp': ts,
    'content-type': contentType,
  };
}

export interface SlackHttpResponse {
  status: number;
  /** Parsed JSON when the answer is JSON, else the text ('' for an empty ack). */
  body: Json;
  text: string;
}

const uniq = (): string => randomBytes(6).toString('hex').toUpperCase();
/** A trigger id shaped like Slack's. */
export const newTriggerId = (): string => `${Date.now()}.${randomBytes(2).readUInt16BE()}.${randomBytes(16).toString('hex')}`;

export type StateValue = { type: string; [field: string]: Json };
export type StateValues = Record<string, Record<string, StateValue>>;

const findOption = (element: Json, value: string): Json =>
  (element.options ?? []).find((o: Json) => o.value === value) ?? { text: { type: 'plain_text', text: value }, value };

/**
 * The `view.state.values` a user produces by filling in a modal the app opened: each input
 * block's answer from `answers[block_id]` (or `answers[action_id]`), else its initial value.
 */
export function fillView(view: Json, answers: Record<string, string | string[] | null | StateValue> = {}): StateValues {
  const values: StateValues = {};
  for (const block of (view?.blocks ?? []) as Json[]) {
    const element = block?.element;
    if (block?.type !== 'input' || !element?.action_id) continue;
    const given = block.block_id in answers ? answers[block.block_id] : answers[element.action_id];
    let value: StateValue;
    if (element.type === 'checkboxes') {
      // Checked options: the answer's values (a list, or one), else those checked initially.
      const checked = given === undefined ? null : given === null ? [] : Array.isArray(given) ? given : [given as string];
      value = {
        type: element.type,
        selected_options: checked === null ? (element.initial_options ?? []) : checked.map((v) => findOption(element, v)),
      };
    } else if (given && typeof given === 'object' && !Array.isArray(given)) value = given;
    else if (Array.isArray(given)) throw new Error(`fillView: ${block.block_id} takes one value, not a list`);
    else if (element.type === 'static_select' || element.type === 'radio_buttons') {
      const selected = given === undefined ? (element.initial_option ?? null) : given === null ? null : findOption(element, given);
      value = { type: element.type, selected_option: selected };
    } else value = { type: element.type, value: given === undefined ? (element.initial_value ?? null) : given };
    (values[block.block_id] ??= {})[element.action_id] = value;
  }
  return values;
}

export interface SlackClientOptions {
  /** The app's origin, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string;
  signingSecret: string;
  /** Makes response_urls (e.g. `fake.responseUrl`); a message action passes its message. */
  responseUrl?: (message?: { channel?: string; ts?: string }) => string;
}

export interface UserOpts {
  userId?: string;
  /** Signature timestamp (Unix seconds); default now. */
  timestamp?: number;
}

export interface CommandOpts extends UserOpts {
  channelId?: string;
  triggerId?: string;
  responseUrl?: string;
}

export interface BlockActionOpts extends UserOpts {
  blockId?: string;
  /** A button in an ephemeral message (a /keys reply): no message object. */
  ephemeral?: boolean;
  /** The channel and ts of the message the button is in. */
  channelId?: string;
  messageTs?: string;
  responseUrl?: string;
  triggerId?: string;
  /** The message the button is in, as Slack sends it (default: a minimal bot message). */
  message?: Json;
}

export interface SlackTestClient {
  command(text: string, opts?: CommandOpts): Promise<SlackHttpResponse>;
  viewSubmission(view: Json, values: StateValues, opts?: UserOpts): Promise<SlackHttpResponse>;
  blockAction(actionId: string, value?: string, opts?: BlockActionOpts): Promise<SlackHttpResponse>;
  /** An Events API event, wrapped in event_callback, e.g. `appHomeOpened('U…')`. */
  event(event: Json): Promise<SlackHttpResponse>;
  urlVerification(challenge: string): Promise<SlackHttpResponse>;
  /** POST exactly this body with exactly these headers (no signature added). */
  raw(body: string, headers?: Record<string, string>): Promise<SlackHttpResponse>;
}

/** Throws when Slack would refuse what the app acked with. */
function checkAck(what: string, problems: string[], response: SlackHttpResponse): SlackHttpResponse {
  if (problems.length) throw new Error(`Slack would refuse the app's ack to ${what}:\n  ${problems.join('\n  ')}`);
  return response;
}

export function slackClient(options: SlackClientOptions): SlackTestClient {
  const endpoint = `${options.baseUrl.replace(/\/$/, '')}/slack/events`;
  const user = (o: UserOpts) => ({ id: o.userId ?? 'UADMIN', username: (o.userId ?? 'UADMIN').toLowerCase(), team_id: TEAM_ID });

  const raw = async (body: string, headers: Record<string, string> = {}): Promise<SlackHttpResponse> => {
    const res = await fetch(endpoint, { method: 'POST', headers, body, redirect: 'manual' });
    const text = await res.text();
    let parsed: Json = text;
    if (/^\s*[[{]/.test(text)) {
      try {
        parsed = JSON.parse(text);
      } catch {
        /* not JSON after all */
      }
    }
    return { status: res.status, body: parsed, text };
  };
  const signed = (body: string, contentType: string, timestamp?: number) =>
    raw(body, signSlackRequest(options.signingSecret, body, timestamp, contentType));
  const interaction = (payload: Json, o: UserOpts) =>
    signed(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), FORM, o.timestamp);

  return {
    async command(text, o = {}) {
      const channelId = o.channelId ?? 'C0CMD';
      const fields = {
        token: 'verification-token',
        team_id: TEAM_ID,
        team_domain: 'test',
        channel_id: channelId,
        channel_name: channelId.toLowerCase(),
        user_id: user(o).id,
        user_name: user(o).username,
        command: '/keys',
        text,
        api_app_id: APP_ID,
        is_enterprise_install: 'false',
        response_url: o.responseUrl ?? options.responseUrl?.() ?? `https://hooks.slack.com/commands/${TEAM_ID}/${Date.now()}/${uniq()}`,
        trigger_id: o.triggerId ?? newTriggerId(),
      };
      const response = await signed(new URLSearchParams(fields).toString(), FORM, o.timestamp);
      const acked = response.status === 200 && typeof response.body === 'object' ? checkMessage(response.body) : undefined;
      return checkAck(`/keys ${text}`, acked?.problems ?? [], response);
    },

    async viewSubmission(view, values, o = {}) {
      const id = view.id ?? `V${uniq()}`;
      const payload = {
        type: 'view_submission',
        team: { id: TEAM_ID, domain: 'test' },
        user: user(o),
        api_app_id: APP_ID,
        token: 'verification-token',
        trigger_id: newTriggerId(),
        view: { private_metadata: '', callback_id: '', ...view, id, team_id: TEAM_ID, state: { values } },
        response_urls: [],
      };
      const response = await interaction(payload, o);
      return checkAck(`the ${view.callback_id} submission`, viewSubmissionAckProblems(response.body, view), response);
    },

    blockAction(actionId, value, o = {}) {
      const channelId = o.channelId ?? 'C0CMD';
      const messageTs = o.messageTs ?? '1700000000.000100';
      const payload: Json = {
        type: 'block_actions',
        user: user(o),
        api_app_id: APP_ID,
        token: 'verification-token',
        trigger_id: o.triggerId ?? newTriggerId(),
        team: { id: TEAM_ID, domain: 'test' },
        actions: [
          {
            type: 'button',
            action_id: actionId,
            block_id: o.blockId ?? `b_${actionId}`,
            text: { type: 'plain_text', text: actionId },
            ...(value === undefined ? {} : { value }),
            action_ts: (Date.now() / 1000).toFixed(6),
          },
        ],
        container: { type: 'message', message_ts: messageTs, channel_id: channelId, is_ephemeral: o.ephemeral ?? false },
        channel: { id: channelId, name: channelId.toLowerCase() },
        ...(o.ephemeral
          ? {}
          : { message: o.message ?? { type: 'message', user: 'UBOT', bot_id: 'BBOT', ts: messageTs, text: '', blocks: [] } }),
        state: { values: {} },
        response_url:
          o.responseUrl ??
          options.responseUrl?.(o.ephemeral ? undefined : { channel: channelId, ts: messageTs }) ??
          `https://hooks.slack.com/actions/${TEAM_ID}/${Date.now()}/${uniq()}`,
      };
      return interaction(payload, o);
    },

    event(event) {
      const body = JSON.stringify({
        token: 'verification-token',
        team_id: TEAM_ID,
        api_app_id: APP_ID,
        event: { ...event, event_ts: (Date.now() / 1000).toFixed(6) },
        type: 'event_callback',
        event_id: `Ev${uniq()}`,
        event_time: Math.floor(Date.now() / 1000),
        authorizations: [{ enterprise_id: null, team_id: TEAM_ID, user_id: 'UBOT', is_bot: true, is_enterprise_install: false }],
      });
      return signed(body, JSON_TYPE);
    },

    urlVerification: (challenge) => signed(JSON.stringify({ token: 'verification-token', challenge, type: 'url_verification' }), JSON_TYPE),
    raw,
  };
}

/** An `app_home_opened` event for a user. */
export const appHomeOpened = (userId = 'UADMIN'): Json => ({ type: 'app_home_opened', user: userId, channel: `D${userId}`, tab: 'home' });
