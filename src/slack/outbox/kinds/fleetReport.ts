import { OutboxKind } from '../../../domain/outboxRefs.js';
import { fleetReportMessage } from '../../blocks/fleetReport.js';
import { periodText } from '../../format.js';
import type { Delivery, OutboxKind as Kind } from '../kind.js';

/** Slack's limit on a file's alt text. */
const ALT_TEXT_MAX = 1000;

/**
 * The weekly fleet report in ALERT_CHANNEL_ID: the chart (files.uploadV2), then the summary under
 * it. Rendered at send time from the hourly totals of the period it names (a past period: they no
 * longer change). Each step is done once: a retry after the upload went through posts only the
 * summary.
 */
export const fleetReportKind: Kind = {
  kind: OutboxKind.fleetReport,
  method: 'files.uploadV2',
  async render([item], context): Promise<Delivery> {
    const p = item!.payload as { start: Date; end: Date };
    const report = await context.domain.fleet.report({ start: new Date(p.start), end: new Date(p.end) });
    if (report.phones.length === 0 && report.neverSeen.length === 0) return { skip: 'no live phones to report on' };
    const message = fleetReportMessage(report, { silentAfterMs: context.config.silentAfterMs });
    const channel = context.config.slack.alertChannelId;
    // Nothing to draw: the summary alone says which phones never heartbeated.
    if (report.phones.length === 0) return { steps: [{ call: 'post', channel, message }] };
    // Loaded when a report is due (weekly), not at every start: the canvas is a native module that scans the system's fonts.
    const { renderFleetChart } = await import('../../fleetChart.js');
    const file = await renderFleetChart(report);
    return {
      steps: [
        {
          call: 'upload',
          channel,
          file,
          filename: `fleet-report-${report.start.toISOString().slice(0, 10)}.png`,
          title: `Fleet report · ${periodText(report)}`,
          altText: message.text.slice(0, ALT_TEXT_MAX),
        },
        { call: 'post', channel, message },
      ],
    };
  },
};
