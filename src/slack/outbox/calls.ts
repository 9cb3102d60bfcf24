import type { WebClient } from '@slack/web-api';
import type { SlackMessage } from '../kit.js';
import { classify } from './failures.js';
import type { Step } from './kind.js';

/**
 * The Slack side of one delivery step, on the outbox's client. Every message it creates carries
 * the outbox id in its metadata (an uploaded file, in its name), so that after an unknown outcome
 * (a timeout, a 5xx) the next attempt looks for it in the channel instead of posting it twice.
 */

export const METADATA_EVENT = 'phonekeys_outbox';

export interface StepContext {
  /** The outbox item's id (the lead's, for a batch). */
  id: string;
  /** Which step of its delivery. */
  step: number;
  /** The previous attempt's outcome is unknown: look before creating anything. */
  lookFirst: boolean;
}

export interface StepResult {
  channel: string | null;
  ts: string | null;
}

/** How many messages a lookup reads back (newest first) before concluding the message is not there. */
const LOOKUP_PAGES = 3;
const LOOKUP_PAGE_SIZE = 100;

interface HistoryMessage {
  ts?: string;
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
  files?: { name?: string }[];
}

export class SlackCalls {
  constructor(private readonly client: WebClient) {}

  async run(step: Step, at: StepContext): Promise<StepResult> {
    switch (step.call) {
      case 'post':
        return this.post(step.channel, step.threadTs, step.message, at);
      case 'dm': {
        const opened = await this.client.conversations.open({ users: step.user });
        const channel = opened.channel?.id;
        if (!channel) throw new Error('conversations.open returned no channel');
        return this.post(channel, undefined, step.message, at);
      }
      case 'update': {
        const target = step.ts;
        const ts =
          typeof target === 'string' ? target : await this.find(step.channel, undefined, (m) => isOurs(m, { id: target.find, step: 0 }));
        if (!ts) {
          // Never posted (or too far back to find): nothing to update.
          if (step.ifGone === 'skip') return { channel: step.channel, ts: null };
          throw Object.assign(new Error('message_not_found'), { data: { error: 'message_not_found' } });
        }
        try {
          await this.client.chat.update({ channel: step.channel, ts, ...step.message });
        } catch (error) {
          if (step.ifGone === 'skip' && classify(error).type === 'gone') return { channel: step.channel, ts };
          throw error;
        }
        return { channel: step.channel, ts };
      }
      case 'deleteFile':
        try {
          await this.client.files.delete({ file: step.file });
        } catch (error) {
          if (classify(error).type !== 'gone') throw error;
        }
        return { channel: null, ts: null };
      case 'upload': {
        const filename = taggedFilename(step.filename, at);
        if (at.lookFirst && (await this.find(step.channel, step.threadTs, (m) => (m.files ?? []).some((f) => f.name === filename))))
          return { channel: step.channel, ts: null };
        const upload = {
          file: step.file,
          filename,
          ...(step.title ? { title: step.title } : {}),
          ...(step.altText ? { alt_text: step.altText } : {}),
        };
        if (step.threadTs) await this.client.files.uploadV2({ ...upload, channel_id: step.channel, thread_ts: step.threadTs });
        else await this.client.files.uploadV2({ ...upload, channel_id: step.channel });
        return { channel: step.channel, ts: null };
      }
    }
  }

  private async post(channel: string, threadTs: string | undefined, message: SlackMessage, at: StepContext): Promise<StepResult> {
    if (at.lookFirst) {
      const found = await this.find(channel, threadTs, (m) => isOurs(m, at));
      if (found) return { channel, ts: found };
    }
    const posted = await this.client.chat.postMessage({
      channel,
      ...(threadTs ? { thread_ts: threadTs } : {}),
      text: message.text,
      ...(message.blocks ? { blocks: message.blocks } : {}),
      unfurl_links: false,
      unfurl_media: false,
      metadata: { event_type: METADATA_EVENT, event_payload: { outbox_id: at.id, step: at.step } },
    });
    if (!posted.ts) throw new Error('chat.postMessage returned no ts');
    return { channel: posted.channel ?? channel, ts: posted.ts };
  }

  /** The ts of the newest message (of the channel, or of a thread) that `matches`, among the last few hundred. */
  private async find(channel: string, threadTs: string | undefined, matches: (m: HistoryMessage) => boolean): Promise<string | null> {
    let cursor: string | undefined;
    for (let page = 0; page < LOOKUP_PAGES; page++) {
      const args = { channel, include_all_metadata: true, limit: LOOKUP_PAGE_SIZE, ...(cursor ? { cursor } : {}) };
      const answer = threadTs
        ? await this.client.conversations.replies({ ...args, ts: threadTs })
        : await this.client.conversations.history(args);
      const found = ((answer.messages ?? []) as HistoryMessage[]).find(matches);
      if (found?.ts) return found.ts;
      cursor = answer.response_metadata?.next_cursor || undefined;
      if (!cursor) return null;
    }
    return null;
  }
}

function isOurs(message: HistoryMessage, at: Pick<StepContext, 'id' | 'step'>): boolean {
  const metadata = message.metadata;
  if (metadata?.event_type !== METADATA_EVENT) return false;
  return String(metadata.event_payload?.outbox_id) === at.id && Number(metadata.event_payload?.step ?? 0) === at.step;
}

/** `report.png` → `report-<outbox id>.png`: how a lookup recognises an uploaded file. */
function taggedFilename(filename: string, at: Pick<StepContext, 'id' | 'step'>): string {
  const dot = filename.lastIndexOf('.');
  const tag = `-${at.id}${at.step ? `-${at.step}` : ''}`;
  return dot > 0 ? `${filename.slice(0, dot)}${tag}${filename.slice(dot)}` : `${filename}${tag}`;
}
