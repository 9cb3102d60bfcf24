import type { AppContext } from '../context.js';
import { outboxSummary } from './silentPhones.js';

/**
 * The phone-health job: failing phones (their last FAILING_AFTER_SENDS sends all failed or
 * expired) and phones running flat (domain/alerts/health.ts), then one outbox pass. Resolutions
 * first, so a streak that ended and a new one are one resolved and one new alert.
 */

export interface PhoneHealthSummary {
  repaired: number;
  failingResolved: number;
  failingDetected: number;
  batteryResolved: number;
  batteryDetected: number;
  posted: number;
  recoveriesPosted: number;
  slackFailures: number;
  givenUp: number;
}

export async function phoneHealthJob(context: AppContext): Promise<PhoneHealthSummary> {
  const { health } = context.domain;
  const repaired = await health.finishPending();
  const failingResolved = await health.resolve('failing');
  const batteryResolved = await health.resolve('battery');
  const failingDetected = await health.detect('failing');
  const batteryDetected = await health.detect('battery');
  const drained = await context.slackOutbox.drain();
  return { repaired, failingResolved, failingDetected, batteryResolved, batteryDetected, ...outboxSummary(drained) };
}
