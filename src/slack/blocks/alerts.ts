import { type AlertRecord, type IncidentRecord, isClosure } from '../../models/index.js';
import { durationText, escapeText, isoTime, type KeyRef, keyLabel, keyPlain, mention, slackDate, someOf } from '../format.js';
import { ActionId } from '../ids.js';
import { type Block, button, context, fields, LIMITS, linesToSections, type SlackMessage, section } from '../kit.js';

/**
 * The alert messages in ALERT_CHANNEL_ID, written for someone woken at 3 a.m. on a phone: what is
 * wrong, which phone and key, since when, what to try, and buttons for the obvious next step.
 * An incident's message shows its current state (open, acknowledged, paused, resolved); its
 * thread gets the replies. `text` is the notification and screen-reader fallback, so it carries
 * the essentials too. Phone numbers are E.164 (the domain checked them); everything else a
 * phone or a person typed (key names, failure reasons) is escaped.
 */

export interface IncidentData {
  incident: IncidentRecord;
  alerts: AlertRecord[];
  keys: Map<string, KeyRef>;
  now: Date;
}

/** Phones listed in a grouped alert; the rest are counted (Block Kit's 50 blocks, 3,000 characters a section). */
export const GROUP_LINES_SHOWN = 150;

export const keyOf = (data: IncidentData, alert: AlertRecord): KeyRef => data.keys.get(alert.keyId) ?? { keyId: alert.keyId, name: null };
export const silentSince = (alert: AlertRecord): Date => alert.lastSilentSince ?? alert.since;

/** The incident's message as it should read now. */
export function incidentMessage(data: IncidentData): SlackMessage {
  const { incident, alerts } = data;
  const body = alerts.length > 1 ? groupMessage(data) : singleMessage(data, alerts[0]!);
  const blocks = [...body.blocks, ...statusBlocks(incident, data.now)];
  return { text: body.text, blocks: blocks.slice(0, LIMITS.blocksPerMessage) };
}

function singleMessage(data: IncidentData, alert: AlertRecord): { text: string; blocks: Block[] } {
  const key = keyOf(data, alert);
  if (alert.resolvedAt) return resolvedSingle(alert, key);
  switch (alert.kind) {
    case 'silent': {
      const since = silentSince(alert);
      const silentFor = durationText(data.now.getTime() - since.getTime());
      const again = alert.reopens > 0 ? ' again' : '';
      return {
        text: `:rotating_light: Phone ${alert.phoneNumber} is silent${again}: no heartbeat for ${silentFor}, last at ${isoTime(since)}. Key: ${keyPlain(key)}.`,
        blocks: [
          section(`:rotating_light: *Phone ${alert.phoneNumber} is silent${again}*: no heartbeat for *${silentFor}*.`),
          fields([
            ['Phone', alert.phoneNumber],
            ['Key', keyLabel(key)],
            ['Last heartbeat', slackDate(since)],
            ['Silent for', silentFor],
          ]),
          section(
            '*What to try:* check the phone has power and signal and that the gateway app is open; restart the app, then the phone. SMS sent to it wait until it is back.',
          ),
        ],
      };
    }
    case 'failing': {
      const failures = Number(alert.details.failures ?? 0);
      const reasons = reasonsText(alert.details.reasons);
      return {
        text: `:warning: Phone ${alert.phoneNumber} cannot send SMS: its last ${failures} sends failed or expired, since ${isoTime(alert.since)}. Last reasons: ${reasons}. Key: ${keyPlain(key)}.`,
        blocks: [
          section(`:warning: *Phone ${alert.phoneNumber} cannot send SMS*: its last *${failures}* sends failed or expired.`),
          fields([
            ['Phone', alert.phoneNumber],
            ['Key', keyLabel(key)],
            ['Failing since', slackDate(alert.since)],
            ['Last reasons', reasons],
          ]),
          section(
            "*What to try:* it still heartbeats, so it is on and connected — check the SIM's credit and that it can send (a barred or expired SIM, the operator's network), then send a test SMS from the phone.",
          ),
        ],
      };
    }
    case 'battery': {
      const battery = alert.details.battery;
      const level = typeof battery === 'number' ? `${battery} %` : 'low';
      return {
        text: `:battery: Phone ${alert.phoneNumber} is running flat: battery ${level}, not charging, since ${isoTime(alert.since)}. Key: ${keyPlain(key)}.`,
        blocks: [
          section(`:battery: *Phone ${alert.phoneNumber} is running flat*: battery *${level}*, not charging.`),
          fields([
            ['Phone', alert.phoneNumber],
            ['Key', keyLabel(key)],
            ['Low since', slackDate(alert.since)],
            ['Battery', level],
          ]),
          section('*What to try:* plug it in, and check the charger and the power at its site. When the battery is empty it goes silent.'),
        ],
      };
    }
  }
}

function resolvedSingle(alert: AlertRecord, key: KeyRef): { text: string; blocks: Block[] } {
  const back = alert.resolvedAt ?? alert.since;
  if (isClosure(alert.resolution)) {
    const closed = closure(alert, key);
    return {
      text: `:white_check_mark: Resolved: ${closed.plain}, so phone ${alert.phoneNumber} is no longer watched.`,
      blocks: [
        section(`:white_check_mark: *Resolved: ${closed.title}*${closed.by}, so phone ${alert.phoneNumber} is no longer watched.`),
        context(closed.next),
      ],
    };
  }
  const lasted = durationText(back.getTime() - (alert.kind === 'silent' ? silentSince(alert) : alert.since).getTime());
  const what = {
    silent: { text: `was silent for ${lasted} and is back online`, title: 'is back online', from: 'Silent from', to: 'Back at' },
    failing: {
      text: `could not send for ${lasted} and is sending again`,
      title: 'is sending again',
      from: 'Failing from',
      to: 'Sending since',
    },
    battery: {
      text: `was low on battery for ${lasted} and is charging again`,
      title: 'is charging again',
      from: 'Low from',
      to: 'OK since',
    },
  }[alert.kind];
  return {
    text: `:white_check_mark: Resolved: phone ${alert.phoneNumber} (key ${keyPlain(key)}) ${what.text}.`,
    blocks: [
      section(`:white_check_mark: *Resolved: phone ${alert.phoneNumber} ${what.title}*`),
      fields([
        ['Phone', alert.phoneNumber],
        ['Key', keyLabel(key)],
        [what.from, slackDate(alert.kind === 'silent' ? silentSince(alert) : alert.since)],
        [what.to, slackDate(back)],
      ]),
      context(
        `Lasted ${lasted}.${alert.kind === 'failing' && typeof alert.details.lost === 'number' ? ` Sends lost: ${alert.details.lost}.` : ''}`,
      ),
    ],
  };
}

/** A storm: many phones silent in one run, one message listing them. */
function groupMessage(data: IncidentData): { text: string; blocks: Block[] } {
  const { alerts, incident } = data;
  const open = alerts.filter((a) => !a.resolvedAt);
  const first = new Date(Math.min(...alerts.map((a) => silentSince(a).getTime())));
  const lines = alerts.slice(0, GROUP_LINES_SHOWN).map((a) => {
    const key = keyLabel(keyOf(data, a));
    if (isClosure(a.resolution)) return `• ~${a.phoneNumber}~ :heavy_minus_sign: ${a.resolution} ${slackDate(a.resolvedAt)} · ${key}`;
    if (a.resolvedAt) return `• ~${a.phoneNumber}~ :white_check_mark: back ${slackDate(a.resolvedAt)} · ${key}`;
    return `• *${a.phoneNumber}* · ${key} · last heartbeat ${slackDate(silentSince(a))}`;
  });
  const more = alerts.length > GROUP_LINES_SHOWN ? [context(`… and ${alerts.length - GROUP_LINES_SHOWN} more: \`/keys phones\`.`)] : [];
  // Phones unlinked or whose key was deleted are out of the fleet: neither back nor silent.
  const gone = alerts.filter((a) => isClosure(a.resolution)).length;
  const back = alerts.length - open.length - gone;
  if (open.length === 0) {
    const last = incident.resolvedAt ?? data.now;
    const all = gone === 0 ? `all ${alerts.length} phones are back online` : `none of the ${alerts.length} phones is silent any more`;
    const counts = gone === 0 ? '' : `: ${back} back online, ${gone} no longer watched`;
    return {
      text: `:white_check_mark: Resolved: ${all}${counts} (the last at ${isoTime(last)}).`,
      blocks: [
        section(`:white_check_mark: *Resolved: ${all}*${counts} (the last ${slackDate(last)}).`),
        ...linesToSections(lines),
        ...more,
      ],
    };
  }
  const silentFor = durationText(data.now.getTime() - first.getTime());
  const still =
    open.length === alerts.length ? '' : ` (${back} back, ${gone ? `${gone} no longer watched, ` : ''}${open.length} still silent)`;
  return {
    text: `:rotating_light: ${alerts.length} phones are silent since ${isoTime(first)}${still}: ${someOf(
      open.map((a) => a.phoneNumber),
      10,
    )}.`,
    blocks: [
      section(`:rotating_light: *${alerts.length} phones are silent* since ${slackDate(first)} (${silentFor})${still}.`),
      ...linesToSections(lines),
      ...more,
      section(
        '*What to try:* many phones at once is usually their site — power, the network, the router. Check there first. Each phone that comes back is announced in the thread.',
      ),
    ],
  };
}

/** Acknowledged, paused, and the buttons while it is open. */
function statusBlocks(incident: IncidentRecord, now: Date): Block[] {
  if (incident.resolvedAt) return [];
  const notes: string[] = [];
  if (incident.ackedAt && incident.ackedBy)
    notes.push(`:eyes: Acknowledged by ${mention(incident.ackedBy)} ${slackDate(incident.ackedAt)}: reminders stopped.`);
  if (incident.pausedUntil && incident.pausedUntil.getTime() > now.getTime())
    notes.push(`:double_vertical_bar: Paused by ${mention(incident.pausedBy ?? 'someone')} until ${slackDate(incident.pausedUntil)}.`);
  const id = String(incident._id);
  const buttons = [
    ...(incident.ackedAt ? [] : [button('Acknowledge', ActionId.acknowledgeAlert, id, { style: 'primary' })]),
    button('Pause 1 h', ActionId.pauseAlert, id),
  ];
  return [...(notes.length ? [context(notes.join('\n'))] : []), { type: 'actions', block_id: `incident_${id}`, elements: buttons }];
}

function reasonsText(reasons: unknown): string {
  const list = Array.isArray(reasons) ? reasons.map((r) => `"${escapeText(String(r))}"`) : [];
  return list.length ? list.join(', ') : 'none given';
}

/** A closed alert's phone left the fleet: how (its key deleted, its number unlinked), by whom and when. */
export function closure(alert: AlertRecord, key: KeyRef): { title: string; by: string; plain: string; phone: string; next: string } {
  const at = alert.resolvedAt ?? alert.since;
  const who = alert.resolvedBy ? ` by ${mention(alert.resolvedBy)}` : '';
  const by = `${who} ${slackDate(at)}`;
  const plainBy = `${who} at ${isoTime(at)}`;
  if (alert.resolution === 'unlinked') {
    return {
      title: `phone ${alert.phoneNumber} was unlinked`,
      by: ` from key ${keyLabel(key)}${by}`,
      plain: `phone ${alert.phoneNumber} was unlinked from key ${keyPlain(key)}${plainBy}`,
      phone: 'it',
      next: 'It pages nobody until it registers again with a key: if unlinking it was a mistake, register it again.',
    };
  }
  return {
    title: `key ${keyLabel(key)} was deleted`,
    by,
    plain: `key ${keyPlain(key)} was deleted${plainBy}`,
    phone: alert.phoneNumber,
    next: 'Its phones are refused from now on and page nobody. To keep this phone in the fleet, register it with another key.',
  };
}

export const upperFirst = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);
