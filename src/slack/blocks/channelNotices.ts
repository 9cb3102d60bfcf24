import { escapeText, isoTime, type KeyRef, keyLabel, keyPlain, slackDate } from '../format.js';
import { context, type SlackMessage, section } from '../kit.js';

/** Notices about the alert channel itself, and about phones changing hands. */

/** What to do when Slack refuses posts in the alert channel (plain text: also /readyz's and the logs'). */
export function alertChannelFix(error: string | null): string {
  switch (error) {
    case 'not_in_channel':
      return 'the bot is not in that channel: open it in Slack and type /invite @phonekeys';
    case 'channel_not_found':
      return 'Slack does not know that channel, or it is private without the bot in it: check ALERT_CHANNEL_ID, or type /invite @phonekeys in the channel';
    case 'is_archived':
      return 'the channel is archived: unarchive it, or set ALERT_CHANNEL_ID to another channel (and /invite @phonekeys there)';
    case 'missing_scope':
      return 'the Slack app lacks a scope: reinstall it from slack-app-manifest.yml';
    default:
      return 'check ALERT_CHANNEL_ID and that @phonekeys may post there (/invite @phonekeys in the channel)';
  }
}

/** The DM to each admin when the alert channel turns bad (once a day at most); `worksAgain`: fixed before the DM went out. */
export function alertChannelBrokenDm(channel: string, error: string | null, since: Date, worksAgain = false): SlackMessage {
  const fix = alertChannelFix(error);
  const now = worksAgain ? ' Posting works again now, but alerts refused meanwhile were dropped: check `/keys phones`.' : '';
  return {
    text: `:rotating_light: On-call alerts could not be posted in <#${channel}> (Slack said ${escapeText(error ?? 'no')}) since ${isoTime(since)}. To fix it: ${fix}.${now}`,
    blocks: [
      section(
        `:rotating_light: *On-call alerts could not be posted in <#${channel}>*: Slack refused with \`${escapeText(error ?? 'an error')}\` (${slackDate(since)}).`,
      ),
      section(`*To fix it:* ${fix}.${now}`),
      context(
        'Until it is fixed no alert reaches anyone. Alerts owed are retried a few times and then dropped; new ones go out as soon as posting works. You get this DM at most once a day.',
      ),
    ],
  };
}

/** A phone number registered with another key: on-call should know (the taker could hide a real outage). */
export function phoneTakeoverNotice(number: string, from: KeyRef, to: KeyRef, at: Date): SlackMessage {
  return {
    text: `:twisted_rightwards_arrows: Phone ${number} moved from key ${keyPlain(from)} to key ${keyPlain(to)} at ${isoTime(at)}.`,
    blocks: [
      section(
        `:twisted_rightwards_arrows: *Phone ${number} moved to another key*: from ${keyLabel(from)} to ${keyLabel(to)}, ${slackDate(at)}.`,
      ),
      context(
        'A phone moves when it registers with another key. If nobody on your team did this, unlink it (`/keys unlink &lt;key&gt; &lt;phone&gt;`) and rotate the key it moved to.',
      ),
    ],
  };
}
