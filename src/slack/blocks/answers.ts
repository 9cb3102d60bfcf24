import type { KeyView, Revocation } from '../../domain/keys.js';
import type { IncidentRecord } from '../../models/index.js';
import { changesText, escapeText, ipLockText, keyLabel, mention, slackDate } from '../format.js';
import type { SlackMessage } from '../kit.js';
import { predecessorConsequence } from './deleteConfirmation.js';

/**
 * The short answers to the person who asked for something in Slack: what a change did, why it
 * was refused, what went wrong. The same change reads the same wherever it was asked for
 * (command, button or modal).
 */

type Key = Pick<KeyView, 'keyId' | 'name'>;

export function keyCreated(key: Key & Pick<KeyView, 'publicId' | 'ipLock'>, revealed: boolean): SlackMessage {
  if (!revealed) {
    return {
      text: `:warning: Created ${keyLabel(key)}, but I could not send you the key by DM, so nobody has seen it. Rotate it to get one you can see: \`/keys rotate ${key.publicId}\` (or delete it).`,
    };
  }
  return {
    text: `:white_check_mark: Created ${keyLabel(key)}. The key is in your DMs with me, shown once; IP lock: ${ipLockText(key.ipLock)}.`,
  };
}

export function keyRotated(
  successor: Key & Pick<KeyView, 'publicId'>,
  previous: Key & Pick<KeyView, 'graceEndsAt'>,
  revealed: boolean,
): SlackMessage {
  const replaced = `${keyLabel(successor)} replaces ${keyLabel(previous)}. The old key keeps working until ${slackDate(previous.graceEndsAt)}, then stops: register the phones with the new key before then.`;
  if (!revealed) {
    return {
      text: `:warning: ${replaced}\nBut I could not send you the new key by DM, so nobody has seen it: rotate \`${successor.publicId}\` to get a key you can see.`,
    };
  }
  return { text: `:arrows_counterclockwise: ${replaced} The new key is in your DMs with me, shown once.` };
}

export function ipLockSet(key: Key & Pick<KeyView, 'ipLock'>): SlackMessage {
  if (key.ipLock.mode === 'off') return { text: `:unlock: ${keyLabel(key)} is unlocked: any IP may use it.` };
  return { text: `:lock: ${keyLabel(key)} IP lock: ${ipLockText(key.ipLock)}.` };
}

export function keyEdited(key: Key, changes: Record<string, { from: unknown; to: unknown }>): SlackMessage {
  if (Object.keys(changes).length === 0) return { text: `Nothing to change: ${keyLabel(key)} already reads like that.` };
  return { text: `:pencil2: Saved ${keyLabel(key)}: ${changesText(changes)}.` };
}

export function phoneUnlinked(key: Key, number: string, alertsClosed = 0): SlackMessage {
  const closed = alertsClosed ? ` Its ${alertsClosed === 1 ? 'open alert is' : `${alertsClosed} open alerts are`} closed.` : '';
  return { text: `:link: Unlinked ${number} from ${keyLabel(key)}. The phone must register again to be linked.${closed}` };
}

export function keyDeleted({ view, predecessor }: Revocation): SlackMessage {
  const n = view.phoneCount;
  const phones = n ? ` Its ${n === 1 ? 'phone is' : `${n} phones are`} refused from now on.` : '';
  const after = predecessor ? `\n${predecessorConsequence(predecessor.view, predecessor.outcome, true)}` : '';
  return { text: `:wastebasket: Deleted ${keyLabel(view)}: it is revoked.${phones}${after}` };
}

export const phonePaused = (number: string, until: Date | null): SlackMessage => ({
  text: `:double_vertical_bar: Alerts for ${number} are paused until ${slackDate(until)} (silent, failing and battery alike).`,
});

export const phoneResumed = (number: string): SlackMessage => ({
  text: `:arrow_forward: Alerts for ${number} are back on.`,
});

/** Acknowledge pressed: by this person, or by someone before them. */
export function alertAcknowledged(incident: Pick<IncidentRecord, 'ackedAt' | 'ackedBy' | 'resolvedAt'>, byYou: boolean): SlackMessage {
  if (byYou) return { text: ':eyes: Acknowledged: the alert says it is yours, and its reminders stop.' };
  if (incident.ackedBy) return { text: `Already acknowledged by ${mention(incident.ackedBy)} ${slackDate(incident.ackedAt)}.` };
  return { text: `Nothing to acknowledge: this alert was resolved ${slackDate(incident.resolvedAt)}.` };
}

/** Pause 1 h pressed. */
export function alertPaused(phones: string[], until: Date | null): SlackMessage {
  if (phones.length === 0) return { text: 'Nothing to pause: every phone of this alert is back.' };
  const which = phones.length === 1 ? phones[0] : `${phones.length} phones`;
  return {
    text: `:double_vertical_bar: Alerts for ${which} are paused until ${slackDate(until)}. \`/keys resume &lt;phone&gt;\` turns them back on.`,
  };
}

/** `/keys delete` of a key that is already revoked: nothing to ask. */
export const alreadyRevoked = (key: Key): SlackMessage => ({ text: `${keyLabel(key)} is already revoked.` });

/** A button about a revoked key (e.g. from an old list). */
export const keyIsRevoked = (key: Key): SlackMessage => ({ text: `${keyLabel(key)} is revoked.` });

export const noPhonesLinked = (key: Key): SlackMessage => ({ text: `No phone numbers are linked to ${keyLabel(key)}.` });

/** The refusal for a user outside ADMIN_USER_IDS, naming who may. */
export const notAllowed = (admins: string[]): string =>
  `:no_entry: Sorry, only ${admins.map(mention).join(', ')} may create, change or delete keys, pause phones and manage API tokens. Ask one of them.`;

/** A refusal the domain explained (its message may quote what the user typed: escaped). */
export const refused = (message: string): SlackMessage => ({ text: `:x: ${escapeText(message)}` });

/** What a user is told while MongoDB cannot be reached: nothing they can fix, only wait. */
export const DATABASE_UNAVAILABLE =
  ':hourglass: The database is unavailable; try again shortly. If you asked for a change, check whether it happened (`/keys list`) before repeating it.';

export const SOMETHING_WENT_WRONG =
  ':warning: Something went wrong on our side, so that did not happen. Try again in a moment; if it keeps failing, tell the phonekeys operators.';
