import type { AppContext } from '../../../context.js';
import { alertAcknowledged, alertPaused } from '../../../slack/blocks/answers.js';
import { withReply } from '../../replies.js';
import { type ButtonArgs, presserReply } from './reply.js';

/**
 * The buttons on every alert. The message itself is brought up to date by the outbox (kicked
 * here, so it changes within a moment); the presser gets a short answer of their own.
 */

/** Acknowledge (anyone): exactly one acknowledgement, however many press at once. */
export function acknowledgeAlert(context: AppContext) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    await withReply(context, presserReply(context, args), 'acknowledge alert', async () => {
      const { incident, acknowledged } = await context.domain.incidents.acknowledge(args.action.value ?? '', args.body.user.id);
      if (acknowledged) context.slackOutbox.kick();
      return alertAcknowledged(incident, acknowledged);
    });
  };
}

/** Pause 1 h (admins, audited): the incident's phones stop alerting for an hour. */
export function pauseAlert(context: AppContext) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    await withReply(context, presserReply(context, args), 'pause alert', async () => {
      const { incident, phones } = await context.domain.incidents.pause(args.action.value ?? '', args.body.user.id);
      context.slackOutbox.kick();
      return alertPaused(phones, incident.pausedUntil);
    });
  };
}
