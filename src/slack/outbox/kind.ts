import type { AppContext } from '../../context.js';
import type { OutboxItem } from '../../domain/outbox.js';
import type { SlackMessage } from '../kit.js';

/** What a kind may read while rendering: everything but the outbox's own loop. */
export type OutboxContext = Omit<AppContext, 'slackOutbox'>;

/**
 * What an outbox kind supplies (README: Slack outbox → adding a kind): its Slack method and how
 * to render an item into a Delivery. The drain does the rest: claims, calls, lookups, retries,
 * rate limits, giving up, recording.
 */
export interface OutboxKind {
  kind: string;
  /** The Slack method of its first call: a rate limit on that method holds it (and only such kinds) back. */
  method: SlackMethod;
  /** Items of this kind due together are delivered in one message, up to this many (render gets them all). */
  batch?: number;
  /** Give up transient failures once the message has waited this long (default 24 h; Infinity: never). */
  maxAgeMs?: number;
  /** Reads what it needs (at send time: the current state, the current configuration) and says what to send. */
  render(items: OutboxItem[], context: OutboxContext): Promise<Delivery>;
  /** After Slack accepted it, before it is recorded as delivered: the domain's bookkeeping (must be idempotent). */
  afterDelivery?(items: OutboxItem[], context: OutboxContext, where: { channel: string | null; ts: string | null }): Promise<void>;
}

/** Rate limits are per method: what a step counts as (a DM's conversations.open counts with its post). */
export type SlackMethod = 'chat.postMessage' | 'chat.update' | 'files.delete' | 'files.uploadV2';

/** A message in a thread needs its parent posted first: the reply renders `wait` until then. */
export type Delivery =
  | { steps: Step[]; shows?: number }
  /** Nothing to send now: Slack already shows what is wanted (e.g. the post rendered the latest version). */
  | { done: true; shows?: number }
  /** Not yet: try again at `until` (not counted as an attempt). */
  | { wait: Date; reason: string }
  /** Nothing to send any more: the item is cancelled with this reason. */
  | { skip: string };

/**
 * One Slack call of a delivery, done in order. Posts, DMs and uploads create a message: the first
 * of them is where the item lives (its channel and ts are recorded); a retry after an unknown
 * outcome looks for it first (by the outbox id in its metadata, or in the uploaded file's name).
 */
export type Step =
  | { call: 'post'; channel: string; threadTs?: string; message: SlackMessage }
  | { call: 'dm'; user: string; message: SlackMessage }
  /**
   * `ifGone: 'skip'`: a message that is gone or can no longer be edited is passed over.
   * `ts: { find }`: a message whose ts was never recorded, found by the outbox id in its metadata.
   */
  | { call: 'update'; channel: string; ts: string | { find: string }; message: SlackMessage; ifGone?: 'skip' }
  /** A file that is gone already is passed over. */
  | { call: 'deleteFile'; file: string }
  | { call: 'upload'; channel: string; threadTs?: string; file: Buffer; filename: string; title?: string; altText?: string };

export const METHOD_OF: Record<Step['call'], SlackMethod> = {
  post: 'chat.postMessage',
  dm: 'chat.postMessage',
  update: 'chat.update',
  deleteFile: 'files.delete',
  upload: 'files.uploadV2',
};
