import { createRequire } from 'node:module';
import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import { BarController, BarElement, CategoryScale, Chart, type ChartConfiguration, Legend, LinearScale, type Plugin } from 'chart.js';
import type { FleetReport, PhonePeriod } from '../domain/fleet.js';
import { percentText, periodText } from './format.js';

/**
 * The weekly fleet chart as a PNG (README: Fleet report): one row per live phone, least online
 * first — on the left its share of the period online, on the right its sends (delivered, failed,
 * expired) — with a title, the period and a legend. Drawn by Chart.js on @napi-rs/canvas (Skia,
 * prebuilt in an npm package), with the Inter font from @fontsource/inter registered explicitly:
 * the labels render the same on a machine with no system fonts at all.
 */

/** At most this many rows; the rest (the most online) are counted in the footer. */
export const MAX_CHART_PHONES = 40;

const WIDTH = 1200;
const ROW = 44;
const TOP = 150;
const BOTTOM = 130;
const FONT = 'PhonekeysInter';
const INK = '#1d1c1d';
const MUTED = '#616061';

export const COLORS = {
  online: '#2e7d32',
  degraded: '#ef8c00',
  poor: '#c62828',
  delivered: '#4a7fd0',
  failed: '#c62828',
  expired: '#f9a825',
} as const;

const require = createRequire(import.meta.url);
let fontsRegistered = false;

/** Registers the bundled font once (by path, so no system font is ever needed). */
function registerFonts(): void {
  if (fontsRegistered) return;
  for (const weight of [400, 700]) {
    const file = require.resolve(`@fontsource/inter/files/inter-latin-${weight}-normal.woff2`);
    if (!GlobalFonts.registerFromPath(file, FONT)) throw new Error(`could not load the chart font ${file}`);
  }
  Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend);
  fontsRegistered = true;
}

export const shareColor = (share: number): string => (share >= 0.99 ? COLORS.online : share >= 0.95 ? COLORS.degraded : COLORS.poor);

const rowLabel = (phone: PhonePeriod) => (phone.keyName ? `${phone.number}  ${phone.keyName}` : phone.number);

/** Renders the report as a PNG. */
export async function renderFleetChart(report: FleetReport): Promise<Buffer> {
  registerFonts();
  const rows = report.phones.slice(0, MAX_CHART_PHONES);
  const hidden = report.phones.slice(MAX_CHART_PHONES);
  const footer = [
    hidden.length > 0
      ? `… and ${hidden.length} more phone${hidden.length === 1 ? '' : 's'}, each online at least ${percentText(hidden[0]!.onlineShare)} of the time.`
      : '',
    report.neverSeen.length > 0
      ? `${report.neverSeen.length} linked phone${report.neverSeen.length === 1 ? ' has' : 's have'} never sent a heartbeat (not shown).`
      : '',
  ].filter(Boolean);
  const height = TOP + Math.max(rows.length, 1) * ROW + BOTTOM + footer.length * 30;
  const canvas = createCanvas(WIDTH, height);
  const ctx = canvas.getContext('2d');
  Chart.defaults.font.family = FONT;
  Chart.defaults.color = MUTED;

  const frame: Plugin<'bar'> = {
    id: 'phonekeysFrame',
    beforeDraw(chart) {
      const c = chart.ctx;
      c.save();
      c.fillStyle = '#ffffff';
      c.fillRect(0, 0, chart.width, chart.height);
      c.fillStyle = INK;
      c.font = `700 34px ${FONT}`;
      c.textBaseline = 'top';
      c.fillText(`Fleet report · ${periodText(report)}`, 24, 22);
      c.font = `400 22px ${FONT}`;
      c.fillStyle = MUTED;
      c.fillText(summaryLine(report), 24, 70);
      c.textBaseline = 'bottom';
      footer.forEach((line, i) => {
        c.fillText(line, 24, chart.height - 16 - (footer.length - 1 - i) * 30);
      });
      c.restore();
    },
    afterDatasetsDraw(chart) {
      // Each row's figures at the end of its bars.
      const c = chart.ctx;
      c.save();
      c.font = `700 19px ${FONT}`;
      c.textBaseline = 'middle';
      const online = chart.getDatasetMeta(0).data;
      const expired = chart.getDatasetMeta(3).data;
      rows.forEach((phone, i) => {
        const bar = online[i] as unknown as { x: number; y: number } | undefined;
        if (bar) {
          // Inside the end of a long bar (white), after a short one (in its colour).
          const inside = bar.x - chart.scales.share!.left > 120;
          c.fillStyle = inside ? '#ffffff' : shareColor(phone.onlineShare);
          c.textAlign = inside ? 'right' : 'left';
          c.fillText(percentText(phone.onlineShare), inside ? bar.x - 10 : bar.x + 8, bar.y);
        }
        const lost = phone.failed + phone.expired;
        const end = expired[i] as unknown as { x: number; y: number } | undefined;
        if (end && lost > 0) {
          c.fillStyle = COLORS.failed;
          c.textAlign = 'left';
          c.fillText(`${lost} lost`, Math.min(end.x + 8, chart.scales.sends!.right - 80), end.y);
        }
      });
      c.restore();
    },
  };

  const lostMax = Math.max(1, ...rows.map((p) => p.delivered + p.failed + p.expired));
  const config: ChartConfiguration<'bar'> = {
    type: 'bar',
    data: {
      labels: rows.map(rowLabel),
      datasets: [
        {
          label: 'online',
          data: rows.map((p) => Math.round(p.onlineShare * 1000) / 10),
          xAxisID: 'share',
          stack: 'row',
          backgroundColor: rows.map((p) => shareColor(p.onlineShare)),
        },
        { label: 'delivered', data: rows.map((p) => p.delivered), xAxisID: 'sends', stack: 'row', backgroundColor: COLORS.delivered },
        { label: 'failed', data: rows.map((p) => p.failed), xAxisID: 'sends', stack: 'row', backgroundColor: COLORS.failed },
        { label: 'expired', data: rows.map((p) => p.expired), xAxisID: 'sends', stack: 'row', backgroundColor: COLORS.expired },
      ],
    },
    options: {
      indexAxis: 'y',
      responsive: false,
      animation: false,
      devicePixelRatio: 1,
      layout: { padding: { top: TOP - 40, bottom: 24 + footer.length * 30, left: 16, right: 24 } },
      datasets: { bar: { barPercentage: 0.8, categoryPercentage: 0.9 } },
      scales: {
        y: { stacked: true, ticks: { font: { size: 21 }, color: INK }, grid: { display: false } },
        share: {
          type: 'linear',
          position: 'bottom',
          stack: 'x',
          stackWeight: 1.1,
          min: 0,
          max: 100,
          stacked: true,
          title: { display: true, text: 'Share of the week online', font: { size: 20, weight: 'bold' }, color: INK },
          ticks: { font: { size: 18 }, stepSize: 25, callback: (value) => `${value} %` },
        },
        gap: {
          type: 'linear',
          position: 'bottom',
          stack: 'x',
          stackWeight: 0.14,
          ticks: { display: false },
          grid: { display: false },
          border: { display: false },
        },
        sends: {
          type: 'linear',
          position: 'bottom',
          stack: 'x',
          stackWeight: 1,
          min: 0,
          suggestedMax: lostMax * 1.15,
          stacked: true,
          title: { display: true, text: 'Sends', font: { size: 20, weight: 'bold' }, color: INK },
          ticks: { font: { size: 18 }, precision: 0 },
        },
      },
      plugins: {
        legend: {
          position: 'top',
          align: 'start',
          labels: {
            font: { size: 19 },
            color: INK,
            boxWidth: 22,
            generateLabels: () =>
              [
                { text: 'online ≥ 99 %', fillStyle: COLORS.online },
                { text: '95–99 %', fillStyle: COLORS.degraded },
                { text: '< 95 %', fillStyle: COLORS.poor },
                { text: 'delivered', fillStyle: COLORS.delivered },
                { text: 'failed', fillStyle: COLORS.failed },
                { text: 'expired', fillStyle: COLORS.expired },
              ].map((item) => ({ ...item, strokeStyle: item.fillStyle, lineWidth: 0, hidden: false, fontColor: INK })),
          },
        },
      },
    },
    plugins: [frame],
  };

  const chart = new Chart(ctx as unknown as ConstructorParameters<typeof Chart>[0], config);
  try {
    return await canvas.encode('png');
  } finally {
    chart.destroy();
  }
}

/** The line under the title: how many phones, the fleet's share online, the sends. */
export function summaryLine(report: FleetReport): string {
  const { totals } = report;
  const n = report.phones.length;
  return `${n} live phone${n === 1 ? '' : 's'} · fleet online ${percentText(report.onlineShare)} · sends: ${totals.delivered.toLocaleString('en-US')} delivered, ${totals.failed.toLocaleString('en-US')} failed, ${totals.expired.toLocaleString('en-US')} expired`;
}
