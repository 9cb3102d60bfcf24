import type { OutboxKind } from '../kind.js';
import { fleetReportKind } from './fleetReport.js';
import { incidentMessageKind, incidentReplyKind } from './incidents.js';
import { adminAlertChannelKind, phoneTakeoverKind } from './notices.js';
import { revealRedactionKind } from './reveal.js';
import { rotationDueKind, rotationNoticeKind, rotationWarningKind } from './rotation.js';

/** Every kind of message the outbox delivers (README: Slack outbox → adding a kind). */
export const OUTBOX_KINDS: readonly OutboxKind[] = [
  incidentMessageKind,
  incidentReplyKind,
  rotationWarningKind,
  rotationDueKind,
  rotationNoticeKind,
  revealRedactionKind,
  adminAlertChannelKind,
  phoneTakeoverKind,
  fleetReportKind,
];
