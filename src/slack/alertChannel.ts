import type { WebClient } from '@slack/web-api';
import type { Config } from '../config.js';
import type { Clock } from '../domain/clock.js';
import { isDuplicateKeyError } from '../domain/errors.js';
import type { Outbox } from '../domain/outbox.js';
import { OutboxKind } from '../domain/outboxRefs.js';
import type { Logger } from '../logger.js';
import type { Models } from '../models/index.js';
import { alertChannelFix } from './blocks/channelNotices.js';
import { slackErrorCode } from './errors.js';

/**
 * Whether alerts can be posted in ALERT_CHANNEL_ID (README: Operations → the alert channel).
 * Checked at start (conversations.info: does it exist, is the bot in it, is it archived) and
 * learnt from every outbox post there; kept in MongoDB so every instance's /readyz, App Home and
 * /metrics say the same. When it turns bad, each admin (ADMIN_USER_IDS) is DMed once with the
 * fix (at most once a day); with no admins configured, the error log, /readyz, App Home and
 * /metrics are all there is.
 */

const DAY_MS = 24 * 60 * 60_000;

export interface AlertChannelStatus {
  channel: string;
  state: 'ok' | 'broken' | 'unknown';
  error: string | null;
  since: Date | null;
  checkedAt: Date | null;
  /** What to do about it (plain text), when broken. */
  fix: string | null;
}

export class AlertChannel {
  /** This instance's last write per channel, so a healthy channel is not rewritten at every post. */
  private readonly known = new Map<string, boolean>();

  constructor(
    private readonly config: Config,
    private readonly models: Pick<Models, 'SlackChannel'>,
    private readonly outbox: Outbox,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  get id(): string {
    return this.config.slack.alertChannelId;
  }

  /** At start: asks Slack about the channel and records (and logs) what it says. Never throws. */
  async check(client: WebClient): Promise<AlertChannelStatus> {
    const channel = this.id;
    try {
      const info = await client.conversations.info({ channel });
      const c = info.channel as { is_member?: boolean; is_archived?: boolean } | undefined;
      if (c?.is_archived) await this.reportBroken(channel, 'is_archived');
      else if (c?.is_member === false) await this.reportBroken(channel, 'not_in_channel');
      else await this.reportOk(channel);
    } catch (error) {
      const code = slackErrorCode(error);
      if (code === 'channel_not_found') await this.reportBroken(channel, code);
      else this.logger.warn({ channel, err: code }, `could not check ALERT_CHANNEL_ID (${code}); alerts will tell`);
    }
    const status = await this.status();
    if (status.state === 'broken')
      this.logger.warn({ channel, error: status.error }, `alerts cannot be posted in ALERT_CHANNEL_ID: ${status.fix}`);
    return status;
  }

  /** A post there went through. */
  async reportOk(channel: string): Promise<void> {
    const set = { $set: { ok: true, error: null, brokenSince: null, checkedAt: this.clock() } };
    const wasKnown = this.known.get(channel);
    if (wasKnown === undefined) {
      await this.models.SlackChannel.updateOne({ channel }, set, { upsert: true }).catch((error: unknown) => {
        if (!isDuplicateKeyError(error)) throw error;
      });
    } else {
      // Another instance may have recorded the channel broken since this one last wrote: a healthy
      // channel costs one indexed update that matches nothing, not a write.
      const turned = await this.models.SlackChannel.updateOne({ channel, ok: false }, set);
      if (wasKnown === true && turned.modifiedCount === 0) return;
    }
    if (wasKnown !== undefined) this.logger.info({ channel }, 'alerts can be posted in ALERT_CHANNEL_ID again');
    this.known.set(channel, true);
  }

  /** Slack refused a post there for a reason people must fix. The first report of an outage DMs the admins. */
  async reportBroken(channel: string, error: string): Promise<void> {
    const now = this.clock();
    this.known.set(channel, false);
    let turned = false;
    try {
      const result = await this.models.SlackChannel.updateOne(
        { channel, ok: { $ne: false } },
        { $set: { ok: false, error, brokenSince: now, checkedAt: now } },
        { upsert: true },
      );
      turned = result.modifiedCount + result.upsertedCount > 0;
    } catch (e) {
      // Broken already (the upsert met the existing document): not a new outage.
      if (!isDuplicateKeyError(e)) throw e;
    }
    if (!turned) {
      await this.models.SlackChannel.updateOne({ channel, ok: false, error: { $ne: error } }, { $set: { error, checkedAt: now } });
      return;
    }
    this.logger.error({ channel, error }, `alerts cannot be posted in ALERT_CHANNEL_ID: ${alertChannelFix(error)}`);
    const admins = this.config.slack.adminUserIds;
    if (admins.length === 0) {
      this.logger.error({ channel }, 'ADMIN_USER_IDS is empty: nobody is DMed about the alert channel; see /readyz and App Home');
      return;
    }
    // Once per outage, and at most once a day for a channel that keeps breaking.
    const day = Math.floor(now.getTime() / DAY_MS);
    for (const admin of admins) {
      await this.outbox.enqueue(
        { kind: OutboxKind.adminAlertChannel, subject: admin, episode: `${channel}:${day}` },
        { payload: { channel, error, since: now } },
      );
    }
  }

  /** What is known about the configured channel. */
  async status(): Promise<AlertChannelStatus> {
    const channel = this.id;
    const state = await this.models.SlackChannel.findOne({ channel }).lean();
    const known = state?.ok === true ? 'ok' : state?.ok === false ? 'broken' : 'unknown';
    return {
      channel,
      state: known,
      error: state?.error ?? null,
      since: state?.brokenSince ?? null,
      checkedAt: state?.checkedAt ?? null,
      fix: known === 'broken' ? alertChannelFix(state?.error ?? null) : null,
    };
  }
}
