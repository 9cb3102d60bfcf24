import type { AppContext } from '../context.js';
import { reportPeriod } from '../domain/fleet.js';
import { fleetReportRef, OutboxKind } from '../domain/outboxRefs.js';

/**
 * fleet-report (FLEET_REPORT_CRON): owes the weekly fleet report of the last 7 whole UTC days —
 * one outbox message per period, so however many instances or runs owe it, it is posted once —
 * then one outbox pass delivers it: the chart, then the summary (src/slack/outbox/kinds/fleetReport.ts).
 */

export interface FleetReportSummary {
  /** 1 when this run's pass posted the report, 0 when it was posted before (or Slack refused it: it is retried). */
  posted: number;
  slackFailures: number;
  givenUp: number;
}

export async function fleetReportJob(context: AppContext): Promise<FleetReportSummary> {
  const period = reportPeriod(context.clock());
  await context.domain.outbox.enqueue(fleetReportRef(period), { payload: { start: period.start, end: period.end } });
  const drained = await context.slackOutbox.drain();
  return { posted: drained.delivered[OutboxKind.fleetReport] ?? 0, slackFailures: drained.failed, givenUp: drained.givenUp };
}
