import type { OutboxItem } from '../../../domain/outbox.js';
import { type IncidentReplyType, incidentMessageRef, OutboxKind } from '../../../domain/outboxRefs.js';
import { isClosure } from '../../../models/index.js';
import { closedReply, recoveredReply, reminderReply, reopenedReply } from '../../blocks/alertReplies.js';
import { type IncidentData, incidentMessage } from '../../blocks/alerts.js';
import type { SlackMessage } from '../../kit.js';
import type { Delivery, OutboxKind as Kind, OutboxContext } from '../kind.js';
import { keyRefs } from './keyRefs.js';

/** The incident's data as of now, or null once it is gone (or was never shown). */
async function incidentData(context: OutboxContext, incidentId: string): Promise<IncidentData | null> {
  const view = await context.domain.incidents.view(incidentId);
  if (!view || view.alerts.length === 0 || view.alerts.every((a) => a.resolution === 'stale')) return null;
  const alerts = view.alerts.filter((a) => a.resolution !== 'stale');
  return {
    incident: view.incident,
    alerts,
    keys: await keyRefs(
      context,
      alerts.map((a) => a.keyId),
    ),
    now: context.clock(),
  };
}

/**
 * An incident's alert message: posted in ALERT_CHANNEL_ID as configured at send time, then edited
 * to each newer version of the incident (acknowledged, paused, a phone back, resolved, reopened).
 */
export const incidentMessageKind: Kind = {
  kind: OutboxKind.incidentMessage,
  method: 'chat.postMessage',
  async render([item], context): Promise<Delivery> {
    const data = await incidentData(context, item!.subject);
    if (!data) return { skip: 'the incident is gone' };
    const shows = data.incident.version;
    if (item!.ts && item!.shown >= shows) return { done: true, shows };
    const message = incidentMessage(data);
    if (!item!.ts || !item!.channel) return { steps: [{ call: 'post', channel: context.config.slack.alertChannelId, message }], shows };
    return { steps: [{ call: 'update', channel: item!.channel, ts: item!.ts, message, ifGone: 'skip' }], shows };
  },
};

/**
 * A reply in an incident's thread. It waits until the alert message is posted and shows the
 * incident's latest state (so "back online" never appears under a message still reading
 * "silent"), and checks that what it announces is still what happened.
 */
export const incidentReplyKind: Kind = {
  kind: OutboxKind.incidentReply,
  method: 'chat.postMessage',
  async render([item], context): Promise<Delivery> {
    const parent = await context.domain.outbox.find(incidentMessageRef(item!.subject));
    if (!parent || parent.state === 'cancelled') return { skip: 'the incident has no alert message' };
    if (parent.state === 'given_up') return { skip: 'its alert message could not be posted' };
    if (parent.state !== 'sent' || !parent.ts || !parent.channel) {
      // Being delivered right now (claimed): soon. Waiting for its own retry: then.
      const now = context.clock().getTime();
      const until = parent.claim ? now : Math.max(parent.nextAttemptAt.getTime(), now);
      return { wait: new Date(until), reason: 'its alert message is not up to date yet' };
    }
    const data = await incidentData(context, item!.subject);
    if (!data) return { skip: 'the incident is gone' };
    const message = replyMessage(item!, data);
    if (!message) return { skip: 'what it announced did not last' };
    return { steps: [{ call: 'post', channel: parent.channel, threadTs: parent.ts, message }] };
  },
};

function replyMessage(item: OutboxItem, data: IncidentData): SlackMessage | null {
  const type = item.payload.type as IncidentReplyType;
  const alert = data.alerts.find((a) => String(a._id) === item.payload.alertId);
  switch (type) {
    case 'recovered':
      return alert?.resolution === 'recovered' ? recoveredReply(data, alert) : null;
    case 'reopened':
      return alert ? reopenedReply(alert) : null;
    case 'closed':
      return alert && isClosure(alert.resolution) ? closedReply(data, alert) : null;
    case 'reminder':
      return data.incident.resolvedAt || data.incident.ackedAt ? null : reminderReply(data);
  }
}
