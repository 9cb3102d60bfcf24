import { publicIdOf } from '../../domain/keyMaterial.js';
import { changesText, escapeText, isSlackUserId, mention, slackDate } from '../format.js';
import { context, header, linesToSections, type SlackMessage, section } from '../kit.js';

export interface AuditLine {
  at: Date;
  actor: string;
  action: string;
  keyId?: string | null;
  phoneNumber?: string | null;
  details?: Record<string, unknown> | null;
}

function actorText(actor: string): string {
  return isSlackUserId(actor) ? mention(actor) : `\`${escapeText(actor)}\``;
}

function detailsText(details: Record<string, unknown> | null | undefined): string {
  if (!details) return '';
  // An edit: each field old → new.
  if (details.changes && typeof details.changes === 'object') {
    return ` (${changesText(details.changes as Record<string, { from: unknown; to: unknown }>).slice(0, 300)})`;
  }
  const parts = Object.entries(details)
    .filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0))
    .map(
      ([k, v]) =>
        `${k}: ${v instanceof Date ? v.toISOString() : Array.isArray(v) ? v.join(', ') : typeof v === 'object' ? JSON.stringify(v) : String(v)}`,
    );
  return parts.length ? ` (${escapeText(parts.join('; ').slice(0, 300))})` : '';
}

/** `/keys audit [key]`: who did what to which key or phone, and when; newest first. */
export function auditList(entries: AuditLine[], about?: string): SlackMessage {
  const title = about ? `Audit: ${about}` : 'Audit: recent changes';
  if (entries.length === 0)
    return { text: `${escapeText(title)}: nothing yet.`, blocks: [section(`*${escapeText(title)}*: nothing yet.`)] };
  const lines = entries.map(
    (e) =>
      `${slackDate(e.at)} · ${actorText(e.actor)} · *${escapeText(e.action)}*${e.keyId ? ` \`${publicIdOf(e.keyId)}\`` : ''}${e.phoneNumber ? ` ${e.phoneNumber}` : ''}${detailsText(e.details)}`,
  );
  return {
    text: escapeText(title),
    blocks: [header(title), ...linesToSections(lines), context(`The ${entries.length} most recent entries.`)],
  };
}
