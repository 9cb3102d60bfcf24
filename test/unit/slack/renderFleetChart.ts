/**
 * Renders a small fleet chart and prints `{ systemFonts, png }` (base64) as JSON: run as its own
 * process by fleetChart.test.ts, with DISABLE_SYSTEM_FONTS_LOAD=1 so that @napi-rs/canvas loads
 * no system font and only the font the chart registers itself can draw the labels.
 */
import { GlobalFonts } from '@napi-rs/canvas';
import type { FleetReport } from '../../../src/domain/fleet.js';
import { renderFleetChart } from '../../../src/slack/fleetChart.js';

const HOUR = 3_600_000;
const systemFonts = GlobalFonts.families.length;
const phones = [40, 150, 168].map((online, i) => ({
  number: `+234810000000${i}`,
  keyId: 'abcd2345',
  keyName: `lagos-rack-${i}`,
  spanMs: 168 * HOUR,
  onlineMs: online * HOUR,
  onlineShare: online / 168,
  heartbeats: 100,
  sent: 10,
  delivered: 8,
  failed: i,
  expired: 1,
  received: 0,
}));
const report: FleetReport = {
  start: new Date('2026-11-23T00:00:00Z'),
  end: new Date('2026-11-30T00:00:00Z'),
  phones,
  onlineShare: 358 / 504,
  totals: { heartbeats: 300, sent: 30, delivered: 24, failed: 3, expired: 3, received: 0, onlineMs: 358 * HOUR },
  neverSeen: [],
};
const png = await renderFleetChart(report);
process.stdout.write(JSON.stringify({ systemFonts, png: png.toString('base64') }));
