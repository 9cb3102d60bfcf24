import type { FleetReport, PhonePeriod } from '../../domain/fleet.js';
import { durationText, escapeText, keyLabel, keyPlain, percentText, periodText, slackDate } from '../format.js';
import { context, header, type SlackMessage, section } from '../kit.js';

/** The weekly fleet report's message (posted after its chart): the fleet's share online, the least online phones, the lost sends. */

/** How many phones the summary names, least online and most lost sends. */
export const WORST_NAMED = 3;

const count = (n: number) => n.toLocaleString('en-US');
const plural = (n: number, one: string, many = `${one}s`) => `${count(n)} ${n === 1 ? one : many}`;

/** The phones below 100 % online, least online first (the report's order), at most WORST_NAMED. */
export function leastOnline(report: FleetReport): PhonePeriod[] {
  return report.phones.filter((p) => p.onlineShare < 1).slice(0, WORST_NAMED);
}

/** The phones with the most failed or expired sends, at most WORST_NAMED. */
export function mostLost(report: FleetReport): PhonePeriod[] {
  return report.phones
    .filter((p) => p.failed + p.expired > 0)
    .sort((a, b) => b.failed + b.expired - (a.failed + a.expired) || a.number.localeCompare(b.number))
    .slice(0, WORST_NAMED);
}

const keyOf = (p: PhonePeriod, plainText: boolean) => {
  if (!p.keyName) return '';
  const key = { keyId: p.keyId, name: p.keyName };
  return ` (${plainText ? keyPlain(key) : keyLabel(key)})`;
};
const offline = (p: PhonePeriod) => durationText(p.spanMs - p.onlineMs);

export function fleetReportMessage(report: FleetReport, { silentAfterMs }: { silentAfterMs: number }): SlackMessage {
  const period = periodText(report);
  const { totals } = report;
  const sends = totals.delivered + totals.failed + totals.expired;
  const lostShare = sends > 0 ? ` (${percentText((totals.failed + totals.expired) / sends)} of ${plural(sends, 'send')})` : '';
  const worst = leastOnline(report);
  const lost = mostLost(report);

  if (report.phones.length === 0) {
    const linked = report.neverSeen.length > 0 ? ` (${plural(report.neverSeen.length, 'linked phone')} never did)` : '';
    const text = `Fleet report, ${period}: no live phone has sent a heartbeat yet${linked}.`;
    return { text, blocks: [header(`Fleet report · ${period}`), section(text)] };
  }

  const fleetLine = `*Fleet online ${percentText(report.onlineShare)}* of the time · ${plural(report.phones.length, 'live phone')}`;
  const worstLine =
    worst.length === 0
      ? 'Every live phone was online the whole time.'
      : `*Least online:* ${worst
          .map((p, i) => `${i + 1}. *${escapeText(p.number)}*${keyOf(p, false)} ${percentText(p.onlineShare)}, offline ${offline(p)}`)
          .join('   ')}`;
  const sendsLine = `*Sends:* ${count(totals.delivered)} delivered · ${count(totals.failed)} failed · ${count(totals.expired)} expired${lostShare}`;
  const lostLine =
    lost.length === 0
      ? ''
      : `*Most failed or expired:* ${lost
          .map((p) => `*${escapeText(p.number)}*${keyOf(p, false)} ${count(p.failed)} failed, ${count(p.expired)} expired`)
          .join(' · ')}`;
  const notes = [
    `${slackDate(report.start)} to ${slackDate(report.end)}. A phone is online while its last heartbeat is at most ${durationText(silentAfterMs)} old.`,
    report.neverSeen.length > 0 ? `${plural(report.neverSeen.length, 'linked phone')} never sent a heartbeat.` : '',
    'Test phones are left out.',
  ].filter(Boolean);

  const text = [
    `Fleet report, ${period}: fleet online ${percentText(report.onlineShare)} (${plural(report.phones.length, 'live phone')}).`,
    worst.length > 0
      ? `Least online: ${worst.map((p) => `${escapeText(p.number)}${keyOf(p, true)} ${percentText(p.onlineShare)}`).join(', ')}.`
      : '',
    `Sends: ${count(totals.delivered)} delivered, ${count(totals.failed)} failed, ${count(totals.expired)} expired.`,
  ]
    .filter(Boolean)
    .join(' ');

  return {
    text,
    blocks: [
      header(`Fleet report · ${period}`),
      section(fleetLine),
      section(worstLine),
      section(sendsLine),
      ...(lostLine ? [section(lostLine)] : []),
      context(notes.join(' ')),
    ],
  };
}
