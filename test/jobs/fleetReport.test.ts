import { writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type FleetReport, lastSevenDays } from '../../src/domain/fleet.js';
import { runJob } from '../../src/jobs/index.js';
import { fleetReportMessage } from '../../src/slack/blocks/fleetReport.js';
import { COLORS, renderFleetChart } from '../../src/slack/fleetChart.js';
import { percentText } from '../../src/slack/format.js';
import { appHomeOpened } from '../support/slackRequests.js';
import { ALERT_CHANNEL, startTestApp, type TestApp, testClock } from '../support/testApp.js';
import {
  coveredMs,
  FLEET_SIZE,
  outageHours,
  PERIOD,
  PERIOD_HOURS,
  REPORT_AT,
  SILENT_AFTER_MINUTES,
  type SimulatedFleet,
  simulateFleet,
} from './fleetSimulation.js';
import { HOUR } from './helpers.js';

/**
 * The fleet report end to end: a week of 20 phones with known outages, played through the real
 * receiver (signed webhooks, injected clock), read back from the hourly totals.
 */

const clock = testClock(PERIOD.start);
let app: TestApp;
let fleet: SimulatedFleet;
let report: FleetReport;

beforeAll(async () => {
  app = await startTestApp({ clock: clock.now, env: { SILENT_AFTER_MINUTES: String(SILENT_AFTER_MINUTES) } });
  fleet = await simulateFleet(app, clock);
  clock.set(REPORT_AT);
  report = await app.context.domain.fleet.report();
}, 300_000);
afterAll(async () => {
  await app?.close();
});

/** Down one column through the chart's left panel, the colour of each run of a share colour: one phone's bar each. */
function shareBars(png: PNG): string[] {
  const shareColours = new Set<string>([COLORS.online, COLORS.degraded, COLORS.poor]);
  const bars: string[] = [];
  let inBar = false;
  for (let y = 0; y < png.height; y++) {
    const at = (y * png.width + 450) * 4;
    const colour = `#${[0, 1, 2].map((c) => png.data[at + c]!.toString(16).padStart(2, '0')).join('')}`;
    const isBar = shareColours.has(colour);
    if (isBar && !inBar) bars.push(colour);
    inBar = isBar;
  }
  return bars;
}

describe('the hourly totals behind the report', () => {
  test("each phone's share of the week online matches its outages to the hour", () => {
    expect(report.start).toEqual(PERIOD.start);
    expect(report.end).toEqual(PERIOD.end);
    expect(report.phones.map((p) => p.number).sort()).toEqual(fleet.phones.map((p) => p.number).sort());
    for (const phone of fleet.phones) {
      const got = report.phones.find((p) => p.number === phone.number)!;
      expect(got.spanMs, phone.number).toBe(PERIOD_HOURS * HOUR);
      // To the minute, against the heartbeats actually sent…
      expect(got.onlineMs, phone.number).toBe(coveredMs(phone.heartbeats, SILENT_AFTER_MINUTES * 60_000, PERIOD));
      // …and to the hour against the planned outages (a heartbeat at 20 past covers until 20 past the next hour).
      const plannedHours = PERIOD_HOURS - outageHours(phone.outages);
      expect(Math.abs(got.onlineMs / HOUR - plannedHours), phone.number).toBeLessThan(1);
      expect(got.keyName).toBe(phone.keyName);
    }
  });

  test('sends and messages are counted per phone within the period only', () => {
    for (const phone of fleet.phones) {
      const got = report.phones.find((p) => p.number === phone.number)!;
      expect({ delivered: got.delivered, failed: got.failed, expired: got.expired, sent: got.sent, received: got.received }).toEqual(
        phone.expected,
      );
    }
    const sum = (field: 'delivered' | 'failed' | 'expired') => fleet.phones.reduce((n, p) => n + p.expected[field], 0);
    expect(report.totals).toMatchObject({ delivered: sum('delivered'), failed: sum('failed'), expired: sum('expired') });
    expect(sum('failed')).toBeGreaterThan(0);
  });

  test('least online first; the fleet share is the online time over the known time; test and silent-forever phones handled', () => {
    const shares = report.phones.map((p) => p.onlineShare);
    expect(shares).toEqual([...shares].sort((a, b) => a - b));
    expect(report.phones[0]!.number).toBe(fleet.phones[19]!.number); // down the last 40 hours
    const online = fleet.phones.reduce((n, p) => n + coveredMs(p.heartbeats, SILENT_AFTER_MINUTES * 60_000, PERIOD), 0);
    expect(report.onlineShare).toBeCloseTo(online / (FLEET_SIZE * PERIOD_HOURS * HOUR), 12);
    expect(report.phones.some((p) => p.number === fleet.testPhone)).toBe(false);
    expect(report.neverSeen).toEqual([fleet.neverSeen]);
  });

  test('an hour holds one document per phone, and events expire (TTL) after EVENT_RETENTION_DAYS', async () => {
    const { PhoneHour, PhoneEvent } = app.context.models;
    const hours = await PhoneHour.countDocuments({ phoneNumber: fleet.phones[0]!.number });
    // From the first heartbeat (40 minutes before the period) to the last one's cover (until 1 h 20 after the end + 1 h).
    expect(hours).toBe(PERIOD_HOURS + 3);
    const event = await PhoneEvent.findOne({ phoneNumber: fleet.phones[0]!.number, type: 'phone.heartbeat' }).lean();
    expect(event!.expiresAt!.getTime() - event!.receivedAt.getTime()).toBe(30 * 24 * HOUR);
    const indexes = await PhoneEvent.collection.indexes();
    expect(indexes.find((i) => i.key.expiresAt === 1)).toMatchObject({ expireAfterSeconds: 0 });
  });
});

describe('the chart and the summary', () => {
  test('the PNG is a valid image with a row of bars for every phone', async () => {
    const file = await renderFleetChart(report);
    // FLEET_REPORT_PNG=docs/fleet-report.png refreshes the README's sample.
    if (process.env.FLEET_REPORT_PNG) writeFileSync(process.env.FLEET_REPORT_PNG, file);
    const png = PNG.sync.read(file);
    expect(png.width).toBe(1200);
    expect(png.height).toBeGreaterThan(FLEET_SIZE * 40);
    const colours = new Set<number>();
    for (let i = 0; i < png.data.length; i += 4) colours.add(png.data.readUInt32BE(i));
    expect(colours.size).toBeGreaterThan(2);

    const bars = shareBars(png);
    // The legend's swatches are left of this column: only the bars cross it.
    expect(bars).toHaveLength(FLEET_SIZE);
    expect(bars[0]).toBe(COLORS.poor); // 76 %: the least online comes first
    expect(bars.at(-1)).toBe(COLORS.online);
  });

  test('the summary names the fleet share, the three least online phones and the failed sends', () => {
    const message = fleetReportMessage(report, { silentAfterMs: SILENT_AFTER_MINUTES * 60_000 });
    const worst = report.phones.slice(0, 3);
    expect(worst.map((p) => p.number)).toEqual([19, 18, 17].map((i) => fleet.phones[i]!.number));
    expect(message.text).toContain(`fleet online ${(Math.floor(report.onlineShare * 1000) / 10).toFixed(1)} %`);
    expect(message.text).toContain(`Least online: ${fleet.phones[19]!.number} (lagos-rack-4 (pk_`);
    expect(message.text).toContain('76.3 %'); // 128 h 20 min of 168 hours
    for (const phone of worst) expect(message.text).toContain(phone.number);
    expect(message.text).toContain(`${report.totals.failed} failed`);
    const blocks = JSON.stringify(message.blocks);
    expect(blocks).toContain('offline 1 d 15 h');
    expect(blocks).toContain('1 linked phone never sent a heartbeat');
  });
});

describe('App Home', () => {
  test('each phone shows its share of the last 7 days online (to the hour), from the same totals', async () => {
    expect((await app.slack.event(appHomeOpened('UVIEWER'))).status).toBe(200);
    const publish = await app.fake.waitFor('views.publish', (c) => c.args.user_id === 'UVIEWER');
    const lines = JSON.stringify(publish.args.view).split('\\n');
    const window = lastSevenDays(REPORT_AT);
    for (const i of [0, 7, 18, 19]) {
      const phone = fleet.phones[i]!;
      const share = coveredMs(phone.heartbeats, SILENT_AFTER_MINUTES * 60_000, window) / (PERIOD_HOURS * HOUR);
      const line = lines.find((l) => l.includes(phone.number));
      expect(line, phone.number).toContain(`online ${percentText(share)} (7 d)`);
    }
    // 09:00 Monday: the window ends 9 h after the report's period, when no phone heartbeats any more.
    expect(lines.find((l) => l.includes(fleet.phones[0]!.number))).toContain('online 95.4 % (7 d)');
    expect(lines.find((l) => l.includes(fleet.neverSeen))).not.toContain('online');
  });
});

describe('the fleet-report job', () => {
  test('posts the chart, then the summary, in ALERT_CHANNEL_ID: once per period however often it runs', async () => {
    const runs = await Promise.all([runJob('fleet-report', app.context), runJob('fleet-report', app.context)]);
    expect(runs.map((r) => r.outcome).sort()).toEqual(['ok', 'skipped']); // the lease: one run at a time
    expect(runs.find((r) => r.outcome === 'ok')!.summary).toMatchObject({ posted: 1 });
    clock.advance(3 * HOUR); // later that Monday: the same period
    expect((await runJob('fleet-report', app.context)).summary).toMatchObject({ posted: 0 });

    const posted = app.fake.messagesIn(ALERT_CHANNEL);
    expect(posted).toHaveLength(2);
    const [chart, summary] = posted as [(typeof posted)[0], (typeof posted)[0]];
    expect(chart.files).toHaveLength(1);
    expect(chart.files![0]!.name).toMatch(/^fleet-report-2026-11-23.*\.png$/);
    const png = PNG.sync.read(chart.files![0]!.bytes!);
    expect(shareBars(png)).toHaveLength(FLEET_SIZE);
    expect(summary.text).toBe(fleetReportMessage(report, { silentAfterMs: SILENT_AFTER_MINUTES * 60_000 }).text);
    expect(summary.text).toContain(`Least online: ${fleet.phones[19]!.number}`);
    clock.set(REPORT_AT);
  });
});
