/**
 * The replies in an alert's thread (src/slack/blocks/alerts.ts has the alert message itself):
 * a phone back, silent again, still silent, or gone from the fleet. The same rules: E.164
 * numbers as they are, everything a phone or a person typed escaped.
 */
import type { AlertRecord } from '../../models/index.js';
import { durationText, isoTime, slackDate } from '../format.js';
import { type SlackMessage, section } from '../kit.js';
import { closure, type IncidentData, keyOf, silentSince, upperFirst } from './alerts.js';

/** An alert of the incident recovered. */
export function recoveredReply(data: IncidentData, alert: AlertRecord): SlackMessage {
  const back = alert.resolvedAt ?? data.now;
  const rest = groupRest(data);
  switch (alert.kind) {
    case 'silent': {
      const outage = durationText(back.getTime() - silentSince(alert).getTime());
      return {
        text: `:white_check_mark: ${alert.phoneNumber} is back online after ${outage} (first heartbeat at ${isoTime(back)}).${rest}`,
        blocks: [
          section(`:white_check_mark: ${alert.phoneNumber} is back online after *${outage}* (first heartbeat ${slackDate(back)}).${rest}`),
        ],
      };
    }
    case 'failing': {
      const lasted = durationText(back.getTime() - alert.since.getTime());
      const lost = Number(alert.details.lost ?? 0);
      const sends = `${lost} send${lost === 1 ? ' was' : 's were'} lost (failed or expired)`;
      return {
        text: `:white_check_mark: ${alert.phoneNumber} is sending again after failing for ${lasted}: ${sends}.`,
        blocks: [
          section(`:white_check_mark: ${alert.phoneNumber} is sending again (${slackDate(back)}) after failing for *${lasted}*: ${sends}.`),
        ],
      };
    }
    case 'battery': {
      const battery = alert.details.batteryAtEnd;
      const how = alert.details.chargingAtEnd === true ? 'is charging again' : 'has battery again';
      const level = typeof battery === 'number' ? ` (battery ${battery} %)` : '';
      return {
        text: `:white_check_mark: ${alert.phoneNumber} ${how}${level}.`,
        blocks: [section(`:white_check_mark: ${alert.phoneNumber} ${how}${level}, ${slackDate(back)}.`)],
      };
    }
  }
}

/** A phone silent again soon after it recovered: the alert reopened. */
export function reopenedReply(alert: AlertRecord): SlackMessage {
  const since = silentSince(alert);
  const after = alert.lastResolvedAt ? `, ${durationText(since.getTime() - alert.lastResolvedAt.getTime())} after it came back` : '';
  return {
    text: `:rotating_light: ${alert.phoneNumber} is silent again: no heartbeat since ${isoTime(since)}${after}.`,
    blocks: [
      section(
        `:rotating_light: ${alert.phoneNumber} is *silent again*: no heartbeat since ${slackDate(since)}${after}. This alert is open again.`,
      ),
    ],
  };
}

/** SILENT_REMIND_MINUTES: still silent. */
export function reminderReply(data: IncidentData): SlackMessage {
  const open = data.alerts.filter((a) => !a.resolvedAt);
  const first = open[0];
  if (!first) return { text: 'All back.' };
  const silentFor = durationText(data.now.getTime() - silentSince(first).getTime());
  if (data.alerts.length === 1) {
    return {
      text: `:hourglass: ${first.phoneNumber} is still silent: no heartbeat for ${silentFor}.`,
      blocks: [
        section(
          `:hourglass: ${first.phoneNumber} is still silent: no heartbeat for *${silentFor}* (last ${slackDate(silentSince(first))}). Acknowledge to stop these reminders.`,
        ),
      ],
    };
  }
  return {
    text: `:hourglass: ${open.length} of ${data.alerts.length} phones are still silent, the first for ${silentFor}.`,
    blocks: [
      section(
        `:hourglass: ${open.length} of ${data.alerts.length} phones are still silent, the first for *${silentFor}*. Acknowledge to stop these reminders.`,
      ),
    ],
  };
}

/** In a group's thread: how many phones are still silent, or that none is. */
function groupRest(data: IncidentData): string {
  const n = data.alerts.length;
  if (n <= 1) return '';
  const open = data.alerts.filter((a) => !a.resolvedAt).length;
  if (open > 0) return ` ${open} of ${n} still silent.`;
  return data.alerts.every((a) => a.resolution === 'recovered') ? ` All ${n} are back.` : ` None of the ${n} is silent any more.`;
}

/** The alert's phone left the fleet (its key deleted, its number unlinked): no longer watched, so the alert is closed. */
export function closedReply(data: IncidentData, alert: AlertRecord): SlackMessage {
  const closed = closure(alert, keyOf(data, alert));
  const emoji = alert.resolution === 'unlinked' ? ':heavy_minus_sign:' : ':wastebasket:';
  const rest = groupRest(data);
  return {
    text: `${emoji} ${upperFirst(closed.plain)}: ${closed.phone} is no longer watched, so this alert is closed.${rest}`,
    blocks: [
      section(`${emoji} ${upperFirst(closed.title)}${closed.by}: ${closed.phone} is no longer watched, so this alert is closed.${rest}`),
    ],
  };
}
